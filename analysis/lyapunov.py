"""Lyapunov exponents: spectra of maps and flows, and largest exponents from data.

Four estimators, each returning a frozen result object whose ``exponents`` are sorted in
descending order, per unit of time (per iteration for maps), with a ``standard_error`` from
block averages of the local exponents, the ``method``, ``dt``, ``duration``, ``n_steps``,
``renormalisation_interval`` and ``transient`` used, and a ``summary()`` string:

* :func:`spectrum_map` -- discrete maps, tangent vectors re-orthonormalised by QR;
* :func:`spectrum_flow` -- ODEs, variational equations integrated with the state (RK4);
* :func:`largest_from_series` -- largest exponent of a scalar series (Rosenstein et al. 1993);
* :func:`divergence_rate` -- exponential separation rate of two given trajectories.

Notes
-----
With tangent vectors Q (n_dims x n_exponents) evolved by dQ/dt = J(x) Q and re-orthonormalised
every interval T by the QR decomposition Q(T) = Q_new R, the local exponents of the interval are
ln|R_ii| / T and the exponents their time average (Benettin et al. 1980; Shimada & Nagashima
1979). Over the whole run the sum of all n_dims exponents equals the time average of trace J.

The flow integrator is the classical RK4 scheme applied to the state and, with the same stage
states, to the tangent vectors: the tangent update is then the exact derivative of the discrete
RK4 step, so the computed exponents are those of the integrated map.

References
----------
Benettin, Galgani, Giorgilli & Strelcyn, Meccanica 15:9-30 (1980).
Shimada & Nagashima, Prog. Theor. Phys. 61:1605 (1979).
Rosenstein, Collins & De Luca, Physica D 65:117-134 (1993).
"""
import math
from dataclasses import dataclass

import numpy as np

from analysis._units import to_si
from hetero_brian.errors import SimulationError

__all__ = [
    "LyapunovResult", "SpectrumResult", "SeriesExponentResult", "DivergenceResult",
    "spectrum_map", "spectrum_flow", "largest_from_series", "divergence_rate",
]

# Growth spread ln(max R_ii / min R_ii) within one renormalisation interval above which the
# weakest tangent direction has lost most of its digits (e^27.6 ~ 1e12).
_MAX_LOG_SPREAD = math.log(1e12)


@dataclass(frozen=True, kw_only=True, eq=False)
class LyapunovResult:
    """Common part of every Lyapunov estimate.

    Attributes
    ----------
    exponents : ndarray
        Exponents sorted in descending order, in 1/time unit of ``dt`` (1/iteration for maps).
    standard_error : ndarray
        Standard error of each exponent from block averages (NaN where undefined).
    method : str
        Name of the algorithm.
    dt : float
        Integration / sampling step (1 for maps).
    duration : float
        Time (iterations for maps) over which the exponents were averaged.
    n_steps : int
        Number of steps in ``duration``.
    renormalisation_interval : float or None
        Time between QR re-orthonormalisations; None where there is none.
    transient : float
        Time discarded before the averaging started.
    epsilon : float or None
        Initial separation of a finite perturbation; None for tangent-space methods.
    """

    exponents: np.ndarray
    standard_error: np.ndarray
    method: str
    dt: float
    duration: float
    n_steps: int
    renormalisation_interval: float | None
    transient: float
    epsilon: float | None = None

    def _header(self):
        values = ", ".join(f"{value:.6g} +/- {error:.2g}"
                           for value, error in zip(self.exponents, self.standard_error))
        interval = ("none" if self.renormalisation_interval is None
                    else f"{self.renormalisation_interval:.6g}")
        eps = "n/a" if self.epsilon is None else f"{self.epsilon:.3g}"
        return (f"{self.method}: exponents [{values}]\n"
                f"  dt={self.dt:.6g}, duration={self.duration:.6g} ({self.n_steps} steps), "
                f"transient={self.transient:.6g}, renormalisation interval={interval}, "
                f"epsilon={eps}")

    def summary(self):
        """Return a human-readable multi-line description of the estimate."""
        return self._header()


@dataclass(frozen=True, kw_only=True, eq=False)
class SpectrumResult(LyapunovResult):
    """Spectrum from QR re-orthonormalisation (maps and flows).

    Attributes
    ----------
    block_exponents : ndarray, shape (n_blocks, n_exponents)
        Exponents averaged over consecutive blocks of renormalisation intervals.
    n_renormalisations : int
        Number of QR steps in the averaging window.
    """

    block_exponents: np.ndarray
    n_renormalisations: int

    def summary(self):
        return (self._header() + f"\n  {self.n_renormalisations} renormalisations, "
                f"standard error from {len(self.block_exponents)} blocks; sum of exponents "
                f"{float(np.sum(self.exponents)):.6g}")


def _positive_finite(value, name, unit="second"):
    value = to_si(value, unit, name)
    if value.ndim != 0 or not np.isfinite(value) or value <= 0:
        shown = value.tolist() if value.ndim else float(value)
        raise ValueError(f"{name} must be a finite number > 0; got {name}={shown!r}")
    return float(value)


def _steps(value, dt, name):
    """Number of dt steps in ``value``, which must be a whole multiple of dt."""
    ratio = value / dt
    n = int(round(ratio))
    if abs(ratio - n) > 1e-6 * max(1.0, ratio):
        raise ValueError(f"{name} must be a whole multiple of dt; got {name}={value!r}, dt={dt!r} "
                         f"({name}/dt = {ratio!r})")
    return n


def _count(value, name, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {name}={value!r}")
    return int(value)


def _state(x0, name="x0"):
    x = np.atleast_1d(np.asarray(x0, dtype=float))
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D state vector; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite; got {name}={x!r}")
    return x


def _check_calls(f, jacobian, x, autonomous, f_name):
    """Check the shapes returned by the user's functions at x0 (maps: autonomous=None)."""
    fx = np.atleast_1d(np.asarray(f(x) if autonomous is not False else f(0.0, x), dtype=float))
    if fx.shape != x.shape:
        raise ValueError(f"{f_name} must return an array of the state's shape {x.shape}; "
                         f"got shape {fx.shape}")
    jx = jacobian(x) if autonomous is not False else jacobian(0.0, x)
    shape = tuple(getattr(jx, "shape", np.shape(jx)))
    if shape != (x.size, x.size) and not (autonomous is None and np.size(jx) == x.size ** 2):
        raise ValueError(f"jacobian must return an array of shape {(x.size, x.size)}; "
                         f"got shape {shape}")


def _initial_basis(n_dims, n_exponents, seed):
    """A random orthonormal basis (avoids alignment with invariant coordinate subspaces)."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((n_dims, n_exponents)))
    return basis


def _orthonormalise(tangent):
    """QR with a non-negative diagonal; returns (Q, |diag R|)."""
    n_columns = tangent.shape[1]
    if n_columns > 4:
        q, r = np.linalg.qr(tangent)
        return q, np.abs(np.diagonal(r))
    # Few columns: Gram-Schmidt with a second projection pass ("twice is enough"), orthogonal to
    # rounding as long as the columns are not numerically dependent; faster than LAPACK here.
    q = np.empty_like(tangent)
    norms = np.empty(n_columns)
    for i in range(n_columns):
        column = tangent[:, i]
        if i:
            basis = q[:, :i]
            column = column - basis @ (basis.T @ column)
            column = column - basis @ (basis.T @ column)
        norms[i] = math.sqrt(float(column @ column))
        q[:, i] = column / norms[i] if norms[i] > 0 else column
    return q, norms


def _blocks(log_growth, spans, n_blocks):
    """Exponents, standard errors and block exponents from per-interval log growths."""
    n_intervals = len(spans)
    total = np.sum(log_growth, axis=0) / np.sum(spans)
    n_blocks = min(n_blocks, n_intervals)
    edges = np.linspace(0, n_intervals, n_blocks + 1).round().astype(int)
    blocks = np.array([np.sum(log_growth[a:b], axis=0) / np.sum(spans[a:b])
                       for a, b in zip(edges[:-1], edges[1:])])
    if n_blocks >= 2:
        error = np.std(blocks, axis=0, ddof=1) / math.sqrt(n_blocks)
    else:
        error = np.full(total.shape, np.nan)
    return total, error, blocks


def _non_finite(function, where, x, tangent):
    raise SimulationError(f"{function}: the state or the tangent vectors became non-finite at "
                          f"{where} (x={x!r}, finite tangent entries: "
                          f"{np.isfinite(tangent).mean():.0%})")


def _log_growth(growths, interval, unit):
    """ln |R_ii| per interval; refuses intervals so long that weak directions lost precision."""
    with np.errstate(divide="ignore"):
        logs = np.log(np.array(growths))
    finite = np.where(np.isfinite(logs), logs, np.nan)
    spread = np.nanmax(finite, axis=1) - np.nanmin(finite, axis=1) if logs.shape[1] > 1 else None
    if spread is not None and np.nanmax(spread) > _MAX_LOG_SPREAD:
        worst = int(np.nanargmax(spread))
        suggestion = interval * 0.5 * _MAX_LOG_SPREAD / spread[worst]
        raise ValueError(
            f"renormalisation interval too long: the tangent vectors' growth factors differ by "
            f"e^{spread[worst]:.1f} within {unit} interval {worst}, so the weakest directions lose "
            f"their precision; use a qr_interval of at most about {suggestion:.3g} "
            f"(got {interval!r})")
    return logs


def _sorted(total, error, blocks):
    order = np.argsort(-total, kind="stable")
    return total[order], error[order], blocks[:, order]


def spectrum_map(f, jacobian, x0, n_steps, n_exponents, *, n_transient=0, qr_interval=1,
                 n_blocks=10, seed=0):
    """Lyapunov spectrum of a discrete map x_{n+1} = f(x_n), per iteration.

    Parameters
    ----------
    f : callable
        ``f(x) -> x_next`` for a 1-D state array (shape (n_dims,)).
    jacobian : callable
        ``jacobian(x) -> (n_dims, n_dims)`` array, the derivative df/dx at x.
    x0 : array_like, shape (n_dims,)
        Initial state (a scalar for 1-D maps).
    n_steps : int
        Iterations averaged over (after the transient), at least 2 renormalisation intervals.
    n_exponents : int
        How many of the largest exponents, 1 <= n_exponents <= n_dims.
    n_transient : int, optional
        Iterations discarded first (the tangent basis evolves during them too).
    qr_interval : int, optional
        Iterations between QR re-orthonormalisations.
    n_blocks : int, optional
        Blocks of renormalisation intervals for the standard error.
    seed : int, optional
        Seed of the random initial tangent basis.

    Returns
    -------
    SpectrumResult
        ``exponents`` in 1/iteration, ``dt`` = 1, ``duration`` = ``n_steps``.

    Notes
    -----
    lambda_i = (1 / N) sum_m ln |R_ii^(m)|, where Q^(m) R^(m) = J(x_{m-1}) ... Q^(m-1).
    """
    x = _state(x0)
    n_steps = _count(n_steps, "n_steps", 1)
    n_exponents = _count(n_exponents, "n_exponents", 1)
    if n_exponents > x.size:
        raise ValueError(f"n_exponents must not exceed the dimension {x.size} of x0; "
                         f"got n_exponents={n_exponents}")
    n_transient = _count(n_transient, "n_transient", 0)
    qr_interval = _count(qr_interval, "qr_interval", 1)
    n_blocks = _count(n_blocks, "n_blocks", 2)
    if qr_interval > n_steps:
        raise ValueError(f"qr_interval must not exceed n_steps; got qr_interval={qr_interval}, "
                         f"n_steps={n_steps}")
    if n_steps < 2 * qr_interval:
        raise ValueError(f"n_steps must cover at least 2 renormalisation intervals for a standard "
                         f"error; got n_steps={n_steps}, qr_interval={qr_interval}")
    _check_calls(f, jacobian, x, None, "f")
    tangent = _initial_basis(x.size, n_exponents, seed)
    growths, spans = [], []
    total_steps = n_transient + n_steps
    shape = (x.size, x.size)
    since_qr = 0
    for step in range(1, total_steps + 1):
        tangent = np.reshape(jacobian(x), shape) @ tangent
        x = np.atleast_1d(f(x))
        since_qr += 1
        if since_qr == qr_interval or step == n_transient or step == total_steps:
            tangent, growth = _orthonormalise(tangent)
            if not (np.all(np.isfinite(growth)) and np.all(np.isfinite(x))):
                _non_finite("spectrum_map", f"iteration {step}", x, tangent)
            if step > n_transient:
                growths.append(growth)
                spans.append(since_qr)
            since_qr = 0
    logs = _log_growth(growths, qr_interval, "iteration")
    total, error, blocks = _sorted(*_blocks(logs, np.array(spans, float), n_blocks))
    return SpectrumResult(
        exponents=total, standard_error=error, method="QR tangent map (Benettin)", dt=1.0,
        duration=float(n_steps), n_steps=n_steps, renormalisation_interval=float(qr_interval),
        transient=float(n_transient), block_exponents=blocks, n_renormalisations=len(spans))


def spectrum_flow(rhs, jacobian, x0, dt, t_total, n_exponents, *, t_transient=0.0,
                  qr_interval=None, n_blocks=10, seed=0, autonomous=True):
    """Lyapunov spectrum of an ODE dx/dt = rhs(x), per unit time.

    Parameters
    ----------
    rhs : callable
        ``rhs(x) -> dx/dt`` (``rhs(t, x)`` when ``autonomous=False``), 1-D arrays.
    jacobian : callable
        ``jacobian(x)`` (or ``jacobian(t, x)``) -> (n_dims, n_dims) array or any object with
        ``@`` (e.g. a scipy sparse matrix): the derivative of rhs at x.
    x0 : array_like, shape (n_dims,)
        Initial state.
    dt : float or Quantity
        RK4 step, in the time unit of rhs (seconds when rhs uses SI).
    t_total : float or Quantity
        Total integration time, transient included; a whole multiple of dt.
    n_exponents : int
        How many of the largest exponents; only that many tangent vectors are integrated.
    t_transient : float or Quantity, optional
        Time discarded first (state and tangent vectors both evolve); a multiple of dt.
    qr_interval : float or Quantity, optional
        Time between QR re-orthonormalisations, a multiple of dt; default 10 dt, or the whole
        averaging window split in two when that is shorter.
    n_blocks : int, optional
        Blocks of renormalisation intervals for the standard error.
    seed : int, optional
        Seed of the random initial tangent basis.
    autonomous : bool, optional
        False to call ``rhs(t, x)`` and ``jacobian(t, x)`` with the time since x0.

    Returns
    -------
    SpectrumResult
        Exponents in 1/(time unit of dt); ``duration`` = t_total - t_transient.

    Raises
    ------
    ValueError
        dt <= 0, t_total <= t_transient, a time not a multiple of dt, qr_interval longer than the
        averaging window, n_exponents > dimension, non-finite x0, or a renormalisation interval so
        long that the weakest tangent directions lose their precision.
    hetero_brian.errors.SimulationError
        If the state or tangent vectors become non-finite.

    Notes
    -----
    RK4 on the joint system dx/dt = f(x), dQ/dt = J(x) Q with Q of shape (n_dims, n_exponents);
    the cost per step is 4 products J Q, so O(n_dims^2 n_exponents).
    """
    x = _state(x0)
    dt = _positive_finite(dt, "dt")
    t_total = _positive_finite(t_total, "t_total")
    t_transient = float(to_si(t_transient, "second", "t_transient"))
    if not np.isfinite(t_transient) or t_transient < 0:
        raise ValueError(f"t_transient must be a finite number >= 0; "
                         f"got t_transient={t_transient!r}")
    if t_total <= t_transient:
        raise ValueError(f"t_total must be longer than t_transient; got t_total={t_total!r}, "
                         f"t_transient={t_transient!r}")
    n_exponents = _count(n_exponents, "n_exponents", 1)
    if n_exponents > x.size:
        raise ValueError(f"n_exponents must not exceed the dimension {x.size} of x0; "
                         f"got n_exponents={n_exponents}")
    n_blocks = _count(n_blocks, "n_blocks", 2)
    n_total = _steps(t_total, dt, "t_total")
    n_transient = _steps(t_transient, dt, "t_transient")
    n_average = n_total - n_transient
    if qr_interval is None:
        steps_per_qr = max(1, min(10, n_average // 2))
    else:
        qr_interval = _positive_finite(qr_interval, "qr_interval")
        steps_per_qr = _steps(qr_interval, dt, "qr_interval")
        if steps_per_qr < 1:
            raise ValueError(f"qr_interval must be at least dt; got qr_interval={qr_interval!r}, "
                             f"dt={dt!r}")
        if steps_per_qr > n_average:
            raise ValueError(f"qr_interval must not exceed the averaging window t_total - "
                             f"t_transient = {n_average * dt!r}; got qr_interval={qr_interval!r}")
    if n_average < 2 * steps_per_qr:
        raise ValueError(f"the averaging window t_total - t_transient = {n_average * dt!r} must "
                         f"hold at least 2 renormalisation intervals ({steps_per_qr * dt!r} each) "
                         f"for a standard error; lengthen t_total")
    _check_calls(rhs, jacobian, x, bool(autonomous), "rhs")
    if autonomous:
        def field(_, state):
            return rhs(state)

        def derivative(_, state):
            return jacobian(state)
    else:
        field, derivative = rhs, jacobian
    tangent = _initial_basis(x.size, n_exponents, seed)
    half, sixth = 0.5 * dt, dt / 6.0
    growths, spans = [], []
    since_qr = 0
    for step in range(1, n_total + 1):
        t = (step - 1) * dt
        k1 = field(t, x)
        c1 = derivative(t, x) @ tangent
        x2 = x + half * k1
        k2 = field(t + half, x2)
        c2 = derivative(t + half, x2) @ (tangent + half * c1)
        x3 = x + half * k2
        k3 = field(t + half, x3)
        c3 = derivative(t + half, x3) @ (tangent + half * c2)
        x4 = x + dt * k3
        k4 = field(t + dt, x4)
        c4 = derivative(t + dt, x4) @ (tangent + dt * c3)
        x = x + sixth * (k1 + 2.0 * (k2 + k3) + k4)
        tangent = tangent + sixth * (c1 + 2.0 * (c2 + c3) + c4)
        since_qr += 1
        if since_qr == steps_per_qr or step == n_transient or step == n_total:
            if not (np.all(np.isfinite(x)) and np.all(np.isfinite(tangent))):
                _non_finite("spectrum_flow", f"t={step * dt!r}", x, tangent)
            tangent, growth = _orthonormalise(np.asarray(tangent))
            if step > n_transient:
                growths.append(growth)
                spans.append(since_qr * dt)
            since_qr = 0
    logs = _log_growth(growths, steps_per_qr * dt, "renormalisation")
    total, error, blocks = _sorted(*_blocks(logs, np.array(spans), n_blocks))
    return SpectrumResult(
        exponents=total, standard_error=error, method="QR variational equations, RK4 (Benettin)",
        dt=dt, duration=n_average * dt, n_steps=n_average,
        renormalisation_interval=steps_per_qr * dt, transient=n_transient * dt,
        block_exponents=blocks, n_renormalisations=len(spans))


# ----------------------------------------------------------------------------------------------
# Largest exponent from a scalar time series (Rosenstein et al. 1993)
# ----------------------------------------------------------------------------------------------

_MIN_SERIES = 100          # samples needed before any embedding parameter can be estimated
_MIN_REFERENCE_POINTS = 100  # reference points whose divergence is averaged, at the least


@dataclass(frozen=True, kw_only=True, eq=False)
class SeriesExponentResult(LyapunovResult):
    """Largest exponent of a scalar series, with the embedding and fit it used.

    Attributes
    ----------
    exponent : float
        The largest exponent (same as ``exponents[0]``), 1/time unit of dt.
    delay : int
        Embedding delay in samples (``delay * dt`` in time).
    embedding_dimension : int
        Number of delay coordinates.
    theiler_window : int
        Neighbours closer than this many samples in time are excluded.
    times : ndarray
        Time axis of the divergence curve (k * dt).
    divergence : ndarray
        Mean log distance <ln d_i(k)> of the neighbour pairs against ``times``.
    fit_window : tuple of float
        (start, stop) times of the linear fit.
    r_squared : float
        Coefficient of determination of the fit.
    n_pairs : int
        Number of reference points averaged.
    delay_rule, dimension_rule : str
        How delay and dimension were chosen ("given" when passed in).
    """

    exponent: float
    delay: int
    embedding_dimension: int
    theiler_window: int
    times: np.ndarray
    divergence: np.ndarray
    fit_window: tuple
    r_squared: float
    n_pairs: int
    delay_rule: str
    dimension_rule: str

    def summary(self):
        return (self._header() + f"\n  delay={self.delay} samples ({self.delay_rule}), "
                f"embedding dimension={self.embedding_dimension} ({self.dimension_rule}), Theiler "
                f"window={self.theiler_window} samples, {self.n_pairs} pairs, fit "
                f"{self.fit_window[0]:.6g}-{self.fit_window[1]:.6g} (R^2={self.r_squared:.4f})")


def _series(x):
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be a 1-D series; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"x must be finite; found {int(np.sum(~np.isfinite(x)))} non-finite "
                         f"samples")
    if x.size < _MIN_SERIES:
        raise ValueError(f"x is too short: {x.size} samples; largest_from_series needs at least "
                         f"{_MIN_SERIES} to estimate the embedding (and usually thousands)")
    if np.ptp(x) == 0:
        raise ValueError("x is constant; a Lyapunov exponent needs a varying series")
    return x


def _autocorrelation_time(x):
    """First lag (samples) at which the autocorrelation falls below 1/e, or None."""
    centred = x - x.mean()
    size = 1 << (2 * x.size - 1).bit_length()
    spectrum = np.fft.rfft(centred, size)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), size)[: x.size // 4]
    below = np.flatnonzero(acf / acf[0] < 1.0 / math.e)
    return int(below[0]) if below.size else None


def _mutual_information_minimum(x, max_lag):
    """First local minimum (samples) of the histogram mutual information I(x_t; x_t+lag)."""
    n_bins = int(np.clip(np.sqrt(x.size / 5.0), 8, 64))
    edges = np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1])
    bins = np.searchsorted(edges, x)
    previous = None
    for lag in range(1, max_lag + 1):
        joint = np.bincount(bins[:-lag] * n_bins + bins[lag:], minlength=n_bins * n_bins)
        joint = joint.reshape(n_bins, n_bins) / (x.size - lag)
        outer = joint.sum(axis=1)[:, None] * joint.sum(axis=0)[None, :]
        nonzero = joint > 0
        info = float(np.sum(joint[nonzero] * np.log(joint[nonzero] / outer[nonzero])))
        if previous is not None and info > previous:
            return lag - 1
        previous = info
    return None


def _mean_period(x):
    """Mean period in samples: 1 / (power-weighted mean frequency), at least 1."""
    power = np.abs(np.fft.rfft(x - x.mean())) ** 2
    frequencies = np.fft.rfftfreq(x.size)
    mean_frequency = np.sum(frequencies[1:] * power[1:]) / np.sum(power[1:])
    return max(1, int(math.ceil(1.0 / mean_frequency)))


def _embed(x, dimension, delay, n_points):
    return np.stack([x[i * delay: i * delay + n_points] for i in range(dimension)], axis=1)


def _nearest_outside(points, reference, window):
    """Index of each reference point's nearest neighbour more than ``window`` samples away."""
    from scipy.spatial import cKDTree

    tree = cKDTree(points)
    neighbour = np.full(reference.size, -1)
    pending = np.arange(reference.size)
    k = min(points.shape[0], 8)
    while pending.size:
        _, index = tree.query(points[reference[pending]], k=k)
        index = index.reshape(pending.size, k)
        valid = np.abs(index - reference[pending, None]) > window
        found = valid.any(axis=1)
        neighbour[pending[found]] = index[found, np.argmax(valid[found], axis=1)]
        pending = pending[~found]
        if k >= points.shape[0]:
            break
        k = min(points.shape[0], 2 * k)
    return neighbour


def _false_neighbour_dimension(x, delay, window, max_dimension, threshold):
    """Smallest dimension with a false-nearest-neighbour fraction below ``threshold``.

    Kennel, Brown & Abarbanel (1992): a neighbour is false when adding the next delay coordinate
    stretches the distance by more than 10 times, or beyond 2 standard deviations of x.
    """
    fractions = []
    spread = np.std(x)
    for dimension in range(1, max_dimension + 1):
        n_points = x.size - dimension * delay
        if n_points < 2 * window + 10:
            break
        points = _embed(x, dimension, delay, n_points)
        reference = np.unique(np.linspace(0, n_points - 1, min(n_points, 2000)).astype(int))
        neighbour = _nearest_outside(points, reference, window)
        ok = neighbour >= 0
        distance = np.linalg.norm(points[reference[ok]] - points[neighbour[ok]], axis=1)
        extra = np.abs(x[reference[ok] + dimension * delay] - x[neighbour[ok] + dimension * delay])
        with np.errstate(divide="ignore", invalid="ignore"):
            false = (extra > 10.0 * distance) | (np.hypot(distance, extra) > 2.0 * spread)
        fractions.append(float(np.mean(false)))
        if fractions[-1] < threshold:
            return dimension, f"false nearest neighbours {fractions[-1]:.3f} < {threshold}"
    if not fractions:
        raise ValueError(f"x is too short to test embedding dimensions with delay={delay} and "
                         f"theiler_window={window}")
    best = int(np.argmin(fractions)) + 1
    return best, f"fewest false nearest neighbours ({fractions[best - 1]:.3f}; none < {threshold})"


def _linear_fit(times, values):
    slope, intercept = np.polyfit(times, values, 1)
    residual = values - (slope * times + intercept)
    total = np.sum((values - values.mean()) ** 2)
    return float(slope), float(1.0 - np.sum(residual ** 2) / total) if total > 0 else 1.0


def _rise_window(curve, low, high):
    """Indices [a, b) of the part of ``curve`` between fractions low and high of its rise."""
    rise = np.max(curve) - curve[0]
    start = int(np.argmax(curve >= curve[0] + low * rise))
    stop = int(np.argmax(curve >= curve[0] + high * rise))
    if stop - start < 3:
        start, stop = 0, max(int(np.argmax(curve >= curve[0] + 0.9 * rise)), 3)
    return start, min(stop, curve.size)


def largest_from_series(x, dt, *, delay=None, embedding_dimension=None, theiler_window=None,
                        max_steps=None, max_dimension=10, fnn_threshold=0.01,
                        max_reference_points=10000, n_blocks=10):
    """Largest Lyapunov exponent of a scalar series by the method of Rosenstein et al. (1993).

    Parameters
    ----------
    x : array_like, shape (n_samples,)
        Scalar series sampled every ``dt``.
    dt : float or Quantity
        Sampling interval (seconds, or the series' own time unit; 1 for maps).
    delay : int, optional
        Embedding delay in samples. Default: the smaller of the first local minimum of the
        histogram mutual information I(x_t; x_t+lag) and the first lag at which the
        autocorrelation falls below 1/e (the earlier of two independence criteria).
    embedding_dimension : int, optional
        Default: the smallest dimension (up to ``max_dimension``) whose fraction of false nearest
        neighbours (Kennel et al. 1992) is below ``fnn_threshold``; failing that, the one with the
        fewest.
    theiler_window : int, optional
        Neighbours closer in time than this many samples are excluded. Default: the mean period,
        1 / (power-weighted mean frequency), as Rosenstein et al. do.
    max_steps : int, optional
        Length of the divergence curve in samples; default max(20, 5 * theiler_window).
    max_dimension, fnn_threshold : optional
        Search range and acceptance level of the false-nearest-neighbour test.
    max_reference_points : int, optional
        At most this many evenly spaced reference points are averaged.
    n_blocks : int, optional
        Reference points are split into this many consecutive blocks for the standard error.

    Returns
    -------
    SeriesExponentResult
        The exponent in 1/time unit of dt, the chosen parameters and the divergence curve.

    Raises
    ------
    ValueError
        A series too short for the embedding (the message gives the minimum length), constant or
        non-finite, or dt <= 0.

    Notes
    -----
    Each reference point Y_i of the delay embedding is paired with its nearest neighbour Y_j,
    |i - j| > theiler_window; y(k) = <ln ||Y_{i+k} - Y_{j+k}||> over pairs, and the exponent is the
    slope of y against k dt. The fit window is chosen automatically as the part of y between
    10 % and 70 % of its total rise from y(0) to max y (before saturation at the attractor size;
    if that holds fewer than 3 points, from 0 to 90 % of the rise). The series needs at least
    (m - 1) tau + max_steps + 2 (theiler_window + 1) + 100 samples (100 reference points).
    """
    x = _series(x)
    dt = _positive_finite(dt, "dt")
    delay_rule = dimension_rule = "given"
    if theiler_window is None:
        theiler_window = _mean_period(x)
    theiler_window = _count(theiler_window, "theiler_window", 0)
    if delay is None:
        autocorrelation = _autocorrelation_time(x)
        information = _mutual_information_minimum(x, autocorrelation or x.size // 10)
        candidates = [lag for lag in (autocorrelation, information) if lag]
        if not candidates:
            raise ValueError("could not choose the embedding delay (no autocorrelation drop below "
                             "1/e and no mutual-information minimum); pass delay=")
        delay = min(candidates)
        delay_rule = (f"min(autocorrelation 1/e lag={autocorrelation}, first mutual-information "
                      f"minimum={information})")
    delay = _count(delay, "delay", 1)
    if embedding_dimension is None:
        embedding_dimension, dimension_rule = _false_neighbour_dimension(
            x, delay, theiler_window, _count(max_dimension, "max_dimension", 1), fnn_threshold)
    dimension = _count(embedding_dimension, "embedding_dimension", 1)
    if max_steps is None:
        max_steps = max(20, 5 * theiler_window)
    max_steps = _count(max_steps, "max_steps", 3)
    minimum = (dimension - 1) * delay + max_steps + 2 * (theiler_window + 1) + _MIN_REFERENCE_POINTS
    if x.size < minimum:
        raise ValueError(
            f"x is too short: {x.size} samples; at least {minimum} are needed for "
            f"embedding_dimension={dimension}, delay={delay}, theiler_window={theiler_window}, "
            f"max_steps={max_steps} and {_MIN_REFERENCE_POINTS} reference points")
    n_points = x.size - (dimension - 1) * delay
    points = _embed(x, dimension, delay, n_points)
    usable = n_points - max_steps
    reference = np.unique(np.linspace(0, usable - 1, min(usable, max_reference_points)).astype(int))
    neighbour = _nearest_outside(points[:usable], reference, theiler_window)
    ok = neighbour >= 0
    reference, neighbour = reference[ok], neighbour[ok]
    if reference.size < _MIN_REFERENCE_POINTS // 2:
        raise ValueError(f"only {reference.size} reference points of x have a neighbour outside "
                         f"the Theiler window ({theiler_window} samples); a longer series is "
                         f"needed")
    blocks = np.array_split(np.arange(reference.size), min(_count(n_blocks, "n_blocks", 2),
                                                           reference.size))
    block_curves = np.empty((len(blocks), max_steps))
    for step in range(max_steps):
        distance = np.linalg.norm(points[reference + step] - points[neighbour + step], axis=1)
        with np.errstate(divide="ignore"):
            log_distance = np.where(distance > 0, np.log(distance), np.nan)  # exact duplicates
        block_curves[:, step] = [np.nanmean(log_distance[block]) for block in blocks]
    if not np.all(np.isfinite(block_curves)):
        raise ValueError("x repeats itself exactly (zero distances between whole blocks of "
                         "neighbour pairs); a Lyapunov exponent cannot be estimated from it")
    sizes = np.array([block.size for block in blocks])
    curve = sizes @ block_curves / sizes.sum()
    times = np.arange(max_steps) * dt
    start, stop = _rise_window(curve, 0.1, 0.7)
    exponent, r_squared = _linear_fit(times[start:stop], curve[start:stop])
    block_slopes = [_linear_fit(times[start:stop], block[start:stop])[0] for block in block_curves]
    error = float(np.std(block_slopes, ddof=1) / math.sqrt(len(blocks)))
    return SeriesExponentResult(
        exponents=np.array([exponent]), standard_error=np.array([error]),
        method="Rosenstein et al. 1993 (nearest-neighbour divergence)", dt=dt,
        duration=x.size * dt, n_steps=x.size, renormalisation_interval=None, transient=0.0,
        exponent=exponent, delay=delay, embedding_dimension=dimension,
        theiler_window=theiler_window, times=times, divergence=curve,
        fit_window=(float(times[start]), float(times[stop - 1])), r_squared=r_squared,
        n_pairs=int(reference.size), delay_rule=delay_rule, dimension_rule=dimension_rule)


# ----------------------------------------------------------------------------------------------
# Separation rate of a reference and a perturbed trajectory
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True, eq=False)
class DivergenceResult(LyapunovResult):
    """Exponential separation rate of two trajectories.

    Attributes
    ----------
    rate : float
        Fitted rate (same as ``exponents[0]``), 1/time unit of t; -inf when ``identical``; NaN when
        no exponential regime could be resolved (see ``message``).
    regime : str
        "diverging", "contracting", "neutral", "identical" or "unresolved".
    identical : bool
        True when the two trajectories coincide at every time (no separation to measure).
    message : str
        Plain-language description, including why a window was chosen or refused.
    times, distance : ndarray
        Sample times and Euclidean separations ||pert - ref||.
    fit_window : tuple of float or None
        (start, stop) times of the fit.
    r_squared : float
        Coefficient of determination of the log-linear fit (NaN when no fit).
    saturation_distance, floor_distance : float
        The separations at which the window was cut for divergence and contraction.
    """

    rate: float
    regime: str
    identical: bool
    message: str
    times: np.ndarray
    distance: np.ndarray
    fit_window: tuple | None
    r_squared: float
    saturation_distance: float
    floor_distance: float

    def summary(self):
        window = ("none" if self.fit_window is None
                  else f"{self.fit_window[0]:.6g}-{self.fit_window[1]:.6g}")
        return (self._header() + f"\n  regime: {self.regime}; fit window {window} "
                f"(R^2={self.r_squared:.4f}); {self.message}")


def _trajectories(t, states_ref, states_pert):
    t = to_si(t, "second", "t")
    if t.ndim != 1 or t.size < 3:
        raise ValueError(f"t must be a 1-D array of at least 3 times; got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise ValueError("t must be finite and strictly increasing (every time step dt > 0); got "
                         f"min(diff(t))={np.min(np.diff(t))!r}")
    arrays = []
    for name, states in (("states_ref", states_ref), ("states_pert", states_pert)):
        states = np.asarray(states, dtype=float)
        if states.ndim == 1:
            states = states[:, None]
        if states.ndim != 2 or states.shape[0] != t.size:
            raise ValueError(f"{name} must have shape (n_times, n_dims) with n_times = len(t) = "
                             f"{t.size}; got shape {states.shape}")
        if not np.all(np.isfinite(states)):
            bad = np.argwhere(~np.isfinite(states))[0]
            raise ValueError(f"{name} must be finite; got {states[tuple(bad)]!r} at time "
                             f"t={t[bad[0]]!r}, dimension {bad[1]}")
        arrays.append(states)
    if arrays[0].shape != arrays[1].shape:
        raise ValueError(f"states_ref and states_pert must have the same shape; got "
                         f"{arrays[0].shape} and {arrays[1].shape}")
    return t, arrays[0], arrays[1]


def divergence_rate(t, states_ref, states_pert, *, saturation_fraction=0.1, rise_fraction=0.8,
                    n_blocks=10):
    """Exponential rate at which a perturbed trajectory separates from (or joins) a reference.

    Parameters
    ----------
    t : array_like, shape (n_times,)
        Sample times, strictly increasing (seconds or the system's own time unit).
    states_ref, states_pert : array_like, shape (n_times, n_dims)
        Reference and perturbed states at ``t`` (1-D arrays are taken as n_dims = 1).
    saturation_fraction : float, optional
        A diverging fit stops before the separation reaches this fraction of the attractor size
        sqrt(2 * sum of the reference's variances) (the mean distance of two independent points).
    rise_fraction : float, optional
        ... or before this fraction of its total log-rise (or log-fall), whichever comes first.
    n_blocks : int, optional
        The fit window is split into this many blocks for the standard error.

    Returns
    -------
    DivergenceResult
        ``rate`` in 1/time unit of t, the window, the regime and a message. Identical
        trajectories give ``identical=True``, ``rate=-inf`` and a message, never log(0).

    Notes
    -----
    d(t) = ||x_pert(t) - x_ref(t)||; the rate is the least-squares slope of ln d against t over
    the window that starts at the first t with d > 0 and ends at the first time d leaves the
    exponential regime: for a diverging pair (max of ln d rises more above the start than its
    minimum falls below), when d reaches saturation_fraction x attractor size or rise_fraction of
    the total rise; for a contracting pair, when d reaches the floating-point floor
    64 eps max||x_ref|| or rise_fraction of the total fall. The standard error comes from the
    rates over n_blocks consecutive sub-windows. A finite initial separation measures a
    finite-size rate, not the infinitesimal Lyapunov exponent: ``epsilon`` reports it and the
    message labels the rate "finite-size" when epsilon > 1e-6 x attractor size.

    Raises
    ------
    ValueError
        Mismatched shapes, t not strictly increasing, non-finite states, or an initial separation
        at or below the floating-point floor (a perturbation lost in rounding).
    """
    t, ref, pert = _trajectories(t, states_ref, states_pert)
    distance = np.linalg.norm(pert - ref, axis=1)
    size = math.sqrt(2.0 * float(np.sum(np.var(ref, axis=0))))
    floor = 64.0 * np.finfo(float).eps * max(float(np.max(np.linalg.norm(ref, axis=1))),
                                             np.finfo(float).tiny)
    common = dict(method="two-trajectory separation (log-linear fit)",
                  dt=float(np.median(np.diff(t))), duration=float(t[-1] - t[0]), n_steps=t.size - 1,
                  renormalisation_interval=None, times=t, distance=distance, floor_distance=floor)
    positive = np.flatnonzero(distance > 0)
    if positive.size == 0:
        return DivergenceResult(
            exponents=np.array([-np.inf]), standard_error=np.array([0.0]), transient=0.0,
            epsilon=0.0, rate=-np.inf, regime="identical", identical=True, fit_window=None,
            r_squared=float("nan"), saturation_distance=saturation_fraction * size,
            message="the trajectories are identical at every time: there is no separation to "
                    "measure (rate reported as -inf, not log(0))", **common)
    first = int(positive[0])
    epsilon = float(distance[first])
    if epsilon <= floor:
        raise ValueError(f"the initial separation epsilon={epsilon:.3g} (at t={t[first]!r}) is "
                         f"below the floating-point resolution {floor:.3g} of states_ref: the "
                         f"perturbation is rounding noise; use a larger perturbation")
    log_d = np.full(t.size, -np.inf)
    log_d[positive] = np.log(distance[positive])
    rise = float(np.max(log_d[first:]) - log_d[first])
    later = log_d[first:][np.isfinite(log_d[first:])]
    fall = float(log_d[first] - np.min(later))
    saturation = saturation_fraction * size if saturation_fraction * size > epsilon else np.inf
    if rise <= 1e-12 and fall <= 1e-12:
        regime, stop = "neutral", t.size
    elif rise >= fall:
        regime = "diverging"
        level = min(log_d[first] + rise_fraction * rise, math.log(saturation))
        beyond = np.flatnonzero(log_d[first:] >= level)
        stop = first + (int(beyond[0]) if beyond.size else t.size - first)
    else:
        regime = "contracting"
        level = max(log_d[first] - rise_fraction * fall, math.log(floor))
        beyond = np.flatnonzero(log_d[first:] <= level)
        stop = first + (int(beyond[0]) if beyond.size else t.size - first)
    if stop - first < 3:
        return DivergenceResult(
            exponents=np.array([np.nan]), standard_error=np.array([np.nan]),
            transient=float(t[first] - t[0]),
            epsilon=epsilon, rate=float("nan"), regime="unresolved", identical=False,
            fit_window=None, r_squared=float("nan"), saturation_distance=float(saturation),
            message=f"the separation is {regime} but leaves the exponential regime within "
                    f"{stop - first} samples of t={t[first]:.6g} (initial separation "
                    f"{epsilon:.3g}, saturation {saturation:.3g}, floor {floor:.3g}); sample "
                    f"more finely or use a smaller perturbation", **common)
    window = slice(first, stop)
    rate, r_squared = _linear_fit(t[window], log_d[window])
    edges = np.linspace(first, stop - 1, min(_count(n_blocks, "n_blocks", 2), stop - first - 1) + 1)
    edges = np.unique(edges.round().astype(int))
    block_rates = (log_d[edges[1:]] - log_d[edges[:-1]]) / (t[edges[1:]] - t[edges[:-1]])
    error = (float(np.std(block_rates, ddof=1) / math.sqrt(block_rates.size))
             if block_rates.size >= 2 else float("nan"))
    if size == 0:
        kind = "(reference at rest: no attractor size to judge epsilon against)"
    else:
        kind = "finite-size" if epsilon > 1e-6 * size else "small-perturbation"
    return DivergenceResult(
        exponents=np.array([rate]), standard_error=np.array([error]),
        transient=float(t[first] - t[0]),
        epsilon=epsilon, rate=rate, regime=regime, identical=False,
        fit_window=(float(t[first]), float(t[stop - 1])), r_squared=r_squared,
        saturation_distance=float(saturation),
        message=f"{regime} separation, {kind} rate from initial separation {epsilon:.3g}, fitted "
                f"on samples {first}-{stop - 1} (cut at saturation {saturation:.3g} / floor "
                f"{floor:.3g} / {rise_fraction:.0%} of the log-range)", **common)
