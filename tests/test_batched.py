"""Batched copies (issue 20, item 5): K copies as one network equal K single runs, bit for bit."""
import numpy as np
import pytest
from brian2 import mV, ms

from hetero_brian.distributions import Gamma, Uniform
from hetero_brian.errors import ConfigError
from hetero_brian.models.neurons import LIF
from hetero_brian.models.synapses import STDP, StaticSynapse
from hetero_brian.network.batched import batch_specs
from hetero_brian.network.connectivity import fixed_probability
from hetero_brian.network.spec import NetworkSpec, Population, Projection, RasterInput, SpikeInput
from hetero_brian.protocols.batched import BatchedSimulator
from hetero_brian.network.recording import Recording, StateRecord
from hetero_brian.simulate import Simulator, simulate

DT = 0.1 * ms
N_STEPS = 2000  # 200 ms


def raster(seed, n_channels=30, rate_per_step=0.004):
    return (np.random.default_rng(seed).random((N_STEPS, n_channels)) < rate_per_step).astype(np.uint8)


def copy_spec(structure_seed):
    """A plastic recurrent network driven by a host-side raster; connectivity from ``structure_seed``
    (fixed probability: each copy has its own synapse counts)."""
    rng = np.random.default_rng(structure_seed)
    feed_i, feed_j = fixed_probability(30, 20, 0.4, rng=rng, allow_self=True)
    recurrent_i, recurrent_j = fixed_probability(20, 20, 0.3, rng=rng)
    stdp = STDP(weight=Uniform(0.5 * mV, 1.5 * mV), w_max=2 * mV, tau_pre=Gamma(20 * ms, 0.5),
                tau_post=Gamma(20 * ms, 0.5), eta_plus=0.05, eta_minus=0.04)
    return NetworkSpec(
        populations=(Population("cells", 20, LIF(tau_m=Gamma(15 * ms, 0.4))),),
        inputs=(RasterInput("stim", raster(structure_seed), DT),),
        projections=(Projection("feed", "stim", "cells", StaticSynapse(weight=Uniform(4 * mV, 9 * mV)), feed_i, feed_j),
                     Projection("recurrent", "cells", "cells", stdp, recurrent_i, recurrent_j)),
        structure_seed=structure_seed)


RECORDING = Recording(spikes=("cells", "stim"), states=(StateRecord("cells", ("v",), (0, 3)),))


def assert_equal_results(batched, single):
    for name in ("cells", "stim"):
        assert np.array_equal(batched.spikes[name].node_ids, single.spikes[name].node_ids)
        assert np.array_equal(batched.spikes[name].timestamps, single.spikes[name].timestamps)
    for name in ("feed", "recurrent"):
        assert np.array_equal(batched.synapses[name].i, single.synapses[name].i)
        assert np.array_equal(batched.synapses[name].j, single.synapses[name].j)
        assert np.array_equal(batched.synapses[name].w, single.synapses[name].w)  # final weights, bit for bit
        assert batched.synapses[name].extra.keys() == single.synapses[name].extra.keys()
    assert np.array_equal(batched.traces["cells.v"].values, single.traces["cells.v"].values)
    assert np.array_equal(batched.populations["cells"].parameters["tau_m"], single.populations["cells"].parameters["tau_m"])


def check_batch_equals_single_runs(backend, build_root=None):
    specs = [copy_spec(seed) for seed in (11, 12, 13)]
    seeds = [4, 5, 6]
    assert len({spec.projections[1].n_synapses for spec in specs}) > 1  # copies differ in synapse counts
    with BatchedSimulator(specs, N_STEPS * DT, backend=backend, recording=RECORDING, build_root=build_root) as batch:
        results = batch.run(seeds, final_state={"recurrent": ("w",)})
        other_inputs = [{"stim": raster(100 + k)} for k in range(3)]
        overrides = [{"cells.tau_m": 10 * ms}, {}, {"cells.tau_m": 25 * ms}]
        again = batch.run(seeds, inputs=other_inputs, parameters=overrides)
    for spec, seed, result in zip(specs, seeds, results):
        single = simulate(spec, N_STEPS * DT, backend=backend, seed=seed, recording=RECORDING, build_root=build_root,
                          final_state={"recurrent": ("w",)})
        assert single.spikes["cells"].node_ids.size > 20  # a lively network
        assert not np.array_equal(single.synapses["recurrent"].w, single.synapses["recurrent"].extra["w_initial"])
        assert_equal_results(result, single)
        assert np.array_equal(result.traces["recurrent.w.final"].values, single.traces["recurrent.w.final"].values)
        assert result.provenance["master_seed"] == seed and result.provenance["structure_seed"] == spec.structure_seed
    for k, (spec, seed, result) in enumerate(zip(specs, seeds, again)):
        with Simulator(spec, N_STEPS * DT, backend=backend, seed=seed, recording=RECORDING, build_root=build_root) as one:
            assert_equal_results(result, one.run(inputs=other_inputs[k], parameters=overrides[k]))
    assert not np.array_equal(again[0].spikes["cells"].timestamps, results[0].spikes["cells"].timestamps)


def test_batched_copies_equal_single_runs_on_the_runtime_device():
    check_batch_equals_single_runs("runtime:numpy")


@pytest.mark.standalone
@pytest.mark.slow
def test_batched_copies_equal_single_runs_in_cpp_standalone(tmp_path):
    check_batch_equals_single_runs("cpp_standalone", build_root=tmp_path)


def test_batched_spec_is_block_diagonal_and_refuses_other_structures():
    specs = [copy_spec(seed) for seed in (1, 2)]
    spec, layout = batch_specs(specs)
    assert spec.populations[0].n_neurons == 40 and spec.inputs[0].n_neurons == 60
    recurrent = spec.projections[1]
    first = layout.synapse_slice("recurrent", 0)
    assert first.stop == specs[0].projections[1].n_synapses
    assert recurrent.i[first].max() < 20 and recurrent.i[layout.synapse_slice("recurrent", 1)].min() >= 20
    spikes = SpikeInput("stim", 30, np.array([3, 5]), np.array([1.0, 2.0]) * ms)
    other = NetworkSpec(specs[1].populations, specs[1].projections, (spikes,), DT)
    batched_spikes, _ = batch_specs([other, other])
    assert batched_spikes.inputs[0].indices.tolist() == [3, 5, 33, 35]
    bigger = NetworkSpec((Population("cells", 21, LIF()),), (), specs[0].inputs, DT)
    with pytest.raises(ConfigError, match="differs from copy 0"):
        batch_specs([specs[0], bigger])
