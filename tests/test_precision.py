"""Per-synapse state in float32 (``precision="float32"``): storage types and accuracy on a small network."""
import numpy as np
import pytest
from brian2 import Hz, mV, ms, second

from hetero_brian.distributions import Gamma, Uniform
from hetero_brian.models.synapses import STDP, StaticSynapse
from hetero_brian.network.builder import build
from hetero_brian.network.reservoir import default_synapses, reservoir_spec
from hetero_brian.network.spec import PoissonInput
from hetero_brian.simulate import simulate


def _stdp(precision, **options):
    return STDP(weight=Uniform(0.1 * mV, 0.9 * mV), w_max=1 * mV, tau_pre=Gamma(20 * ms, 0.3),
                tau_post=Gamma(20 * ms, 0.3), eta_plus=Uniform(0.005, 0.015), precision=precision, **options)


def test_float32_stores_weights_traces_and_per_synapse_parameters():
    assert _stdp("float64").variable_dtypes() == {}
    dtypes = _stdp("float32").variable_dtypes(shared=("eta_minus",))
    assert set(dtypes) == {"w", "apre", "apost", "taupre", "taupost", "eta_plus"}
    assert all(dtype == np.float32 for dtype in dtypes.values())
    assert set(_stdp("float32", traces="neuron").variable_dtypes()) == {"w", "eta_plus", "eta_minus"}
    assert set(StaticSynapse(weight=1 * mV, precision="float32").variable_dtypes()) == {"w"}
    with pytest.raises(ValueError, match="precision"):
        StaticSynapse(weight=1 * mV, precision="float16")


def _spec(precision):
    synapses = default_synapses(stdp=_stdp(precision))
    return reservoir_spec(200, PoissonInput("input", 50, 50 * Hz), seed=2, synapses=synapses, p_recurrent=0.1)


def test_builder_gives_the_synapses_their_storage_type():
    built = build(_spec("float32"), 4, clock_name="test_clock")
    variables = built.synapses["ee"].variables
    for name in ("w", "apre", "apost", "taupre", "taupost"):
        assert variables[name].dtype == np.float32
    assert variables["lastupdate"].dtype == np.float64
    assert built.synapses["ei"].variables["w"].dtype == np.float64  # default_synapses' static ones stay float64
    assert built.groups["exc"].variables["v"].dtype == np.float64


@pytest.mark.slow
def test_float32_synapses_keep_rates_and_weights_close_to_float64():
    results = {precision: simulate(_spec(precision), 1 * second, backend="runtime", seed=3) for precision in ("float64", "float32")}
    rates = {precision: result.spikes["exc"].node_ids.size / 160 for precision, result in results.items()}
    assert rates["float32"] == pytest.approx(rates["float64"], rel=0.05)
    w64, w32 = (np.asarray(results[precision].synapses["ee"].w) for precision in ("float64", "float32"))
    # one second of STDP: weights (0.1..0.9 mV, w_max 1 mV) agree in their mean and distribution
    assert abs(w32.mean() - w64.mean()) < 0.01 * 1e-3
    assert np.abs(np.sort(w32) - np.sort(w64)).max() < 0.05 * 1e-3


@pytest.mark.parametrize("scenario", ["hrsnn_digits", "hrsnn_fsdd"])
def test_hrsnn_synapse_precision_key_reaches_every_synapse_model(scenario):
    from hetero_brian.experiment.runner import load_scenario
    from hetero_brian.network.hrsnn import hrsnn_spec

    config_class = load_scenario(scenario).Config
    assert config_class().synapse_precision == "float64"
    assert "weights" in config_class.model_fields["synapse_precision"].description
    config = config_class(n_neurons=20, synapse_precision="float32")
    spec = hrsnn_spec(config, PoissonInput("input", 8, 20 * Hz), 1)
    assert {p.name: p.synapse.precision for p in spec.projections} == dict.fromkeys(
        ("ee", "ei", "ie", "ii", "input_exc", "input_inh"), "float32")
    built = build(spec, 1, clock_name="test_clock")
    for name in ("w", "apre", "apost", "taupre", "taupost", "eta_plus", "eta_minus"):
        assert built.synapses["ee"].variables[name].dtype == np.float32, name
    assert all(built.synapses[name].variables["w"].dtype == np.float32 for name in ("ei", "ie", "ii", "input_exc"))
    default = hrsnn_spec(config_class(n_neurons=20), PoissonInput("input", 8, 20 * Hz), 1)
    assert all(p.synapse.precision == "float64" for p in default.projections)
    with pytest.raises(ValueError, match="synapse_precision"):
        config_class(synapse_precision="float16")
