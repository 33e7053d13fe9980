"""Run K copies of one network structure as one Brian2 network; results split back per copy.

For parameter sweeps and for presenting K input streams to one frozen network at once: one build
(one compilation), populations of ``K N`` neurons, block-diagonal connectivity
(:mod:`hetero_brian.network.batched`). Each copy has its own connectivity, its own seed (its
heterogeneous parameters come from that seed's streams, exactly as in a single run), its own
parameter overrides and its own input values. With host-side inputs (``SpikeInput``,
``RasterInput``) every copy's spikes and final weights equal those of a single run of that copy with
the same seed; device-drawn input (``PoissonInput``, ``RateInput``, noise) comes from one generator
for the whole batch and differs from the single runs.

Examples
--------
>>> with BatchedSimulator([spec_a, spec_b], 200 * ms, backend="cpp_standalone") as batch:  # doctest: +SKIP
...     first, second = batch.run(seeds=[1, 2], inputs=[{"pixels": raster_a}, {"pixels": raster_b}])
"""
import dataclasses

import numpy as np
from brian2 import Quantity

from ..errors import ConfigError
from ..network.batched import batch_inputs, batch_parameters, batch_specs, split_result
from ..network.builder import sample_network_parameters
from ..random import SeedStreams
from ..network.recording import Recording
from ..simulate import Simulator


class BatchedSimulator:
    """Build K copies as one network once; run batches of K seeds / parameters / inputs.

    Parameters
    ----------
    specs : sequence of NetworkSpec
        The copies (same structure; connectivity and input values may differ).
    duration : brian2.Quantity or list of (brian2.Quantity, dict)
        As in :class:`~hetero_brian.simulate.Simulator` (phase assignments apply to every copy).
    backend, report, build_root, keep_run_directories
        As in :class:`~hetero_brian.simulate.Simulator`.
    recording : Recording
        What each copy records (state indices are per copy).
    seed : int, optional
        Build seed (parameters baked into the build; every run passes its own).
    """

    def __init__(self, specs, duration, backend="auto", recording=Recording(), seed=None, report=None,
                 build_root=None, keep_run_directories=False):
        self.copies = list(specs)
        self.spec, self.layout = batch_specs(self.copies)
        self.recording = recording
        self._samples = {}  # (copy, seed) -> that copy's sampled parameters, of the last run
        self.simulator = Simulator(self.spec, duration, backend=backend, seed=seed, recording=self._batched(recording),
                                   report=report, build_root=build_root, keep_run_directories=keep_run_directories)

    @property
    def n_copies(self):
        return self.layout.n_copies

    def _batched(self, recording):
        """The recording of the batched network: every copy's state indices."""
        states = []
        for record in recording.states:
            if record.owner in self.layout.sizes:
                offsets = [self.layout.neuron_slice(record.owner, k).start for k in range(self.n_copies)]
            else:
                offsets = [self.layout.synapse_slice(record.owner, k).start for k in range(self.n_copies)]
            indices = tuple(int(index) + offset for offset in offsets for index in record.indices)
            states.append(dataclasses.replace(record, indices=indices))
        return dataclasses.replace(recording, states=tuple(states))

    def __enter__(self):
        self.simulator.__enter__()
        return self

    def __exit__(self, kind, error, traceback):
        return self.simulator.__exit__(kind, error, traceback)

    @property
    def backend(self):
        return self.simulator.backend

    def run(self, seeds, parameters=None, inputs=None, noise_seed=None, final_state=None, label=None):
        """Run every copy once; return the K per-copy results.

        Parameters
        ----------
        seeds : sequence of int
            One master seed per copy: its heterogeneous parameters, as in a single run.
        parameters : sequence of dict, optional
            Per copy, overrides ``{"owner.parameter": value}`` as in ``Simulator.run``. A sampled
            parameter may differ per copy; any other variable (e.g. ``"ee.plastic"``) must have the
            same value in every copy.
        inputs : sequence of dict, optional
            Per copy, new rasters or rates of ``RasterInput`` / ``RateInput`` inputs.
        noise_seed : int, optional
            Seeds the device's random numbers of the whole batch (default: from the first seed).
        final_state : dict, optional
            As in ``Simulator.run``; split per copy.
        label : str, optional
            Name of the batched run.

        Returns
        -------
        list of SimulationResult
        """
        seeds = list(seeds)
        if len(seeds) != self.n_copies:
            raise ConfigError(f"run needs one seed per copy ({self.n_copies}); got {len(seeds)}")
        parameters = list(parameters) if parameters is not None else [{} for _ in seeds]
        if len(parameters) != self.n_copies:
            raise ConfigError(f"parameters needs one dict per copy ({self.n_copies}); got {len(parameters)}")
        sampled, shared, samples = [], {}, {}
        for copy, (spec, seed, overrides) in enumerate(zip(self.copies, seeds, parameters)):
            if (copy, seed) not in self._samples:
                self._samples[(copy, seed)] = sample_network_parameters(spec, SeedStreams(seed))
            samples[(copy, seed)] = self._samples[(copy, seed)]
            values = {owner: dict(values) for owner, values in samples[(copy, seed)].items()}
            for key, value in overrides.items():
                owner, _, name = str(key).partition(".")
                if name in values.get(owner, {}):
                    reference = values[owner][name]
                    values[owner][name] = Quantity(np.broadcast_to(np.asarray(value, dtype=float), np.shape(reference)).copy(),
                                                   dim=getattr(reference, "dim", None))
                elif key in shared and not np.array_equal(np.asarray(shared[key]), np.asarray(value)):
                    raise ConfigError(f"{key} is not a sampled parameter: it must be equal in every copy")
                else:
                    shared[key] = value
            sampled.append(values)
        self._samples = samples
        batched_inputs = batch_inputs(list(inputs)) if inputs is not None else None
        result = self.simulator.run(seed=seeds[0], parameters=shared, inputs=batched_inputs, label=label,
                                    noise_seed=noise_seed, final_state=final_state, sampled=batch_parameters(sampled))
        copies = split_result(result, self.layout, self.spec)
        for copy, (spec, seed) in enumerate(zip(self.copies, seeds)):
            streams = SeedStreams(seed)
            copies[copy].provenance.update(master_seed=streams.master_seed, structure_seed=spec.structure_seed,
                                           spec=spec.describe())
        return copies
