"""The hrsnn_tuning scenario (issue 19 item 4): validation carved from the training side, finite objectives,
and the two Pareto study files."""
import math
from pathlib import Path

import numpy as np
import pytest

from hetero_brian.errors import ConfigError

from brian_helpers import use_numpy_target

STUDIES = Path(__file__).parents[1] / "scenarios" / "sweeps"


def test_validation_and_fit_images_never_include_a_test_image():
    from hetero_brian.inputs import load_sklearn_digits
    from hetero_brian.scenarios.hrsnn_tuning import tuning_split

    labels = load_sklearn_digits().labels
    for seed in range(5):
        fit, validation, test = tuning_split(labels, 600, 0.3, 0.3, np.random.default_rng(seed))
        assert len(fit) + len(validation) + len(test) == 600
        assert not set(validation) & set(test) and not set(fit) & set(test) and not set(fit) & set(validation)
        assert len(test) == 180 and len(validation) == 130  # 60 per digit: 18 test, then 12.6 -> 13 validation
        for part in (fit, validation, test):  # stratified: every digit in every part
            assert set(labels[part]) == set(range(10))
        # the test split is drawn first: another validation fraction keeps exactly the same test images
        other = tuning_split(labels, 600, 0.3, 0.5, np.random.default_rng(seed))
        np.testing.assert_array_equal(np.sort(other[2]), np.sort(test))
        assert not set(other[1]) & set(test)


def test_bad_options_are_refused():
    from hetero_brian.scenarios import hrsnn_tuning

    with pytest.raises(ConfigError, match="variants"):
        hrsnn_tuning.check_config(hrsnn_tuning.Config(variants=["HeNHeS", "HoNHoS"]))
    with pytest.raises(ConfigError, match="stdp_training must be 'fixed'.*'converged'"):
        hrsnn_tuning.check_config(hrsnn_tuning.Config(stdp_training="converged"))
    with pytest.raises(ConfigError, match="validation_fraction"):
        hrsnn_tuning.check_config(hrsnn_tuning.Config(validation_fraction=1.0))
    with pytest.raises(ConfigError, match="n_samples"):
        hrsnn_tuning.check_config(hrsnn_tuning.Config(n_samples=1797))
    with pytest.raises(ConfigError, match="n_steps"):
        hrsnn_tuning.check_config(hrsnn_tuning.Config(n_steps=300))


@pytest.mark.parametrize("name, variant", [("heterogeneous", "HeNHeS"), ("homogeneous", "HoNHoS")])
def test_pareto_study_files_search_real_keys_and_name_returned_metrics(name, variant):
    from hetero_brian.experiment.tune import check_search_space, load_tune_config
    from hetero_brian.scenarios import hrsnn_tuning

    config = load_tune_config(STUDIES / f"hrsnn_pareto_{name}.yaml")
    check_search_space(config)
    assert config.scenario == "hrsnn_tuning" and config.base["variants"] == [variant]
    assert [(o.metric, o.direction) for o in config.objectives] == [
        ("activity_over_memory_capacity", "minimize"), ("validation_accuracy", "maximize")]
    assert {o.metric for o in config.objectives} <= set(hrsnn_tuning.METRICS)
    assert "test_accuracy" not in {o.metric for o in config.objectives}
    low, high, unit = config.parameters["tau_m.mean"].bounds()
    assert (low, high, unit) == (5.0, 400.0, "ms")


TINY = dict(n_neurons=30, n_input=10, n_steps=300, n_train_steps=20, max_delay=5, n_samples=100, n_stdp_samples=10,
            mc_weight_input="4 mV")


@pytest.mark.slow
def test_tiny_run_gives_finite_objectives_and_test_images_do_not_change_validation(tmp_path):
    """Both objectives and the reported test accuracy are finite; presenting the test images (last, plasticity
    off) changes neither E nor the validation accuracy."""
    from hetero_brian.scenarios import hrsnn_tuning

    use_numpy_target()
    runs = {}
    for evaluate_test in (True, False):
        config = hrsnn_tuning.Config(**TINY, evaluate_test=evaluate_test)
        runs[evaluate_test] = hrsnn_tuning.run(config, tmp_path, backend="runtime", seed=3)
    with_test, without_test = runs[True], runs[False]
    for key in ("activity_over_memory_capacity", "mc_net", "validation_accuracy", "test_accuracy", "rate_hz"):
        assert math.isfinite(with_test[key]), key
    assert 0 <= with_test["validation_accuracy"] <= 1 and with_test["mc_net"] > 0
    assert "test_accuracy" not in without_test
    for key in ("activity_over_memory_capacity", "validation_accuracy"):
        assert without_test[key] == with_test[key]


@pytest.mark.slow
def test_two_trial_pareto_study_runs(tmp_path):
    import concurrent.futures

    from hetero_brian.experiment.tune import load_tune_config, run_study

    use_numpy_target()
    config = load_tune_config(STUDIES / "hrsnn_pareto_heterogeneous.yaml", trials=2)
    config = config.model_copy(update={"base": {**config.base, **TINY}, "backend": "runtime", "startup_trials": 1})
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        report = run_study(config, tmp_path / "study", executor=executor, isolate=False, progress=False)
    trials = report.study.get_trials()
    assert len(trials) == 2 and all(len(trial.values) == 2 for trial in trials)
    assert report.best_files and all(path.parent.name == "pareto" for path in report.best_files)


@pytest.mark.slow
def test_shared_build_presents_exactly_the_configured_network():
    """simulate_seed with shared_build (defaults built, configured samples run) gives the counts of a build of the
    configured network."""
    from hetero_brian.inputs import load_sklearn_digits, row_frames
    from hetero_brian.protocols.hrsnn_2x2 import simulate_seed
    from hetero_brian.scenarios import hrsnn_tuning

    use_numpy_target()
    config = hrsnn_tuning.Config(n_neurons=30, n_stdp_samples=4, tau_m={"distribution": "gamma", "mean": "60 ms",
                                                                         "cv": 1.2},
                                 tau_pre={"distribution": "lognormal", "mean": "12 ms", "cv": 1.1}, shuffle=False)
    frames = row_frames(load_sklearn_digits().samples[:12])
    counts = [simulate_seed(config, frames[:8], frames[8:], None, "runtime", 5, "t", ["HeNHeS"],
                            dict.fromkeys(("encode", "build", "runs"), 0.0), False, "t", shared_build=shared)[0]
              for shared in (False, True)]
    assert counts[0]["HeNHeS"].sum() > 0
    np.testing.assert_array_equal(counts[0]["HeNHeS"], counts[1]["HeNHeS"])
