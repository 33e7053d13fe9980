"""Constant decays computed once per run (models.decay): same numbers as exp(-dt/tau) per step."""
import re

import numpy as np
import pytest
from brian2 import Hz, Network, NeuronGroup, mV, ms, second

from brian_helpers import use_numpy_target

from hetero_brian.distributions import Gamma
from hetero_brian.models.decay import (DecayFactorUpdate, PrecomputedDecay, decaying_time_constants,
                                       with_precomputed_decays)
from hetero_brian.models.neurons import AdaptiveLIF, ConductanceLIF, LIF
from hetero_brian.models.synapses import STDP
from hetero_brian.network import builder
from hetero_brian.network.reservoir import default_synapses, reservoir_spec
from hetero_brian.network.spec import PoissonInput
from hetero_brian.network.recording import Recording, StateRecord
from hetero_brian.simulate import simulate

TRACES = "dapre_ee/dt = -apre_ee / taupre_ee : 1\ntaupre_ee : second (constant)"


def test_per_element_time_constants_of_exponential_methods_are_found():
    equations = AdaptiveLIF().equations(TRACES, shared=("tau_syn",))
    assert decaying_time_constants(equations, "exponential_euler") == ["tau_m", "tau_adapt", "taupre_ee"]
    assert decaying_time_constants(equations, "exact") == ["tau_m", "tau_adapt", "taupre_ee"]
    # t_ref is a per-neuron time but decays nothing; euler writes no exponential
    assert "t_ref" not in decaying_time_constants(LIF().equations(), "exponential_euler")
    assert decaying_time_constants(ConductanceLIF().equations(), "euler") == []


def test_generated_code_reads_the_factors_instead_of_exp():
    model = AdaptiveLIF()
    equations, method, time_constants = with_precomputed_decays(model.equations(TRACES), model.method)
    assert isinstance(method, PrecomputedDecay) and set(time_constants) >= {"tau_m", "tau_syn", "tau_adapt", "taupre_ee"}
    group = NeuronGroup(3, equations, method=method)
    code = method(group.equations, group.variables)
    assert "exp" not in code
    for name in time_constants:
        assert f"decay_factor_{name}" in code


def test_refractory_membrane_reads_its_factor_too():
    # `(unless refractory)` makes Brian2 write exp(-dt*int(not_refractory)/tau_m): the factor must
    # replace it as well (it did not before: the membrane kept one exp per neuron and step)
    model = LIF(tau_m=Gamma(20 * ms, 0.3))
    equations, method, time_constants = with_precomputed_decays(
        model.equations("", frozenset(model.constant_parameters())), model.method)
    group = NeuronGroup(3, equations, threshold="v > v_th", reset="v = v_reset", refractory=2 * ms,
                        method=method, namespace=model.namespace())
    group.state_updater.before_run({})
    code = group.state_updater.abstract_code
    # the only exponential left is the shared tau_syn's, which Brian2 hoists out of the neuron loop
    assert time_constants == ["tau_m"] and re.findall(r"exp\([^)]*\)", code) == ["exp(-dt/tau_syn)"]
    assert "decay_factor_tau_m**int(not_refractory)" in code


@pytest.mark.parametrize("dt", [0.1 * ms, 0.025 * ms, 1 * ms])
def test_decay_factor_equals_the_analytic_decay(dt):
    use_numpy_target()
    taus = np.array([1.0, 2.5, 5.0, 20.0, 150.0, 1e4]) * ms
    equations, method, time_constants = with_precomputed_decays(LIF().equations(), "exponential_euler")
    group = NeuronGroup(len(taus), equations, method=method, dt=dt)
    group.tau_m, group.tau_syn = taus, taus[::-1]
    network = Network(group, DecayFactorUpdate(group, time_constants))
    network.run(dt)
    np.testing.assert_allclose(group.decay_factor_tau_m[:], np.exp(-float(dt) / np.asarray(taus)), rtol=2e-16, atol=0)
    np.testing.assert_allclose(group.decay_factor_tau_syn[:], np.exp(-float(dt) / np.asarray(taus[::-1])), rtol=2e-16, atol=0)


def test_factors_follow_time_constants_changed_between_runs():
    use_numpy_target()
    equations, method, time_constants = with_precomputed_decays(LIF().equations(), "exponential_euler")
    group = NeuronGroup(2, equations, method=method)
    group.tau_m, group.tau_syn = 10 * ms, 5 * ms
    network = Network(group, DecayFactorUpdate(group, time_constants))
    network.run(1 * ms)
    group.tau_m = [1, 2] * ms  # a second run() recomputes at its start
    network.run(1 * ms)
    np.testing.assert_array_equal(group.decay_factor_tau_m[:], np.exp(-0.1 / np.array([1.0, 2.0])))


def _heterogeneous_spec(n_neurons=1000):
    """1k reservoir with per-neuron tau_m, tau_syn, tau_adapt and neuron-level STDP traces."""
    neuron = AdaptiveLIF(tau_m=Gamma(20 * ms, 0.3), tau_syn=Gamma(5 * ms, 0.3), tau_adapt=Gamma(150 * ms, 0.3),
                         v_rest=-65 * mV, v_reset=-65 * mV, v_th=-50 * mV, beta=0.5 * mV)
    stdp = STDP(weight=0.5 * mV, w_max=1 * mV, tau_pre=Gamma(20 * ms, 0.3), tau_post=Gamma(20 * ms, 0.3),
                traces="neuron")
    return reservoir_spec(n_neurons, PoissonInput("input", 200, 75 * Hz), seed=3, neuron=neuron,
                          synapses=default_synapses(stdp=stdp), p_recurrent=0.02, p_input=0.1)


def _run(spec, backend, tmp_path, precompute):
    recording = Recording(spikes="all", states=(StateRecord("exc", ("v",), tuple(range(0, 800, 40))),))
    original = builder.with_precomputed_decays
    if not precompute:  # the code before this mechanism: exp(-dt/tau) per neuron and step
        builder.with_precomputed_decays = lambda equations, method: (equations, method, [])
    try:
        return simulate(spec, 0.2 * second, backend=backend, seed=5, recording=recording,
                        build_root=tmp_path / ("new" if precompute else "old"))
    finally:
        builder.with_precomputed_decays = original


def _assert_identical(old, new):
    for name in ("exc", "inh"):
        np.testing.assert_array_equal(old.spikes[name].node_ids, new.spikes[name].node_ids)
        np.testing.assert_array_equal(old.spikes[name].timestamps, new.spikes[name].timestamps)
    assert old.spikes["exc"].node_ids.size > 100  # the network is active
    v_old, v_new = (np.asarray(result.traces["exc.v"].values) for result in (old, new))
    assert np.max(np.abs(v_old - v_new)) == 0.0  # bit-identical membrane potentials


@pytest.mark.slow
def test_identical_spikes_and_membrane_potentials_runtime(tmp_path):
    spec = _heterogeneous_spec()
    _assert_identical(_run(spec, "runtime", tmp_path, False), _run(spec, "runtime", tmp_path, True))


@pytest.mark.slow
@pytest.mark.standalone
def test_identical_spikes_and_membrane_potentials_cpp_standalone(tmp_path):
    spec = _heterogeneous_spec()
    _assert_identical(_run(spec, "cpp_standalone", tmp_path, False), _run(spec, "cpp_standalone", tmp_path, True))


@pytest.mark.slow
@pytest.mark.standalone
def test_run_arguments_reach_the_factors_in_cpp_standalone(tmp_path):
    spec = _heterogeneous_spec(200)
    recording = Recording(spikes="all")
    from hetero_brian.simulate import Simulator, final_value

    with Simulator(spec, 20 * ms, backend="cpp_standalone", seed=5, recording=recording, build_root=tmp_path) as simulator:
        result = simulator.run(parameters={"exc.tau_m": 7 * ms}, final_state={"exc": ("decay_factor_tau_m",)})
    factors = np.asarray(final_value(result, "exc", "decay_factor_tau_m"))
    np.testing.assert_allclose(factors, np.exp(-0.1 / 7.0), rtol=2e-16)
