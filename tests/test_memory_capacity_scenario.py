"""The memory_capacity scenario: a tiny run measures MC above its shuffled control; bad options are refused."""
import json

import pytest

from hetero_brian.errors import ConfigError

from brian_helpers import use_numpy_target


def test_bad_options_are_refused():
    from hetero_brian.scenarios import memory_capacity

    with pytest.raises(ConfigError, match="n_steps"):
        memory_capacity.check_config(memory_capacity.Config(n_steps=300))
    with pytest.raises(ConfigError, match="n_controls"):
        memory_capacity.check_config(memory_capacity.Config(n_controls=0))
    with pytest.raises(ConfigError, match="variants"):
        memory_capacity.check_config(memory_capacity.Config(heterogeneous_neurons=False))


@pytest.mark.slow
def test_tiny_run_has_memory_above_its_control(tmp_path):
    from hetero_brian.scenarios import memory_capacity

    use_numpy_target()
    config = memory_capacity.Config(n_neurons=20, n_input=10, n_steps=300, n_train_steps=20, max_delay=5,
                                    weight_input="4 mV", variants=["HeNHeS"], n_seeds=1)
    metrics = memory_capacity.run(config, tmp_path, backend="runtime", seed=3)
    assert metrics["memory_capacity_HeNHeS_mean"] > 3 * metrics["mc_shuffled_HeNHeS_mean"]
    assert metrics["mc_net_HeNHeS_mean"] == pytest.approx(
        metrics["memory_capacity_HeNHeS_mean"] - metrics["mc_shuffled_HeNHeS_mean"])
    rows = json.loads((tmp_path / "memory_capacity_runs.json").read_text())
    assert len(rows) == 1 and len(rows[0]["r_squared"]) == 5


@pytest.mark.slow
def test_shared_build_runs_exactly_the_configured_network():
    """A build with default distributions, run with the configured samples, equals a build of the configured network."""
    import numpy as np

    from hetero_brian.network.recording import Recording
    from hetero_brian.network.spec import RasterInput
    from hetero_brian.protocols.heterogeneity_sweep import input_raster
    from hetero_brian.protocols.memory_capacity import shared_build_spec
    from hetero_brian.scenarios import memory_capacity
    from hetero_brian.simulate import Simulator

    use_numpy_target()
    config = memory_capacity.Config(n_neurons=20, n_input=10, n_steps=300, weight_input="4 mV",
                                    tau_m={"distribution": "gamma", "mean": "35 ms", "cv": 0.9},
                                    tau_pre={"distribution": "lognormal", "mean": "12 ms", "cv": 1.2})
    other = config.model_copy(update={"tau_m": memory_capacity.Config(tau_m={"distribution": "gamma", "mean": "8 ms",
                                                                             "cv": 0.1}).tau_m})
    rng = np.random.default_rng(0)
    stimulus = RasterInput("stimulus", input_raster(rng.uniform(0, 1, 60), config, rng), config.dt)
    spec, build_spec, sampled = shared_build_spec(config, stimulus, 11)
    assert build_spec.describe() == shared_build_spec(other, stimulus, 11)[1].describe()
    assert spec.describe() != build_spec.describe()
    spikes = []
    for built, run_sampled in ((spec, None), (build_spec, sampled)):
        with Simulator(built, 60 * config.step_duration, backend="runtime", seed=11,
                       recording=Recording(spikes=("exc",))) as simulator:
            result = simulator.run(sampled=run_sampled)
        spikes.append((result.spikes["exc"].node_ids, result.spikes["exc"].timestamps,
                       result.populations["exc"].parameters["tau_m"]))
    assert spikes[0][0].size > 0
    for first, second in zip(*spikes):
        np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name, variant", [("hrsnn_memory_heterogeneous", "HeNHeS"),
                                           ("hrsnn_memory_homogeneous", "HoNHoS")])
def test_spiking_study_files_search_real_keys_and_name_returned_metrics(name, variant):
    """The Bayesian-optimisation studies of the spiking HRSNN: valid keys and objectives the scenario returns."""
    from pathlib import Path

    from hetero_brian.experiment.tune import check_search_space, load_tune_config
    from hetero_brian.scenarios import memory_capacity

    config = load_tune_config(Path(__file__).parents[1] / "scenarios" / "sweeps" / f"{name}.yaml")
    check_search_space(config)
    assert config.base["variants"] == [variant]
    returned = {f"{key}_{variant}_mean" for key in memory_capacity.SUMMARY}
    assert {objective.metric for objective in config.objectives} <= returned
