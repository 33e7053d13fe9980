"""Tests of hetero_brian.quantities (text -> quantity) and hetero_brian.config (schemas, files)."""

import numpy as np
import pytest
from brian2 import Hz, Mohm, amp, mV, ms, nA, nS, pF, second, um, volt
from brian2.units.fundamentalunits import DIMENSIONLESS, Quantity, get_dimensions

from hetero_brian.config import (
    DistributionField,
    QuantityField,
    StrictModel,
    apply_overrides,
    deep_merge,
    load_config_file,
    validate_config,
)
from hetero_brian.distributions import Constant, Gamma, LogNormal, Normal, Uniform
from hetero_brian.errors import ConfigError, UnitError
from hetero_brian.quantities import format_quantity, parse_quantity

# --- quantities ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("20 ms", 20 * ms),
        ("0.5*mV", 0.5 * mV),
        ("1e-3 second", 1e-3 * second),
        ("10 Hz", 10 * Hz),
        ("2 nS", 2 * nS),
        ("-70 mV", -70 * mV),
        ("+3.5 pF", 3.5 * pF),
        (".5 ms", 0.5 * ms),
        ("20ms", 20 * ms),
        ("2e-3s", 2e-3 * second),
        ("  7   Mohm ", 7 * Mohm),
        ("3 mV/ms", 3 * mV / ms),
        ("2 nA * ms", 2e-12 * amp * second),
        ("10 / second", 10 * Hz),
        ("1 ms ** -1", 1000 * Hz),
        ("1 ms ** (-1)", 1000 * Hz),
        ("4 um**2", 4 * um * um),
        ("4 µm", 4 * um),
        ("1 (mV/ms)**2", 1 * (volt / second) ** 2),
        ("0.1 nS/um**2", 0.1 * nS / um**2),
        ("1 metre ** 2 * kilogram * second ** -3 * amp ** -1", 1 * volt),
    ],
)
def test_parse_quantity_forms(text, expected):
    value = parse_quantity(text)
    assert get_dimensions(value) == get_dimensions(expected)
    assert float(value) == pytest.approx(float(expected), rel=1e-15, abs=0)


def test_parse_dimensionless():
    assert float(parse_quantity("5")) == 5.0 and get_dimensions(parse_quantity("5")) == DIMENSIONLESS
    assert float(parse_quantity(5, 1, "cv")) == 5.0
    assert float(parse_quantity("-2.5e1", 1)) == -25.0


@pytest.mark.parametrize(
    "text, message",
    [
        ("20 parsecs", "unknown unit 'parsecs'"),
        ("20 msec", "unknown unit 'msec'; did you mean 'msecond'"),
        ("10 hz", "unknown unit 'hz'; did you mean 'Hz'"),
        ("__import__('os')", "cannot read"),
        ("__import__('os').system('true')", "cannot read"),
        ("", "empty"),
        ("   ", "empty"),
        ("ms", "expected a number first"),
        ("20 mV mV", "unexpected 'mV'"),
        ("5 ms *", "expected a unit name"),
        ("1e999 ms", "not finite"),
        ("nan ms", "expected a number first"),
        ("(20 ms", "expected a number first"),
        ("20 (ms", "missing '\\)'"),
        ("2 ms ** x", "plain number"),
        ("20; ms", "unexpected character ';'"),
    ],
)
def test_parse_rejections(text, message):
    with pytest.raises(UnitError, match=message):
        parse_quantity(text, None, "tau_m")


def test_dimension_checks_name_the_key():
    with pytest.raises(
        UnitError, match=r"^tau_m: got '20 mV', which has dimension volt but second is expected"
    ):
        parse_quantity("20 mV", ms, "tau_m")
    with pytest.raises(UnitError, match=r"tau_m: 20 is a bare number .* e\.g\. '20 ms'"):
        parse_quantity(20, ms, "tau_m")
    with pytest.raises(UnitError, match="tau_m: got '5'.*dimensionless but second"):
        parse_quantity("5", ms, "tau_m")
    with pytest.raises(UnitError, match="tau_m: expected a quantity"):
        parse_quantity(True, None, "tau_m")
    assert parse_quantity(5 * ms, ms) == 5 * ms  # a quantity is only checked
    with pytest.raises(UnitError, match="dimension volt"):
        parse_quantity(5 * mV, ms, "tau_m")


def test_format_round_trips_exactly():
    rng = np.random.default_rng(3)
    units = [ms, mV, nS, Hz, nA, pF, Mohm, mV / ms, nA * ms, second, volt, um**2, 1 / ms, nS / um**2]
    for k in range(420):  # ~3 ms each (Brian2's best-unit search)
        unit = units[k % len(units)]
        value = float(10 ** rng.uniform(-9, 9) * rng.choice([-1, 1])) * unit
        text = format_quantity(value)
        assert isinstance(text, str) and "(" not in text.split(" ")[0]
        parsed = parse_quantity(text)
        assert float(parsed) == float(value) and get_dimensions(parsed) == get_dimensions(value), text
    assert format_quantity(20 * ms) == "20.0 ms"
    assert format_quantity(Quantity(0.5)) == "0.5"


# --- configuration models -----------------------------------------------------------------------


class NeuronConfig(StrictModel):
    tau_m: DistributionField(ms) = "20 ms"
    tau_pre: DistributionField(ms) = Gamma(15 * ms, 0.3)
    v_threshold: QuantityField(mV) = "-50 mV"
    weight: DistributionField(1) = 0.5


class ScenarioConfig(StrictModel):
    network: NeuronConfig = NeuronConfig()
    duration: QuantityField(second) = "1 s"
    n_neurons: int = 100
    seeds: list[int] = []


def _error(data):
    with pytest.raises(ConfigError) as caught:
        validate_config(ScenarioConfig, data, "demo.yaml")
    return str(caught.value)


def test_defaults_and_serialisation_round_trip():
    config = validate_config(ScenarioConfig, {})
    assert config.network.tau_m == Constant(20 * ms)
    assert config.network.tau_pre == Gamma(15 * ms, 0.3)
    assert config.network.v_threshold == -50 * mV and config.duration == 1 * second
    dumped = config.model_dump(mode="json")
    assert dumped["duration"] == "1.0 s" and dumped["network"]["tau_pre"]["mean"] == "15.0 ms"
    assert validate_config(ScenarioConfig, dumped) == config


def test_unknown_key_suggests_the_closest_name():
    message = _error({"network": {"tau_mm": "20 ms"}})
    assert message == "demo.yaml: network.tau_mm: unknown key (value '20 ms'); did you mean 'tau_m'?"
    assert _error({"durration": "2 s"}).endswith(
        "durration: unknown key (value '2 s'); did you mean 'duration'?"
    )
    deep = _error({"network": {"tau_m": {"distribution": "gamma", "mean": "20 ms", "cvv": 0.5}}})
    assert deep == "demo.yaml: network.tau_m.cvv: unknown key (value 0.5); did you mean 'cv'?"
    unrelated = _error({"zzz": 1})
    assert "zzz: unknown key" in unrelated and "valid keys: network, duration, n_neurons, seeds" in unrelated


def test_bad_units_name_the_key_and_value():
    message = _error({"network": {"tau_m": {"distribution": "gamma", "mean": "20 mV", "cv": 0.5}}})
    assert message == (
        "demo.yaml: network.tau_m.mean: got '20 mV', which has dimension volt but second " "is expected"
    )
    assert "duration: got '1 mV'" in _error({"duration": "1 mV"})
    assert "network.v_threshold: cannot read '-50 millivolts'" in _error(
        {"network": {"v_threshold": "-50 millivolts"}}
    )
    assert "duration: 5 is a bare number" in _error({"duration": 5})


def test_one_line_per_problem():
    message = _error(
        {"network": {"tau_mm": "1 ms", "v_threshold": "3 ms"}, "seeds": [1, "x"], "n_neurons": "many"}
    )
    lines = message.splitlines()
    assert len(lines) == 4 and all(line.startswith("demo.yaml: ") for line in lines)
    assert any(line.startswith("demo.yaml: seeds[1]:") and "'x'" in line for line in lines)
    assert any(line.startswith("demo.yaml: n_neurons:") and "'many'" in line for line in lines)


def test_distribution_configs_build_the_right_objects():
    cases = [
        ("20 ms", Constant(20 * ms)),
        ({"distribution": "constant", "value": "20 ms"}, Constant(20 * ms)),
        ({"distribution": "uniform", "low": "10 ms", "high": "30 ms"}, Uniform(10 * ms, 30 * ms)),
        (
            {"distribution": "normal", "mean": "20 ms", "std": "5 ms", "low": "1 ms"},
            Normal(20 * ms, 5 * ms, low=1 * ms, high=None),
        ),
        ({"distribution": "lognormal", "mean": "20 ms", "cv": 0.5}, LogNormal(20 * ms, 0.5)),
        ({"distribution": "gamma", "mean": "20 ms", "cv": 0.5}, Gamma(20 * ms, 0.5)),
        ({"distribution": "gamma", "shape": 4.0, "scale": "5 ms"}, Gamma.from_shape_scale(4.0, 5 * ms)),
        (
            Normal(2 * ms, 1 * ms, low=0.5 * ms, high=4 * ms),
            Normal(2 * ms, 1 * ms, low=0.5 * ms, high=4 * ms),
        ),
    ]
    for given, expected in cases:
        built = validate_config(NeuronConfig, {"tau_m": given}).tau_m
        assert type(built) is type(expected) and built == expected, given
    # shape 4, scale 5 ms is mean 20 ms and cv 1/2
    gamma = validate_config(NeuronConfig, {"tau_m": cases[6][0]}).tau_m
    assert float(gamma.mean) == pytest.approx(0.020) and gamma.cv == pytest.approx(0.5)
    assert validate_config(
        NeuronConfig, {"weight": {"distribution": "uniform", "low": 0, "high": 1}}
    ).weight == Uniform(0, 1)


def test_distribution_config_errors():
    def error(value):
        with pytest.raises(ConfigError) as caught:
            validate_config(NeuronConfig, {"tau_m": value})
        return str(caught.value)

    assert "tau_m: unknown distribution 'gama'" in error({"distribution": "gama", "mean": "20 ms", "cv": 0.5})
    assert "did you mean 'gamma'?" in error({"distribution": "gama", "mean": "20 ms", "cv": 0.5})
    assert "tau_m: missing key 'distribution'" in error({"mean": "20 ms"})
    assert "cv must be >= 0" in error({"distribution": "gamma", "mean": "20 ms", "cv": -1})
    assert "either 'mean' and 'cv' or 'shape' and 'scale'" in error(
        {"distribution": "gamma", "mean": "2 ms", "shape": 2}
    )
    assert "low < high" in error({"distribution": "uniform", "low": "30 ms", "high": "10 ms"})
    assert "tau_m.std: missing required key" in error({"distribution": "normal", "mean": "20 ms"})
    assert "tau_m.low: got '1 mV'" in error({"distribution": "uniform", "low": "1 mV", "high": "2 ms"})


def test_no_eval_anywhere(tmp_path, monkeypatch):
    import builtins

    def forbidden(*args):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    message = _error({"duration": "__import__('os').system('touch pwned')"})
    assert "duration: cannot read" in message and not (tmp_path / "pwned").exists()
    assert validate_config(ScenarioConfig, {"duration": "2 s"}).duration == 2 * second


# --- files and overrides ------------------------------------------------------------------------


def test_yaml_and_toml_files_give_the_same_config(tmp_path):
    yaml_file = tmp_path / "demo.yaml"
    yaml_file.write_text(
        "network:\n  tau_m: {distribution: gamma, mean: 20 ms, cv: 0.5}\nduration: 2 s\nseeds: [1, 2]\n"
    )
    toml_file = tmp_path / "demo.toml"
    toml_file.write_text(
        'duration = "2 s"\nseeds = [1, 2]\n[network.tau_m]\ndistribution = "gamma"\n'
        'mean = "20 ms"\ncv = 0.5\n'
    )
    from_yaml = validate_config(ScenarioConfig, load_config_file(yaml_file))
    from_toml = validate_config(ScenarioConfig, load_config_file(toml_file))
    assert from_yaml == from_toml and from_yaml.network.tau_m == Gamma(20 * ms, 0.5)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_config_file(empty) == {}


def test_config_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="'.*absent.yaml' does not exist"):
        load_config_file(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("network: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml' is not valid YAML.*line"):
        load_config_file(bad)
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("duration = \n")
    with pytest.raises(ConfigError, match="bad.toml' is not valid TOML"):
        load_config_file(bad_toml)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="top level must be a mapping; got list"):
        load_config_file(listing)
    with pytest.raises(ConfigError, match="unknown format '.json'"):
        load_config_file(tmp_path / "config.json")
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("duration: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config_file(unsafe)


def test_overrides():
    base = {"network": {"tau_m": "20 ms"}, "seeds": [1]}
    updated = apply_overrides(
        base,
        [
            "network.v_threshold=-55 mV",
            "n_neurons=200",
            "duration=2 s",
            "network.tau_pre={distribution: gamma, mean: 20 ms, cv: 0.5}",
            "seeds=[3, 4]",
        ],
    )
    assert base == {"network": {"tau_m": "20 ms"}, "seeds": [1]}  # the input is not modified
    config = validate_config(ScenarioConfig, updated)
    assert config.n_neurons == 200 and config.seeds == [3, 4] and config.network.v_threshold == -55 * mV
    assert config.network.tau_pre == Gamma(20 * ms, 0.5) and config.duration == 2 * second
    typo = apply_overrides({}, ["network.tau_mn=5 ms"])
    with pytest.raises(ConfigError, match="network.tau_mn: unknown key.*did you mean 'tau_m'"):
        validate_config(ScenarioConfig, typo)
    with pytest.raises(ConfigError, match="expected key=value"):
        apply_overrides({}, ["network.tau_m"])
    with pytest.raises(ConfigError, match="empty part"):
        apply_overrides({}, ["network..tau_m=1 ms"])
    with pytest.raises(ConfigError, match="network.tau_m holds '20 ms', not a mapping"):
        apply_overrides(base, ["network.tau_m.cv=0.3"])
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}, "d": 4}) == {"a": {"b": 1, "c": 3}, "d": 4}
