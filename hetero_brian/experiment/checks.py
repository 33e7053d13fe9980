"""Checks of configuration values that pass the schema but would fail later (before any file is written).

The scenario ``Config`` schemas check types and units; these checks catch the values that are
well-typed but impossible, so that a run is refused in a second with one line naming the key and
the value (``hetero-brian`` exits 2) instead of a traceback minutes later with a folder left behind:

* a number that is NaN or infinite;
* a count ``n_*`` (``n_neurons``, ``n_inputs``...) below 1;
* a duration (a key containing ``duration``) that is not > 0 or not a multiple of the config's ``dt``;
* ``dt`` not > 0;
* a probability (a key starting with ``p_`` or containing ``probability``) outside [0, 1];
* a seed that is not an integer in [0, 2**63 - 1];
* results that would not fit on the disk of the output folder (:func:`check_disk_space`).

Examples
--------
>>> check_seed_option(-1)
Traceback (most recent call last):
...
hetero_brian.errors.ConfigError: --seed: got -1; a seed is an integer in [0, 2**63 - 1]
"""
import inspect
import math

from hetero_brian.errors import ConfigError, ResultsError, SimulationError

__all__ = ["check_config_values", "check_seed_option", "expected_disk_bytes", "check_disk_space", "RUN_RECORD_BYTES",
           "count_bound", "spike_bound", "synapse_bound", "results_file_bytes", "figure_bytes", "array_file_bytes",
           "hrsnn_2x2_disk_bytes"]

_MAX_SEED = 2**63 - 1
#: ``config.yaml``, ``manifest.json`` and ``metrics.json`` of every run (a few kB each; the largest
#: metrics, conversion_mnist's nested tables, are ~20 kB), with room to spare; added to every estimate.
RUN_RECORD_BYTES = 1 << 20
#: Fixed part of one HDF5 results file: superblock, groups, the provenance and metrics JSON (the
#: provenance holds the network's description, not its arrays).
_RESULTS_FILE_BYTES = 256 << 10
#: Per HDF5 dataset (object header, chunk index, attributes), as :func:`hetero_brian.results.estimate_size`.
_HDF5_OBJECT_BYTES = 4096
#: A saved spike: uint64 node id + float64 time (the SONATA layout of :mod:`hetero_brian.results.hdf5`).
_SAVED_SPIKE_BYTES = 16
_FLOAT_BYTES = 8


def check_seed_option(seed, name="--seed"):
    """Refuse a seed that is not an integer in [0, 2**63 - 1]; None (draw one) passes."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= _MAX_SEED:
        raise ConfigError(f"{name}: got {seed!r}; a seed is an integer in [0, 2**63 - 1]")
    return seed


def _leaves(value, path):
    """``(dotted key, value)`` of every plain value of a pydantic model, dict or list."""
    fields = getattr(type(value), "model_fields", None)
    if fields is not None:
        for name in fields:
            yield from _leaves(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _seconds(value):
    """Seconds of a time quantity, else None."""
    dimensions = getattr(value, "dim", None)
    if dimensions is None or getattr(value, "shape", ()) != ():
        return None
    from brian2 import second  # only when a config holds quantities

    return float(value / second) if value.has_same_dimensions(second) else None


def _check_leaf(key, value, dt):
    name = key.rsplit(".", 1)[-1].split("[")[0]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    try:
        number = float(value)
    except (TypeError, ValueError):
        return  # distributions and other objects are checked by their own types
    if not math.isfinite(number):
        raise ConfigError(f"{key}: got {value!r}; it must be a finite number")
    if name.startswith("n_") and isinstance(value, int) and value < 1:
        raise ConfigError(f"{key}: got {value}; a count must be >= 1")
    if (name.startswith("p_") or "probability" in name) and not 0.0 <= number <= 1.0:
        raise ConfigError(f"{key}: got {value!r}; a probability must be in [0, 1]")
    seconds = _seconds(value)
    if seconds is None:
        return
    if name == "dt" and not seconds > 0:
        raise ConfigError(f"{key}: got {value!r}; the time step must be > 0")
    if "duration" in name:
        if not seconds > 0:
            raise ConfigError(f"{key}: got {value!r}; a duration must be > 0")
        if dt:
            steps = seconds / dt
            if abs(steps - round(steps)) > 1e-6 * max(1.0, steps):
                raise ConfigError(f"{key}: got {value!r}, which is not a multiple of dt = {dt * 1e3:g} ms "
                                  f"({steps:.6g} steps)")


def check_config_values(config):
    """Raise ConfigError (naming key and value) for the first impossible value of ``config``.

    Parameters
    ----------
    config : pydantic.BaseModel
        A validated scenario configuration.
    """
    leaves = list(_leaves(config, ""))
    dt_values = [_seconds(value) for key, value in leaves if key.rsplit(".", 1)[-1] == "dt"]
    dt = next((value for value in dt_values if value), None)
    for key, value in leaves:
        _check_leaf(key, value, dt)


def count_bound(mean):
    """Upper bound of a random count (Poisson or binomial) of expected value ``mean``: ``mean + 6 sqrt(mean) + 10``
    (exceeded with probability below 1e-9)."""
    mean = max(float(mean), 0.0)
    return mean + 6.0 * math.sqrt(mean) + 10.0


def spike_bound(n_neurons, duration, refractory=0.0, dt=1e-4):
    """Most spikes ``n_neurons`` neurons can fire in ``duration`` (s): one per refractory period (s), at
    most one per time step ``dt`` (s)."""
    return float(n_neurons) * (math.floor(float(duration) / max(float(refractory), float(dt))) + 1)


def synapse_bound(n_pre, n_post, probability):
    """Upper bound of the synapses drawn between ``n_pre`` and ``n_post`` neurons with ``probability``:
    independent draws (:func:`count_bound`) or a fixed in-degree (``round(probability * n_pre)`` per
    target, up to half a synapse more each); never more than all pairs."""
    pairs = float(n_pre) * float(n_post)
    return min(pairs, count_bound(probability * pairs) + 0.5 * float(n_post))


def results_file_bytes(n_spikes=0.0, n_values=0.0, n_datasets=16):
    """Upper bound of one HDF5 results file (:func:`hetero_brian.results.save`, no compression).

    Parameters
    ----------
    n_spikes : float
        Spikes saved (16 bytes each).
    n_values : float
        Other numbers saved (8 bytes each): per synapse ``i``, ``j``, ``w``, ``w_initial`` and every
        per-synapse parameter; per neuron every sampled parameter; trace samples.
    n_datasets : int
        HDF5 datasets (4 KiB of metadata each).
    """
    return (_RESULTS_FILE_BYTES + _SAVED_SPIKE_BYTES * float(n_spikes) + _FLOAT_BYTES * float(n_values)
            + _HDF5_OBJECT_BYTES * n_datasets)


def array_file_bytes(n_values, n_arrays=8):
    """Upper bound of a ``.npz`` file of ``n_values`` numbers (8 bytes each, uncompressed) in ``n_arrays`` arrays."""
    return _FLOAT_BYTES * float(n_values) + 4096 * n_arrays + 65536


def figure_bytes(width, height, dpi=150):
    """Upper bound of a PNG figure of ``width`` x ``height`` inches at ``dpi`` (uncompressed RGBA pixels,
    one filter byte per row, zlib's worst-case overhead, metadata)."""
    columns, rows = math.ceil(width * dpi), math.ceil(height * dpi)
    raw = rows * (4 * columns + 1)
    return raw * 1.01 + 65536


def hrsnn_2x2_disk_bytes(config, n_samples, n_channels, n_frames):
    """Most bytes one :func:`hetero_brian.protocols.hrsnn_2x2.run_2x2` call writes (one fold of a scenario).

    Parameters
    ----------
    config : HRSNNRunConfig
    n_samples : int
        Training plus test samples (at most).
    n_channels, n_frames : int
        Input channels and frames of one sample.

    Returns
    -------
    float
        ``<name>_runs.json`` (rewritten atomically: old and new at once; with converged STDP each row
        holds the per-chunk convergence history), with ``save_features`` the
        spike-count features of every seed and cell (uncompressed, in the smallest type that holds
        the most spikes of a bin), for the first seed
        one results file per cell (the ``n_saved_samples`` saved presentations' reservoir spikes at one
        per refractory period, every synapse and neuron parameter), and the figure.
    """
    n, cells = config.n_neurons, len(config.variants)
    row = 2048 + (4 * 32 * (config.max_chunks + 1) + 512 if config.stdp_training == "converged" else 0)  # + history
    runs_table = 2 * (8192 + row * config.n_seeds * cells)
    period = float(config.frame_duration) * n_frames + float(config.t_rest)
    most = spike_bound(1, period / config.n_bins, float(config.t_ref), float(config.dt))  # spikes of a neuron in a bin
    count_bytes = 1 if most < 256 else 2 if most < 65536 else 8  # the smallest unsigned type that holds them
    counts = cells * n_samples * n * config.n_bins * count_bytes / 8  # in 8-byte values
    features = config.save_features * config.n_seeds * array_file_bytes(counts + 8 * cells + 2 * n_samples)
    spikes = spike_bound(n, config.n_saved_samples * period, float(config.t_ref), float(config.dt))
    synapses = synapse_bound(n, n, config.p_recurrent) + synapse_bound(n_channels, n, config.p_input)
    saved = cells * results_file_bytes(spikes, 12 * synapses + 16 * n, n_datasets=64) if config.n_saved_samples else 0
    return runs_table + features + saved + figure_bytes(12, 3.6)


def _network_results_bytes(spec, duration, recording):
    """Upper bound of the results file of one :class:`hetero_brian.simulate.Simulator` run of ``spec``: the
    recorded spikes (one per refractory period or step), every synapse table and every population's parameters."""
    from hetero_brian.resources import estimate_memory  # resources reads specs: only here

    dt = float(spec.dt)
    sizes = {item.name: item.n_neurons for item in (*spec.populations, *spec.inputs)}
    refractory = {p.name: _refractory(p.model) for p in spec.populations}
    recorded = list(sizes) if recording.spikes == "all" else list(recording.spikes)
    spikes = sum(spike_bound(sizes.get(name, 0), duration, refractory.get(name, 0.0), dt) for name in recorded)
    synapse_values = sum(p.n_synapses * (4 + len(p.synapse.parameter_infos())) for p in spec.projections)
    neuron_values = sum(p.n_neurons * len(p.model.parameter_infos()) for p in spec.populations)
    traces = estimate_memory(spec, duration, recording)["state_monitors"] / _FLOAT_BYTES
    n_datasets = 3 * len(recorded) + 8 * len(spec.projections) + 16 * len(spec.populations) + 3 * len(recording.states)
    return results_file_bytes(spikes, synapse_values + neuron_values + traces, n_datasets)


def _refractory(model):
    """Smallest refractory period (s) of a neuron model, 0 when it has none or it cannot be told."""
    t_ref = getattr(model, "t_ref", None)
    try:
        return max(0.0, float(t_ref.support_si()[0]))
    except (AttributeError, TypeError, ValueError):
        return 0.0


def expected_disk_bytes(module, config, seed):
    """Bytes a scenario run is expected to write at most, or None when the scenario cannot tell.

    The scenario's own ``disk_bytes(config) -> bytes`` when it defines one; otherwise the results file
    its ``network(config, seed) -> (NetworkSpec, duration, Recording)`` will record (every synapse
    table and population parameter, spikes at one per refractory period) and its figure (at most a
    12 x 8 inch PNG); plus :data:`RUN_RECORD_BYTES` for the run record either way.
    """
    if hasattr(module, "disk_bytes"):
        return float(module.disk_bytes(config)) + RUN_RECORD_BYTES
    network = getattr(module, "network", None)
    if network is None or list(inspect.signature(network).parameters) != ["config", "seed"]:
        return None
    try:
        spec, duration, recording = network(config, seed)
    except ValueError as error:  # a value the schema let through but the network refuses (UnitError too)
        raise ConfigError(str(error)) from error
    return _network_results_bytes(spec, duration, recording) + figure_bytes(12, 8) + RUN_RECORD_BYTES


def check_disk_space(module, config, seed, folder):
    """Refuse a run whose expected results (:func:`expected_disk_bytes`) do not fit into ``folder``.

    Parameters
    ----------
    module : module
        The scenario module.
    config : pydantic.BaseModel
        Its validated configuration.
    seed : int
    folder : str or path-like
        The run folder or the root it is created in (it need not exist yet).

    Returns
    -------
    float or None
        The expected bytes, or None when the scenario cannot tell its size (then nothing is checked).

    Raises
    ------
    ResultsError
        With the bytes needed, the bytes free and the folder (``hetero-brian`` exits 2).
    """
    from hetero_brian.resources import check_disk

    n_bytes = expected_disk_bytes(module, config, seed)
    if n_bytes is None:
        return None
    try:
        check_disk(n_bytes, folder)
    except SimulationError as error:
        raise ResultsError(str(error)) from None
    return n_bytes
