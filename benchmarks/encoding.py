"""Time the FSDD input pipeline: read every WAV, log-mel spectrogram, Poisson and delta encoding.

Target (issue 4): all 3,000 FSDD files encoded in under 30 s on one core of the 2-core CI machine.
The gammatone cochleagram is timed too (separately, it is not part of the target).

Usage::

    python benchmarks/encoding.py [--data PATH] [--dt 1e-4] [--n-mels 40] [--max-rate 100] [--seed 0]

``--data`` is the FSDD ``recordings/`` folder; default ``$HETERO_BRIAN_DATA/fsdd/recordings`` or
``../shared/data/fsdd/recordings`` next to the repository.
"""
import argparse
import os
import pathlib
import platform
import time

import numpy as np

from hetero_brian.inputs import (
    DATA_ENV_VAR,
    delta_encode,
    gammatone_cochleagram,
    log_mel_spectrogram,
    normalise_features,
    poisson_encode,
    read_fsdd,
)

HOP = 0.010  # s, spectrogram hop = frame duration of the rate code
TARGET = 30.0  # s


LOAD_BEFORE = " ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"


class Stopwatch:
    """Wall and process CPU time since the previous lap."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self):
        wall, cpu = time.perf_counter(), time.process_time()
        elapsed = (wall - self.wall, cpu - self.cpu)
        self.wall, self.cpu = wall, cpu
        return elapsed


def default_data_path():
    root = os.environ.get(DATA_ENV_VAR)
    if root:
        return pathlib.Path(root) / "fsdd" / "recordings"
    return pathlib.Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fsdd" / "recordings"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, default=None, help="FSDD recordings folder")
    parser.add_argument("--dt", type=float, default=1e-4, help="Poisson time step, seconds")
    parser.add_argument("--n-mels", type=int, default=40)
    parser.add_argument("--max-rate", type=float, default=100.0, help="Poisson rate of the loudest bin, Hz")
    parser.add_argument("--delta-threshold", type=float, default=1.0, help="step-forward threshold, log units")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-gammatone", action="store_true")
    arguments = parser.parse_args(argv)
    path = arguments.data or default_data_path()
    rng = np.random.default_rng(arguments.seed)

    timings = {}  # stage -> (wall seconds, CPU seconds of this process)
    clock = Stopwatch()
    dataset = read_fsdd(path, split="all")
    timings["read 3,000 WAVs"] = clock.lap()
    features = [log_mel_spectrogram(signal, dataset.sample_rate, n_mels=arguments.n_mels, hop=HOP)
                for signal in dataset.samples]
    timings["log-mel"] = clock.lap()
    poisson_spikes = 0
    for feature in features:
        rates = arguments.max_rate * normalise_features(feature)
        poisson_spikes += poisson_encode(rates, arguments.dt, rng, frame_duration=HOP).n_spikes
    timings[f"Poisson (dt = {arguments.dt:g} s)"] = clock.lap()
    delta_spikes = sum(delta_encode(feature, arguments.delta_threshold, HOP).n_spikes for feature in features)
    timings["step-forward"] = clock.lap()
    total_wall = sum(wall for wall, _ in timings.values())
    total_cpu = sum(cpu for _, cpu in timings.values())
    if not arguments.skip_gammatone:
        for signal in dataset.samples:
            gammatone_cochleagram(signal, dataset.sample_rate, n_channels=32, hop=HOP)
        timings["(gammatone, 32 channels; not in total)"] = clock.lap()

    n_frames = sum(feature.shape[1] for feature in features)
    print(f"FSDD encoding benchmark: {len(dataset)} files, {n_frames} frames of {HOP * 1e3:g} ms, "
          f"{arguments.n_mels} mel channels; {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}")
    print(f"load average before the run: {LOAD_BEFORE} (wall time includes waiting for a shared CPU)")
    print(f"{'stage':<40} {'wall s':>8} {'CPU s':>8} {'ms/file':>8}")
    for stage, (wall, cpu) in timings.items():
        print(f"{stage:<40} {wall:8.2f} {cpu:8.2f} {1e3 * wall / len(dataset):8.2f}")
    total_label = "total (read + log-mel + Poisson + delta)"
    print(f"{total_label:<40} {total_wall:8.2f} {total_cpu:8.2f} {1e3 * total_wall / len(dataset):8.2f}")
    print(f"spikes per file: Poisson {poisson_spikes / len(dataset):.0f}, "
          f"step-forward {delta_spikes / len(dataset):.0f}")
    verdict = "meets" if total_wall < TARGET else "MISSES"
    print(f"{verdict} the {TARGET:g} s target in wall time (ratio {total_wall / TARGET:.2f}; CPU ratio "
          f"{total_cpu / TARGET:.2f})")
    return 0 if total_wall < TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
