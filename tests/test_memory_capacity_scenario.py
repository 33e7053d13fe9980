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
