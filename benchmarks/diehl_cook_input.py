"""Diehl & Cook training time per image: host-drawn spike rasters against device-drawn rates.

The default Diehl & Cook network (100 excitatory neurons, 784 inputs, 350 ms + 150 ms per image,
dt = 0.5 ms, 10 images per run of the compiled binary) is trained on the same MNIST test images
with ``input_mode="raster"`` (Poisson spikes drawn on the host, a 1,000 x 784 raster per image sent
with each run) and ``input_mode="rate"`` (10 rows of 784 rates per image; the device draws the
spikes). Builds are excluded; the table gives wall and CPU (this process plus the binaries) per
image and the input spikes per image as a check that both modes present the same statistics.

Usage::

    python benchmarks/diehl_cook_input.py [--images 40] [--data ../shared/data/mnist]
"""
import argparse
import os
import resource
import tempfile
import time

import numpy as np


def _cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(input_mode, images, seed):
    """Wall and CPU seconds per image of training, and input spikes per image."""
    from hetero_brian.network.diehl_cook import DiehlCookParameters
    from hetero_brian.protocols.diehl_cook import DiehlCookNetwork

    parameters = DiehlCookParameters(input_mode=input_mode)
    build_root = tempfile.mkdtemp(prefix=f"hb-dc-{input_mode}-")
    with DiehlCookNetwork(parameters, images.shape[1], backend="cpp_standalone", seed=seed,
                          build_root=build_root) as network:
        cpu, start = _cpu(), time.perf_counter()
        presentation = network.present(images, learn=True, rng=seed)
        wall, cpu = time.perf_counter() - start, _cpu() - cpu
    shown = int(presentation.n_presentations.sum())
    return {"wall": wall / shown, "cpu": cpu / shown, "input_spikes": presentation.input_spikes[0].size / shown,
            "presentations": shown}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "mnist"))
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args(argv)
    from hetero_brian.inputs import read_mnist

    data = read_mnist(arguments.data, split="test")
    images = np.asarray(data.samples[:arguments.images], dtype=float).reshape(arguments.images, -1)
    rows = {mode: measure(mode, images, arguments.seed) for mode in ("raster", "rate")}
    print(f"# {arguments.images} MNIST test images, learn=True, cpp_standalone, load average "
          f"{os.getloadavg()[0]:.1f}; builds excluded")
    print("| input mode | wall s / image | CPU s / image | input spikes / image | presentations |")
    print("|---|---|---|---|---|")
    for mode, row in rows.items():
        print(f"| {mode} | {row['wall']:.3f} | {row['cpu']:.3f} | {row['input_spikes']:.0f} | {row['presentations']} |")
    print(f"rate / raster wall: {rows['rate']['wall'] / rows['raster']['wall']:.2f}")


if __name__ == "__main__":
    main()
