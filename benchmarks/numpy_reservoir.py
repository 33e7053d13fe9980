"""The benchmark reservoir as a vectorised numpy / scipy.sparse simulation (no Brian2).

Same model and connectivity as ``plain_brian2_reservoir.py``: clock-driven LIF neurons integrated
exactly over each step (exponential Euler, as Brian2 does for this linear model), Poisson input
channels drawn each step, and event-driven per-synapse STDP traces on the ``ee`` synapses: each
trace is decayed to the current time only when its synapse is touched by a spike.

Notes
-----
Per step of length ``dt``, with ``A = v_rest + I_syn``:

.. math::

    v \\leftarrow A + (v - A) e^{-dt/\\tau_m} \\ (\\text{unless refractory}), \\qquad
    I_{syn} \\leftarrow I_{syn} e^{-dt/\\tau_{syn}}

then threshold ``v > v_th`` (not refractory), presynaptic pathways (``I_syn[j] += +-w``; STDP
depression and ``a_pre += 1``), postsynaptic STDP pathway (potentiation and ``a_post += 1``) and
reset, in Brian2's schedule order. A trace last updated at ``t_last`` reads
``a exp(-(t - t_last)/tau)``.

Usage::

    python benchmarks/numpy_reservoir.py --n-neurons 1000
"""
import argparse
import os
import resource
import time

import numpy as np
import scipy.sparse

from plain_brian2_reservoir import MODEL, make_connectivity, population_sizes, sample_gamma, sample_lognormal


class SparsePathway:
    """Synapses grouped by one end (CSR row pointers) for gathering the synapses of spiking neurons."""

    def __init__(self, rows, n_rows):
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        # CSR structure of the (row, synapse) incidence matrix
        matrix = scipy.sparse.csr_matrix((np.ones(rows.size), (rows[order], order)), shape=(n_rows, max(rows.size, 1)))
        self.indptr = matrix.indptr.astype(np.int64)
        self.order = order

    def synapses_of(self, spiking):
        """Indices of the synapses of the ``spiking`` rows, row after row."""
        starts, stops = self.indptr[spiking], self.indptr[spiking + 1]
        lengths = stops - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        return self.order[offsets + np.arange(total)]


class NumpyReservoir:
    """The benchmark reservoir; neurons ``0..n_exc-1`` are excitatory, the rest inhibitory.

    Parameters
    ----------
    n_neurons : int
    connectivity : dict
        From :func:`plain_brian2_reservoir.make_connectivity`.
    seed : int
        Seed of the sampled parameters and of the Poisson input.
    dtype : numpy dtype
        Floating-point type of the state.
    """

    def __init__(self, n_neurons, connectivity, seed=2, dtype=np.float64):
        rng = np.random.default_rng(seed)
        self.rng = np.random.default_rng(seed + 1000)
        self.n_exc, n_inh = population_sizes(n_neurons)
        self.n_neurons = n_neurons
        self.dt = MODEL["dt"]
        tau_m = np.concatenate([sample_gamma(MODEL["tau_m_mean"], MODEL["tau_m_cv"], size, rng)
                                for size in (self.n_exc, n_inh)])
        self.decay_m = np.exp(-self.dt / tau_m).astype(dtype)
        self.decay_syn = dtype(np.exp(-self.dt / MODEL["tau_syn"]))
        self.refractory_steps = int(round(MODEL["t_ref"] / self.dt))
        self.v = np.full(n_neurons, MODEL["v_rest"], dtype=dtype)
        self.I_syn = np.zeros(n_neurons, dtype=dtype)
        self.last_spike_step = np.full(n_neurons, -10 ** 9, dtype=np.int64)
        offset = {"exc": 0, "inh": self.n_exc}
        # static synapses, global indices, signed weights
        static_i, static_j, static_w = [], [], []
        for name, source, target, weight in (("ei", "exc", "inh", MODEL["w_exc"]), ("ie", "inh", "exc", -MODEL["w_inh"]),
                                             ("ii", "inh", "inh", -MODEL["w_inh"])):
            i, j = connectivity[name]
            static_i.append(i + offset[source])
            static_j.append(j + offset[target])
            static_w.append(np.full(i.size, weight))
        self.static_j = np.concatenate(static_j)
        self.static_w = np.concatenate(static_w).astype(dtype)
        self.static_pre = SparsePathway(np.concatenate(static_i), n_neurons)
        input_i, input_j = [], []
        for name, target in (("input_exc", "exc"), ("input_inh", "inh")):
            i, j = connectivity[name]
            input_i.append(i)
            input_j.append(j + offset[target])
        self.input_j = np.concatenate(input_j)
        self.input_pre = SparsePathway(np.concatenate(input_i), MODEL["n_input"])
        self.input_probability = MODEL["input_rate"] * self.dt
        # plastic ee synapses with per-synapse traces
        ee_i, ee_j = connectivity["ee"]
        n_ee = ee_i.size
        self.ee_i, self.ee_j = ee_i.astype(np.int64), ee_j.astype(np.int64)
        self.w = np.full(n_ee, MODEL["w_exc"], dtype=dtype)
        self.tau_pre = sample_lognormal(MODEL["tau_trace_mean"], MODEL["tau_trace_cv"], n_ee, rng).astype(dtype)
        self.tau_post = sample_lognormal(MODEL["tau_trace_mean"], MODEL["tau_trace_cv"], n_ee, rng).astype(dtype)
        self.apre = np.zeros(n_ee, dtype=dtype)
        self.apost = np.zeros(n_ee, dtype=dtype)
        self.last_update = np.zeros(n_ee, dtype=dtype)
        self.ee_pre = SparsePathway(self.ee_i, self.n_exc)
        self.ee_post = SparsePathway(self.ee_j, self.n_exc)
        self.spike_counts = np.zeros(n_neurons, dtype=np.int64)
        self.input_spike_count = 0

    def _decay_traces(self, synapses, t):
        elapsed = t - self.last_update[synapses]
        self.apre[synapses] *= np.exp(-elapsed / self.tau_pre[synapses])
        self.apost[synapses] *= np.exp(-elapsed / self.tau_post[synapses])
        self.last_update[synapses] = t

    def step(self, step):
        """Advance one time step (``step`` is the index of the step being computed)."""
        t = step * self.dt
        n = self.n_neurons
        active = (step - self.last_spike_step) >= self.refractory_steps
        drive = MODEL["v_rest"] + self.I_syn
        integrated = drive + (self.v - drive) * self.decay_m
        self.v = np.where(active, integrated, self.v)
        self.I_syn *= self.decay_syn
        spiking = np.flatnonzero((self.v > MODEL["v_th"]) & active)
        input_spiking = np.flatnonzero(self.rng.random(MODEL["n_input"]) < self.input_probability)
        self.input_spike_count += input_spiking.size
        if input_spiking.size:
            synapses = self.input_pre.synapses_of(input_spiking)
            self.I_syn += np.bincount(self.input_j[synapses], minlength=n) * MODEL["w_input"]
        if spiking.size:
            self.spike_counts[spiking] += 1
            synapses = self.static_pre.synapses_of(spiking)
            if synapses.size:
                self.I_syn += np.bincount(self.static_j[synapses], weights=self.static_w[synapses], minlength=n)
            exc = spiking[spiking < self.n_exc]
            if exc.size:
                w_max = MODEL["w_max"]
                synapses = self.ee_pre.synapses_of(exc)
                if synapses.size:
                    self._decay_traces(synapses, t)
                    self.I_syn[:self.n_exc] += np.bincount(self.ee_j[synapses], weights=self.w[synapses], minlength=self.n_exc)
                    self.w[synapses] = np.clip(self.w[synapses] - w_max * MODEL["eta_minus"] * self.apost[synapses], 0, w_max)
                    self.apre[synapses] += 1
                synapses = self.ee_post.synapses_of(exc)
                if synapses.size:
                    self._decay_traces(synapses, t)
                    self.w[synapses] = np.clip(self.w[synapses] + w_max * MODEL["eta_plus"] * self.apre[synapses], 0, w_max)
                    self.apost[synapses] += 1
            self.v[spiking] = MODEL["v_reset"]
            self.last_spike_step[spiking] = step

    def run(self, duration):
        """Simulate ``duration`` seconds."""
        n_steps = int(round(duration / self.dt))
        start = getattr(self, "_next_step", 0)
        for step in range(start, start + n_steps):
            self.step(step)
        self._next_step = start + n_steps


def run_numpy(n_neurons, duration=1.0, repeats=2, seed=1, dtype=np.float64):
    """Time the numpy reservoir: per repeat a fresh network, CPU and wall time of ``run`` (s)."""
    connectivity = make_connectivity(n_neurons, seed)
    result = {"runs": [], "compile_wall": 0.0, "compile_cpu": 0.0}
    for _ in range(repeats):
        network = NumpyReservoir(n_neurons, connectivity, seed + 1, dtype)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu, start = usage.ru_utime + usage.ru_stime, time.perf_counter()
        network.run(duration)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["runs"].append({"cpu": usage.ru_utime + usage.ru_stime - cpu, "wall": time.perf_counter() - start,
                               "inner": None})
    result["spike_counts"] = {"exc": network.spike_counts[:network.n_exc].tolist(),
                              "inh": network.spike_counts[network.n_exc:].tolist(),
                              "input_total": int(network.input_spike_count)}
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-neurons", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=1.0, help="simulated seconds")
    arguments = parser.parse_args(argv)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    result = run_numpy(arguments.n_neurons, arguments.duration, repeats=1)
    counts = result.pop("spike_counts")
    for name in ("exc", "inh"):
        print(f"{name}: {np.mean(counts[name]) / arguments.duration:.2f} Hz")
    print(result)


if __name__ == "__main__":
    main()
