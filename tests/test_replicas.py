"""Replicas of a network in one run: identity without perturbation, closed-form contraction."""
import numpy as np
import pytest
from brian2 import Hz, mV, ms

from hetero_brian.analysis.replica_distances import membrane_distance
from hetero_brian.analysis.trajectory_divergence import divergence_rate
from hetero_brian.backends.runtime import RuntimeBackend
from hetero_brian.distributions import Uniform
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import StaticSynapse
from hetero_brian.network.spec import NetworkSpec, PoissonInput, Population, Projection
from hetero_brian.network.connectivity import fixed_probability
from hetero_brian.protocols.replicas import ReplicaSimulator, replicate_spec


def numpy_backend():
    return RuntimeBackend(target="numpy")


def coupled_spec(n=12):
    i, j = fixed_probability(n, n, 0.3, rng=2, allow_self=False)
    ii, jj = fixed_probability(10, n, 0.5, rng=3, allow_self=True)
    return NetworkSpec(
        populations=(Population("cells", n, LIF(tau_m=Uniform(10 * ms, 30 * ms))),),
        inputs=(PoissonInput("drive", 10, 200 * Hz),),
        projections=(Projection("rec", "cells", "cells", StaticSynapse(weight=2 * mV), i, j),
                     Projection("feed", "drive", "cells", StaticSynapse(weight=6 * mV), ii, jj)))


def test_replicate_spec_is_block_diagonal_with_shared_input():
    spec = coupled_spec()
    replicated = replicate_spec(spec, 3)
    rec = {p.name: p for p in replicated.projections}["rec"]
    feed = {p.name: p for p in replicated.projections}["feed"]
    base = {p.name: p for p in spec.projections}
    assert replicated.populations[0].n_neurons == 36
    blocks_i, blocks_j = np.asarray(rec.i) // 12, np.asarray(rec.j) // 12
    assert np.array_equal(blocks_i, blocks_j)  # no synapse crosses blocks
    for k in range(3):
        mask = blocks_i == k
        assert np.array_equal(np.asarray(rec.i)[mask] - 12 * k, base["rec"].i)
        fmask = np.asarray(feed.j) // 12 == k
        assert np.array_equal(np.asarray(feed.i)[fmask], base["feed"].i)  # same input channels
    with pytest.raises(ValueError, match="n_copies"):
        replicate_spec(spec, 1)


def test_zero_perturbation_replicas_stay_identical_to_reference():
    spec = coupled_spec()
    with ReplicaSimulator(spec, [0.0, 0.0], 60 * ms, backend=numpy_backend(), seed=5) as replicas:
        result = replicas.run(seed=11)
    spikes = result.spikes["cells"]
    assert spikes.timestamps.size > 20  # the network is active, driven by the Poisson input
    block = spikes.node_ids // 12
    reference = sorted(zip(np.round(spikes.timestamps[block == 0] / 1e-4).astype(int), spikes.node_ids[block == 0]))
    for k in (1, 2):
        mask = block == k
        replica = sorted(zip(np.round(spikes.timestamps[mask] / 1e-4).astype(int), spikes.node_ids[mask] - 12 * k))
        assert replica == reference
    v = result.traces["cells.v"].values
    assert np.array_equal(v[:, 12:24], v[:, :12]) and np.array_equal(v[:, 24:], v[:, :12])
    # the recorded parameters are the tiled ones actually simulated
    tau = result.populations["cells"].parameters["tau_m"]
    assert np.array_equal(tau[:12], tau[12:24])


def test_uncoupled_subthreshold_deviation_decays_at_minus_one_over_tau():
    tau_m = 20e-3
    spec = NetworkSpec(populations=(Population("cells", 6, LIF(tau_m=tau_m * 1e3 * ms)),))
    with ReplicaSimulator(spec, [1e-6, 1e-3], 40 * ms, backend=numpy_backend(), seed=1,
                          record_interval=0.5 * ms) as replicas:
        result = replicas.run(parameters={"cells.I_ext": 10 * mV})  # v_th - v_rest = 15 mV: no spikes
    assert result.spikes["cells"].timestamps.size == 0
    times, distance, scaled = membrane_distance(result)
    assert distance[0, 0] == pytest.approx(1e-6, rel=1e-6)
    assert distance[0, 1] == pytest.approx(1e-3, rel=1e-6)
    # closed form: d(t) = d(0) exp(-t / tau_m) for the linear, uncoupled membrane
    np.testing.assert_allclose(distance[:, 1], 1e-3 * np.exp(-times / tau_m), rtol=1e-6)
    fit = divergence_rate(times, scaled[:, 0, :], scaled[:, 2, :])
    assert fit.regime == "contracting"
    assert fit.rate == pytest.approx(-1 / tau_m, rel=1e-3)


def test_suprathreshold_reset_erases_small_deviation():
    """Between spikes the deviation decays as exp(-t/tau_m); the reset erases it exactly."""
    tau_m = 10e-3
    spec = NetworkSpec(populations=(Population("cells", 4, LIF(tau_m=tau_m * 1e3 * ms, t_ref=0 * ms)),))
    with ReplicaSimulator(spec, [1e-7], 60 * ms, backend=numpy_backend(), seed=4,
                          record_interval=0.1 * ms) as replicas:
        result = replicas.run(parameters={"cells.I_ext": 30 * mV})
    spikes = result.spikes["cells"]
    v = result.traces["cells.v"].values
    times = result.traces["cells.v"].times
    for neuron in range(4):
        first = spikes.timestamps[spikes.node_ids == neuron].min()
        before = times < first - 1e-9
        deviation = v[before, 4 + neuron] - v[before, neuron]
        np.testing.assert_allclose(deviation, deviation[0] * np.exp(-times[before] / tau_m), rtol=1e-5)
    after = times > spikes.timestamps.max() - 1e-9
    last_first_spike = max(spikes.timestamps[spikes.node_ids == k].min() for k in range(4))
    assert np.all(v[times > last_first_spike + 1e-9, 4:] == v[times > last_first_spike + 1e-9, :4])
    assert after.any()


def test_bad_inputs():
    spec = coupled_spec()
    with pytest.raises(ValueError, match="epsilons"):
        ReplicaSimulator(spec, [], 10 * ms, backend=numpy_backend(), seed=1)
    with pytest.raises(ValueError, match="epsilons"):
        ReplicaSimulator(spec, [1e-3, -1e-3], 10 * ms, backend=numpy_backend(), seed=1)
    with pytest.raises(ValueError, match="floating-point"):
        ReplicaSimulator(spec, [1e-18], 10 * ms, backend=numpy_backend(), seed=1)
    simulator = ReplicaSimulator(spec, [0.0, 1e-3], 10 * ms, backend=numpy_backend(), seed=1)
    with pytest.raises(ValueError, match="n_segments"):
        simulator.run_renormalised(3)


def test_use_models_resamples_without_rebuilding_and_refuses_other_equations():
    from hetero_brian.models.neurons import AdaptiveLIF

    spec = NetworkSpec(populations=(Population("cells", 3, LIF(tau_m=20 * ms)),))
    with ReplicaSimulator(spec, [1e-3], 20 * ms, backend=numpy_backend(), seed=1,
                          record_interval=0.5 * ms) as replicas:
        replicas.use_models({"cells": LIF(tau_m=10 * ms)})
        result = replicas.run(parameters={"cells.I_ext": 10 * mV})
        np.testing.assert_allclose(result.populations["cells"].parameters["tau_m"], 0.01)
        times, distance, _ = membrane_distance(result)
        np.testing.assert_allclose(distance[:, 0], 1e-3 * np.exp(-times / 0.01), rtol=1e-6)
        with pytest.raises(ValueError, match="same equations"):
            replicas.use_models({"cells": AdaptiveLIF()})
        with pytest.raises(ValueError, match="unknown populations"):
            replicas.use_models({"other": LIF()})


def test_use_models_refuses_heterogeneity_for_a_shared_constant_and_accepts_it_per_neuron():
    from dataclasses import replace

    from hetero_brian.distributions import Gamma

    spec = NetworkSpec(populations=(Population("cells", 4, LIF(tau_m=20 * ms)),))
    heterogeneous = {"cells": LIF(tau_m=Gamma(20 * ms, 0.5))}
    with ReplicaSimulator(spec, [1e-3], 5 * ms, backend=numpy_backend(), seed=1) as replicas:
        with pytest.raises(ValueError, match=r"varies \['tau_m'\].*shared_constants=False"):
            replicas.use_models(heterogeneous)
    with ReplicaSimulator(replace(spec, shared_constants=False), [1e-3], 5 * ms, backend=numpy_backend(),
                          seed=1) as replicas:
        replicas.use_models(heterogeneous)
        tau_m = np.asarray(replicas.run().populations["cells"].parameters["tau_m"])
        assert tau_m.shape == (8,) and np.unique(tau_m).size == 4  # reference + 1 replica, 4 distinct values


@pytest.mark.parametrize("backend", ["numpy", pytest.param("cpp_standalone", marks=pytest.mark.standalone)])
def test_renormalised_segments_give_minus_one_over_tau_for_uncoupled_cells(backend, tmp_path):
    """Every segment's log growth is -T/tau_m exactly (linear, uncoupled, subthreshold membranes).

    On cpp_standalone this also checks that each segment's final state is read before the
    segment's run folder is removed.
    """
    tau_m, segment = 20e-3, 10e-3
    spec = NetworkSpec(populations=(Population("cells", 4, LIF(tau_m=tau_m * 1e3 * ms)),))
    chosen = numpy_backend() if backend == "numpy" else backend
    with ReplicaSimulator(spec, [1e-6, 1e-4], segment * 1e3 * ms, backend=chosen, seed=1,
                          build_root=tmp_path) as replicas:
        result = replicas.run_renormalised(11, parameters={"cells.I_ext": 10 * mV})
    np.testing.assert_allclose(result.traces["replicas.log_growth"].values, -segment / tau_m, rtol=1e-5)
    if backend == "cpp_standalone":
        assert not list((tmp_path).glob("*/results/segment-*"))  # every segment's folder discarded
