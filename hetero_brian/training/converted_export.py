"""A converted feed-forward SNN as a Brian2 network spec, and its inference on any backend.

Populations: ``layer_1`` ... ``layer_{L-1}`` (:class:`~hetero_brian.models.integrate_fire.DiscreteIntegrateFire`,
spiking, reset by subtraction) and ``output`` (the same model, non-spiking: the class is the largest
potential). Projections (:class:`~hetero_brian.models.discrete.SignedSynapse`, weights as
:class:`~hetero_brian.models.discrete.FixedValues`, zero weights left out, sorted by presynaptic
index): ``input_layer_1`` (Poisson encoding only, from the :class:`~hetero_brian.network.spec.RasterInput`
``input``), ``layer_1_layer_2``, ..., ``layer_{L-1}_output``. Convolutions arrive as weight matrices
from :mod:`hetero_brian.network.convolution` (shared kernel values on explicit synapses); average
pooling is linear, so it is folded into the next layer's weights by :mod:`.ann`.

Direct encoding: ``layer_1.bias`` holds ``W_1 x`` for the current image and is set per image as a run
argument (no input population). One build (one compilation for ``cpp_standalone``) serves every image.

Timing: reference step ``t`` (0-based) of hidden layer ``l`` is Brian2 step ``t + l``; the output layer
computes step ``t`` in Brian2 step ``t + L``, so ``n_steps`` steps take ``n_steps + L`` Brian2 steps.
"""
from dataclasses import dataclass

import numpy as np
from brian2 import ms

from ..analysis.energy import fan_out
from ..models.discrete import FixedValues, SignedSynapse
from ..models.integrate_fire import DiscreteIntegrateFire
from ..network.spec import NetworkSpec, Population, Projection, RasterInput
from ..network.recording import Recording
from ..simulate import Simulator, final_value
from .conversion import check_images, check_request, poisson_raster

__all__ = ["STEP", "layer_names", "converted_network_spec", "BrianInference", "run_converted_in_brian"]

#: Time step of the converted network in Brian2 (its value changes nothing: the map is literal).
STEP = 1 * ms


def layer_names(network):
    """Population names: hidden layers then ``"output"``."""
    return [f"layer_{index + 1}" for index in range(len(network.thresholds))] + ["output"]


def _sparse(weights):
    post, pre = np.nonzero(weights)
    order = np.lexsort((post, pre))
    return pre[order], post[order], weights[post[order], pre[order]]


def converted_network_spec(network, n_steps, encoding="direct"):
    """The Brian2 network spec of a converted network for ``n_steps`` time steps.

    Parameters
    ----------
    network : ConvertedNetwork
    n_steps : int
        Time steps per image (> 0; a new value needs a new build).
    encoding : {"direct", "poisson"}

    Returns
    -------
    NetworkSpec
    """
    n_steps = check_request(network, encoding, n_steps)
    names = layer_names(network)
    populations, projections, inputs = [], [], []
    for index, name in enumerate(names):
        size = network.weights[index].shape[0]
        if name == "output":
            model = DiscreteIntegrateFire(spiking=False, step=STEP)
        elif index == 0 and encoding == "direct":
            model = DiscreteIntegrateFire(leak=network.leaks[0], firing_threshold=network.thresholds[0],
                                          bias=FixedValues(np.zeros(size)), step=STEP, first_step=1, stop_step=n_steps + 1)
        else:
            model = DiscreteIntegrateFire(leak=network.leaks[index], firing_threshold=network.thresholds[index], step=STEP)
        populations.append(Population(name, size, model))
        if index == 0 and encoding == "direct":
            continue
        source = "input" if index == 0 else names[index - 1]
        i, j, w = _sparse(network.weights[index])
        projections.append(Projection(f"{source}_{name}", source, name, SignedSynapse(weight=FixedValues(w)), i, j))
    if encoding == "poisson":
        inputs.append(RasterInput("input", np.zeros((n_steps + network.n_layers, network.layer_sizes[0]), dtype=np.uint8), STEP))
    return NetworkSpec(populations=tuple(populations), projections=tuple(projections), inputs=tuple(inputs),
                       dt=STEP, shared_constants=True)


@dataclass
class BrianInference:
    """Inference of one image in Brian2.

    Attributes
    ----------
    output : numpy.ndarray
        Output potentials after ``n_steps`` steps.
    spikes : list of numpy.ndarray
        Per hidden layer, bool ``(n_steps, n_neurons)`` in reference steps.
    synaptic_operations : dict
        Synaptic operations per projection: the run's spikes inside the ``n_steps`` window x fan-out.
    result : hetero_brian.results.SimulationResult
    """

    output: np.ndarray
    spikes: list
    synaptic_operations: dict
    result: object

    @property
    def prediction(self):
        return int(np.argmax(self.output))


def run_converted_in_brian(network, images, n_steps, encoding="direct", rng=0, rasters=None, backend="runtime",
                           build_root=None):
    """Run a converted network in Brian2 on each image (one build, one run per image).

    Parameters
    ----------
    network : ConvertedNetwork
    images : array_like, shape (n_samples, *network.input_shape)
        Values in [0, 1].
    n_steps : int
    encoding : {"direct", "poisson"}
    rng : int or numpy.random.Generator
        Seed of the Poisson rasters, drawn as in :func:`~.conversion.simulate_converted` (same spikes).
    rasters : array_like, shape (n_samples, n_steps, n_inputs), optional
        Given input spikes instead.
    backend : str
        ``"runtime"``, ``"cpp_standalone"`` (compiled once; images as run arguments) or ``"auto"``.
    build_root : str, optional

    Returns
    -------
    list of BrianInference
    """
    n_steps = check_request(network, encoding, n_steps)
    images = check_images(network, images)
    spec = converted_network_spec(network, n_steps, encoding)
    names = layer_names(network)
    if encoding == "poisson" and rasters is None:
        generator = np.random.default_rng(rng)
        rasters = [poisson_raster(image, n_steps, generator) for image in images]
    spiking = names[:-1] + (["input"] if encoding == "poisson" else [])
    recording = Recording(spikes=tuple(spiking))
    lag = network.n_layers
    runs = []
    with Simulator(spec, (n_steps + lag) * STEP, backend=backend, seed=0, recording=recording,
                   build_root=build_root) as simulator:
        for index, image in enumerate(images):
            arguments = {}
            if encoding == "direct":
                arguments["parameters"] = {"layer_1.bias": image @ network.weights[0].T}
            else:
                raster = np.zeros((n_steps + lag, image.size), dtype=np.uint8)
                raster[:n_steps] = rasters[index]
                arguments["inputs"] = {"input": raster}
            result = simulator.run(final_state={"output": ("u",)}, **arguments)
            spikes = []
            for layer, name in enumerate(names[:-1]):
                trains = result.spikes[name]
                steps = np.rint(np.asarray(trains.timestamps, dtype=float) / float(STEP)).astype(np.int64) - (layer + 1)
                grid = np.zeros((n_steps, network.weights[layer].shape[0]), dtype=bool)
                inside = (steps >= 0) & (steps < n_steps)
                grid[steps[inside], np.asarray(trains.node_ids)[inside]] = True
                spikes.append(grid)
            counts = dict(zip(names[:-1], (grid.sum(axis=0) for grid in spikes)))
            if encoding == "poisson":
                counts["input"] = np.asarray(rasters[index]).sum(axis=0)
            operations = {projection.name: int(counts[projection.source] @ fan_out(projection.i, counts[projection.source].size))
                          for projection in spec.projections}
            runs.append(BrianInference(np.asarray(final_value(result, "output", "u"), dtype=float), spikes,
                                       operations, result))
    return runs
