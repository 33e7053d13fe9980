"""Timings of the Lyapunov estimators on one core.

Usage::

    python benchmarks/lyapunov.py             # all rows (the 500-exponent row takes minutes)
    python benchmarks/lyapunov.py --quick     # skip the full-spectrum row
    python benchmarks/lyapunov.py --n-exponents 20 100 500
    python benchmarks/lyapunov.py --configurations 0.05:float64 0.05:float32   # RK4 step : tangent precision

The main row is the issue's target: ``spectrum_flow`` on a 500-neuron tanh rate network
(W[post, pre] ~ N(0, g^2 / n) with g = 1.5, tau_i uniform in [0.5, 1.5] time units, so one time
unit is the mean membrane time constant) for 400 time units (50 of them transient) with
dt = min(tau) / 10 = 0.05, QR every 10 steps: 8000 RK4 steps, against the 2-minute target.
BLAS is limited to one thread before numpy is imported; both wall and CPU time are printed, as
wall time on a shared machine overstates the cost. The cost is 4 products (n x n)(n x k) per RK4
step, about 8 n^2 k flops, so it grows linearly with the number of exponents k.
"""
import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.integrate import odeint  # noqa: E402

from hetero_brian.analysis.lyapunov import spectrum_flow, spectrum_map  # noqa: E402
from hetero_brian.analysis.lyapunov_series import largest_from_series  # noqa: E402
from hetero_brian.analysis.trajectory_divergence import divergence_rate  # noqa: E402
from hetero_brian.analysis.rate_model import rate_lyapunov_spectrum  # noqa: E402

TARGET_SECONDS = 120.0


def rate_network(n_neurons=500, coupling=1.5, seed=0):
    rng = np.random.default_rng(seed)
    weights = coupling * rng.standard_normal((n_neurons, n_neurons)) / math.sqrt(n_neurons)
    tau = rng.uniform(0.5, 1.5, n_neurons)
    return weights, tau


def timed(function):
    """(wall seconds, CPU seconds of this process, result); one BLAS thread, so CPU ~ one core."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function()
    return (time.perf_counter() - start, time.process_time() - cpu), result


def lorenz(x):
    return np.array([10.0 * (x[1] - x[0]), x[0] * (28.0 - x[2]) - x[1],
                     x[0] * x[1] - 8.0 / 3.0 * x[2]])


def lorenz_jacobian(x):
    return np.array([[-10.0, 10.0, 0.0], [28.0 - x[2], -1.0, -x[0]], [x[1], x[0], -8.0 / 3.0]])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-exponents", type=int, nargs="+", default=[20, 100, 500])
    parser.add_argument("--quick", action="store_true", help="skip n_exponents >= 500")
    parser.add_argument("--t-total", type=float, default=400.0)
    parser.add_argument("--configurations", nargs="+", default=["0.05:float64", "0.05:float32", "0.1:float32"],
                        help="DT:DTYPE pairs timed for the rate-network rows; the first is the reference the "
                             "others are compared with")
    args = parser.parse_args()
    configurations = [(float(item.split(":")[0]), item.split(":")[1]) for item in args.configurations]
    rows = []
    weights, tau = rate_network()
    for n_exponents in args.n_exponents:
        if args.quick and n_exponents >= 500:
            continue
        reference = None
        for dt, dtype in configurations:
            seconds, result = timed(lambda: rate_lyapunov_spectrum(
                weights, tau, n_exponents=n_exponents, dt=dt, t_total=args.t_total,
                t_transient=50.0, qr_interval=0.5, tangent_dtype=dtype))
            verdict = "PASS" if max(seconds) <= TARGET_SECONDS else (
                "over" if min(seconds) > TARGET_SECONDS else "PASS on CPU time, wall over (load?)")
            rows.append((f"spectrum_flow rate net n=500, k={n_exponents}, {args.t_total:g} tu, "
                         f"dt={dt:g}, {dtype}", seconds, f"{verdict} (target {TARGET_SECONDS:.0f} s); lambda1="
                         f"{result.exponents[0]:.4f}+/-{result.standard_error[0]:.4f}, "
                         f"sum={np.sum(result.exponents):.4f}"))
            if reference is None:
                reference = result
                continue
            difference = np.abs(result.exponents - reference.exponents)
            leading = min(10, n_exponents)
            rows.append((f"  vs dt={configurations[0][0]:g} {configurations[0][1]}", (0.0, 0.0),
                         f"max |diff| {difference.max():.2e} (exponent {int(difference.argmax()) + 1} of "
                         f"{reference.exponents[int(difference.argmax())]:.3f}), max |diff|/SE "
                         f"{np.max(difference / reference.standard_error):.3f}; first {leading}: max |diff| "
                         f"{difference[:leading].max():.2e}"))

    seconds, result = timed(lambda: spectrum_map(lambda x: 4.0 * x * (1.0 - x),
                                                 lambda x: 4.0 - 8.0 * x, 0.3, 100000, 1))
    rows.append(("spectrum_map logistic, 1e5 iterations", seconds,
                 f"lambda={result.exponents[0]:.5f} (ln 2 = {math.log(2):.5f})"))
    seconds, result = timed(lambda: spectrum_flow(lorenz, lorenz_jacobian, [1.0, 1.0, 1.0], 0.01,
                                                  210.0, 3, t_transient=10.0, qr_interval=0.1))
    rows.append(("spectrum_flow Lorenz-63, 200 tu, dt=0.01", seconds,
                 "lambda=" + ", ".join(f"{v:.3f}" for v in result.exponents)))
    path = odeint(lambda x, _: lorenz(x), [1.0, 1.0, 1.0], np.arange(0.0, 220.0, 0.01),
                  rtol=1e-9, atol=1e-9)[2000:, 0]
    seconds, result = timed(lambda: largest_from_series(path, 0.01))
    rows.append((f"largest_from_series Lorenz x, {path.size} samples", seconds,
                 f"lambda={result.exponent:.3f} (m={result.embedding_dimension}, "
                 f"delay={result.delay}, w={result.theiler_window})"))
    t = np.linspace(0.0, 50.0, 100001)
    reference = np.random.default_rng(1).standard_normal((t.size, 200))
    perturbed = reference + 1e-9 * np.exp(0.5 * t)[:, None]
    seconds, result = timed(lambda: divergence_rate(t, reference, perturbed))
    rows.append(("divergence_rate 1e5 times x 200 dims", seconds, f"rate={result.rate:.4f} (0.5)"))

    width = max(len(row[0]) for row in rows)
    print(f"{'case':<{width}}  {'wall s':>8}  {'CPU s':>8}  result")
    print("-" * (width + 50))
    for name, (wall, cpu), note in rows:
        print(f"{name:<{width}}  {wall:8.2f}  {cpu:8.2f}  {note}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          f"(wall > CPU time means the core was shared)")


if __name__ == "__main__":
    main()
