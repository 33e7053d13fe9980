"""Turn specs into an explicit :class:`brian2.Network` with named objects.

The builder is the only place (with the backends and ``simulate``) that creates Brian2 objects.
All heterogeneous parameters are sampled here, host-side, each from its own child of the
``heterogeneity`` stream, and assigned as arrays, so every
device builds the same network. Connectivity arrives already generated (pure functions of the
``structure`` stream, :mod:`hetero_brian.network.connectivity`).
"""
from dataclasses import dataclass

import numpy as np
from brian2 import Clock, Hz, Network, NeuronGroup, PoissonGroup, Quantity, SpikeGeneratorGroup, Synapses, TimedArray

from ..distributions import Constant
from ..errors import ConfigError
from ..models.base import check_time_step
from ..models.decay import DecayFactorUpdate, with_precomputed_decays
from ..random import SeedStreams
from .spec import AnalogInput, NetworkSpec, PoissonInput, RasterInput, RateInput, SpikeInput, check_rates


@dataclass
class BuiltNetwork:
    """The Brian2 objects of a built network plus the host-sampled parameters.

    Attributes
    ----------
    network : brian2.Network
    groups : dict of str -> brian2 group (neurons and inputs)
    synapses : dict of str -> brian2.Synapses
    sampled : dict of str -> dict of str -> brian2.Quantity
        Per population or projection, the sampled parameters (arrays; read-only broadcast views
        for ``Constant`` ones).
    timed_arrays : dict of str -> brian2.TimedArray
        The raster, analog and rate inputs' arrays, by input name (replaceable through ``run_args``).
    tau_min_over_dt : float
        Smallest sampled time constant divided by dt (recorded, FAULTS.md case 2).
    """

    spec: NetworkSpec
    network: Network
    groups: dict
    synapses: dict
    sampled: dict
    timed_arrays: dict
    tau_min_over_dt: float


def sample_network_parameters(spec, streams):
    """Sample every heterogeneous parameter of ``spec`` host-side, in a fixed order.

    Each parameter has its own random stream (``heterogeneity/<owner>/<parameter>``), so the
    samples of one parameter do not depend on the distributions of the others. Synapse parameters
    live per synapse, or per pre/post neuron for neuron-level STDP traces.

    Returns
    -------
    dict of str -> dict of str -> brian2.Quantity
        Per population or projection name, the sampled arrays. A ``Constant`` parameter is a
        read-only broadcast view of its one value (no per-element memory).
    """
    sampled = {}
    for population in spec.populations:
        values = {}
        for name, info in population.model.parameter_infos().items():
            values[name] = _draw(population.model, name, info, population.n_neurons, streams, population.name)
        sampled[population.name] = values
    sizes = {item.name: item.n_neurons for item in (*spec.populations, *spec.inputs)}
    for projection in spec.projections:
        synapse, values = projection.synapse, {}
        counts = {"synapse": projection.n_synapses, "pre": sizes[projection.source], "post": sizes[projection.target]}
        for name, info in synapse.parameter_infos().items():
            count = counts[synapse.parameter_locations().get(name, "synapse")]
            values[name] = _draw(synapse, name, info, count, streams, projection.name)
        sampled[projection.name] = values
    return sampled


def _draw(model, name, info, count, streams, owner):
    """Sample one parameter from its own stream ``heterogeneity/<owner>/<name>``.

    One stream per parameter: changing one distribution (e.g. the homogeneous twin's tau_m)
    leaves every other sampled value unchanged.
    """
    from ..distributions import check_positive_samples

    stream = f"heterogeneity/{owner}/{name}"
    distribution = getattr(model, name)
    if isinstance(distribution, Constant):
        # one value for every element: a read-only broadcast view holds it without a per-element copy
        # (at 16k neurons a per-synapse float64 array is 28 MB); builders assign it as one value
        value = distribution.sample(1, streams.generator(stream))
        return np.broadcast_to(value, (count,), subok=True)
    values = distribution.sample(max(count, 1), streams.generator(stream))[:count]
    if info.positive and count:
        check_positive_samples(values, f"{owner}.{name}", distribution,
                               seed_note=f"master seed {streams.master_seed}, stream {stream!r}")
    return values


def _trace_code(spec):
    """Per group, the neuron-level STDP trace equations and reset statements to add."""
    names = {item.name for item in (*spec.populations, *spec.inputs)}
    trace_code = {name: {"equations": [], "reset": []} for name in names}
    for projection in spec.projections:
        code = projection.synapse.neuron_trace_code(projection.name, spec.shared_parameters(projection.synapse))
        for side, group_name in (("pre", projection.source), ("post", projection.target)):
            equations, reset = code[side]
            if not equations:
                continue
            if not any(p.name == group_name for p in spec.populations):
                raise ValueError(
                    f"projection {projection.name!r}: traces='neuron' needs a neuron population as {side}synaptic "
                    f"group, but {group_name!r} is an input; use traces='synapse' for input synapses"
                )
            trace_code[group_name]["equations"].append(equations)
            trace_code[group_name]["reset"].append(reset)
    return trace_code


def parameter_targets(spec, groups, synapses):
    """Map ``(owner, parameter)`` to the Brian2 object and variable name that hold it."""
    targets = {}
    for population in spec.populations:
        for name in population.model.parameter_infos():
            targets[(population.name, name)] = (groups[population.name], name)
    for projection in spec.projections:
        synapse = projection.synapse
        for name in synapse.parameter_infos():
            if name == "weight":
                targets[(projection.name, name)] = (synapses[projection.name], "w")
                continue
            location = synapse.parameter_locations().get(name, "synapse")
            variable = synapse.variable_name(name)
            if location == "synapse":
                targets[(projection.name, name)] = (synapses[projection.name], variable)
            else:
                owner = projection.source if location == "pre" else projection.target
                targets[(projection.name, name)] = (groups[owner], f"{variable}_{projection.name}")
    return targets


def uniform_or_array(value):
    """One element of ``value`` when it is a broadcast view of one value (a ``Constant``'s samples,
    see :func:`sample_network_parameters`), else ``value``.

    Assigned as one value, Brian2 fills the variable in a loop (standalone: one line of ``main``)
    instead of storing a per-element copy as a static array, in Python and in the binary.
    """
    array = np.asarray(value)
    if array.ndim == 1 and array.size > 1 and array.strides == (0,):
        return value[0]
    return value


def assignable_value(target, variable, value, key):
    """``value`` in the form ``target.variable`` takes: a scalar for a shared variable.

    Parameters
    ----------
    target : brian2 group
    variable : str
    value : brian2.Quantity or float or array
        One value, or one per neuron / synapse.
    key : str
        ``owner.parameter``, named in errors.

    Returns
    -------
    Value to assign, or None when a shared variable gets an empty array (a projection without
    synapses: nothing reads it).

    Raises
    ------
    ConfigError
        When different values are given for a shared variable.
    """
    if not target.variables[variable].scalar:
        return value
    flat = np.ravel(np.asarray(value, dtype=float))
    if flat.size == 0:
        return None
    if np.any(flat != flat[0]):
        raise ConfigError(
            f"{key} is one shared value in this build (its distribution was Constant), but got "
            f"{flat.size} different values (range {flat.min():.6g}..{flat.max():.6g} in SI units); build with a "
            f"non-constant distribution or NetworkSpec(shared_constants=False) to vary it per element"
        )
    return Quantity(flat[0], dim=getattr(value, "dim", None)) if hasattr(value, "dim") else float(flat[0])


def build(spec, streams=None, *, clock_name):
    """Create the Brian2 objects of ``spec`` on the current device.

    Parameters
    ----------
    spec : NetworkSpec
    streams : SeedStreams or int, optional
        Random streams (a master seed is drawn and recorded when omitted). Heterogeneous
        parameters use the ``heterogeneity`` stream.
    clock_name : str
        Name of the one clock every object runs on, given by the backend
        (``Backend.clock_name``; the CUDA backend asks for ``defaultclock``: brian2cuda 1.0b1's
        synapse template refers to a clock of that name).

    Returns
    -------
    BuiltNetwork

    Raises
    ------
    ValueError
        When a sampled time constant is <= 0, or ``dt`` exceeds the smallest one.
    """
    streams = streams if isinstance(streams, SeedStreams) else SeedStreams(streams)
    dt = spec.dt
    sampled = sample_network_parameters(spec, streams)
    trace_code = _trace_code(spec)
    time_constants = {
        f"{owner}.{name}": value
        for owner, values in sampled.items() for name, value in values.items()
        if name.startswith("tau") and np.size(value)
    }
    ratio = check_time_step(dt, time_constants, context="the sampled parameters")

    # one clock for every object: with several clocks, Brian2 writes them into the standalone
    # main.cpp in a set's (memory-address) order, which changes from build to build and forces a
    # recompilation of an otherwise identical project
    clock = Clock(dt, name=clock_name)
    groups, timed_arrays, decay_updates = {}, {}, []
    for population in spec.populations:
        model = population.model
        extra = trace_code[population.name]
        # constant decays exp(-dt/tau) of per-neuron time constants: computed once per run (models.decay)
        equations, method, decaying = with_precomputed_decays(
            model.equations("\n".join(extra["equations"]), spec.shared_parameters(model)), model.method)
        group = NeuronGroup(
            population.n_neurons,
            equations,
            threshold=model.threshold(),
            reset=model.reset("\n".join(extra["reset"])),
            refractory=model.refractory,
            method=method,
            namespace=model.namespace(),
            clock=clock,
            name=population.name,
        )
        for name, value in model.initial_values(sampled[population.name]).items():
            setattr(group, name, value)
        groups[population.name] = group
        if decaying:
            decay_updates.append(DecayFactorUpdate(group, decaying))
    for source in spec.inputs:
        groups[source.name], timed_array = _input_group(source, clock)
        if timed_array is not None:
            timed_arrays[source.name] = timed_array

    # create synapses
    synapses = {}
    for projection in spec.projections:
        synapse = projection.synapse
        plastic = synapse.plastic_rule is not None
        group = Synapses(
            groups[projection.source], groups[projection.target],
            model=synapse.model(projection.name, spec.shared_parameters(synapse)),
            on_pre=synapse.on_pre(projection.name), on_post=synapse.on_post(projection.name),
            namespace=synapse.namespace(), clock=clock, name=projection.name,
            dtype=synapse.variable_dtypes(spec.shared_parameters(synapse)) or None,
        )
        group.connect(i=np.asarray(projection.i, dtype=np.int32), j=np.asarray(projection.j, dtype=np.int32))
        synapses[projection.name] = group
        if np.any(np.asarray(sampled[projection.name]["delay"]) > 0):
            group.delay = sampled[projection.name]["delay"]
        if plastic:
            group.plastic = 1
    for (owner, name), (target, variable) in parameter_targets(spec, groups, synapses).items():
        if name != "delay":
            value = assignable_value(target, variable, uniform_or_array(sampled[owner][name]), f"{owner}.{name}")
            if value is not None:
                setattr(target, variable, value)

    network = Network(*groups.values(), *synapses.values(), *decay_updates, name="hetero_brian_network")
    return BuiltNetwork(spec, network, groups, synapses, sampled, timed_arrays, ratio)


def _input_group(source, clock):
    dt = clock.dt
    if isinstance(source, SpikeInput):
        group = SpikeGeneratorGroup(source.n_neurons, np.asarray(source.indices, dtype=np.int64), source.times,
                                    clock=clock, name=source.name, sorted=False)
        return group, None
    if isinstance(source, PoissonInput):
        return PoissonGroup(source.n_neurons, source.rate, clock=clock, name=source.name), None
    if isinstance(source, RasterInput):
        if not np.isclose(float(source.dt), float(dt)):
            raise ValueError(f"input {source.name!r}: raster dt {source.dt!r} differs from the network dt {dt!r}")
        array_name = f"{source.name}_raster"
        timed_array = TimedArray(np.asarray(source.raster, dtype=np.float64), dt=source.dt, name=array_name)
        group = NeuronGroup(source.n_neurons, "", threshold=f"{array_name}(t, i) > 0.5", reset="",
                            namespace={array_name: timed_array}, clock=clock, name=source.name)
        return group, timed_array
    if isinstance(source, AnalogInput):
        if not np.isclose(float(source.dt), float(dt)):
            raise ValueError(f"input {source.name!r}: values dt {source.dt!r} differs from the network dt {dt!r}")
        array_name = f"{source.name}_values"
        timed_array = TimedArray(np.asarray(source.values, dtype=np.float64), dt=source.dt, name=array_name)
        # one event per channel and step; synapses read the step's value as x_pre (a state
        # variable, copied before the thresholds: a subexpression would need the array in the
        # synapses' namespace)
        group = NeuronGroup(source.n_neurons, "x : 1", threshold="True", reset="",
                            namespace={array_name: timed_array}, clock=clock, name=source.name)
        group.run_regularly(f"x = {array_name}(t, i)", when="before_thresholds", name=f"{source.name}_read")
        return group, timed_array
    if isinstance(source, RateInput):
        row, step = float(source.row_duration), float(dt)
        if abs(row / step - round(row / step)) > 1e-6:
            raise ValueError(f"input {source.name!r}: row_duration {source.row_duration!r} is not a multiple of dt {dt!r}")
        rates = np.asarray(source.rates, dtype=np.float64)
        check_rates(rates, source.name, dt)
        array_name = f"{source.name}_rates"
        timed_array = TimedArray(rates, dt=source.row_duration, name=array_name)
        group = PoissonGroup(source.n_neurons, rates=f"{array_name}(t, i) * Hz", clock=clock, name=source.name,
                             namespace={array_name: timed_array, "Hz": Hz})
        return group, timed_array
    raise TypeError(f"unknown input type {type(source).__name__}; use SpikeInput, RasterInput, AnalogInput, RateInput or PoissonInput")
