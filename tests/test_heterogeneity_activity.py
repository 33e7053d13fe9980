"""Scenario heterogeneity_activity: tiny end-to-end run (numpy runtime) and bad configurations."""
import json

import numpy as np
import pytest

from hetero_brian.errors import ConfigError
from hetero_brian.results import load
from hetero_brian.protocols.heterogeneity_sweep import conditions, input_raster
from hetero_brian.scenarios.heterogeneity_activity import Config, check_config, run


def test_input_raster_rate_follows_input():
    config = Config(n_input=200, step_duration="20 ms", dt="0.5 ms", input_rate="100 Hz")
    u = np.array([0.0, 1.0, 0.5])
    raster = input_raster(u, config, np.random.default_rng(0))
    assert raster.shape == (3 * 40, 200)
    per_step = raster.reshape(3, 40, 200).mean(axis=(1, 2))
    # expected spike probability per dt: u * rate * dt = u * 0.05; binomial std over 8000 draws < 0.003
    assert per_step[0] == 0
    np.testing.assert_allclose(per_step[1:], [0.05, 0.025], atol=0.01)


def test_conditions_share_homogeneous_case():
    assert conditions([0.0, 0.5]) == [("tau_m", 0.0), ("tau_m", 0.5), ("stdp", 0.5)]


@pytest.mark.slow
def test_tiny_run_writes_outputs_and_finite_metrics(tmp_path):
    config = Config(n_neurons=20, n_input=50, n_steps=50, n_train_steps=4, max_delay=4, cvs=[0.0, 1.0],
                    n_seeds=1)
    metrics = run(config, tmp_path, backend="runtime:numpy", seed=3)
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert [(r["sweep"], r["cv"]) for r in rows] == [("tau_m", 0.0), ("tau_m", 1.0), ("stdp", 1.0)]
    for sweep, cv in (("tau_m", 0.0), ("tau_m", 1.0), ("stdp", 0.0), ("stdp", 1.0)):
        assert np.isfinite(metrics[f"{sweep}_cv{cv:g}_spikes_per_neuron_per_step"])
        assert 0 <= metrics[f"{sweep}_cv{cv:g}_memory_capacity"] <= config.max_delay
    assert (tmp_path / "heterogeneity_activity.png").stat().st_size > 1000
    # independent recount of the activity of one condition from the saved spikes
    result = load(tmp_path / "tau_m-cv1-seed0.h5")
    t_start = 4 * 0.02
    n_spikes = sum(int(np.sum(result.spikes[p].timestamps >= t_start - 1e-12)) for p in ("exc", "inh"))
    assert rows[1]["spikes_per_neuron_per_step"] == pytest.approx(n_spikes / (20 * 50))
    assert n_spikes > 0
    # the sampled tau_m of cv = 1 spread, of cv = 0 not
    tau = result.populations["exc"].parameters["tau_m"]
    assert np.std(tau) > 0.002 and np.min(tau) >= 1e-3 - 1e-12
    tau0 = load(tmp_path / "tau_m-cv0-seed0.h5").populations["exc"].parameters["tau_m"]
    np.testing.assert_allclose(tau0, 0.02)


@pytest.mark.parametrize("changes, word", [
    ({"cvs": []}, "cvs"), ({"cvs": [0.0, -0.5]}, "cvs"), ({"n_seeds": 0}, "n_seeds"),
    ({"step_duration": "20.25 ms"}, "step_duration"), ({"n_steps": 100}, "n_steps"),
    ({"tau_min": "30 ms"}, "tau_min"), ({"max_delay": 300}, "max_delay"),
])
def test_bad_config(changes, word):
    with pytest.raises(ConfigError, match=word):
        check_config(Config(**changes))
