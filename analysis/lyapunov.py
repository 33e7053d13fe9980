"""Lyapunov spectra of maps and flows (tangent vectors re-orthonormalised by QR).

Two estimators, each returning a frozen result object whose ``exponents`` are sorted in
descending order, per unit of time (per iteration for maps), with a ``standard_error`` from
block averages of the local exponents, the ``method``, ``dt``, ``duration``, ``n_steps``,
``renormalisation_interval`` and ``transient`` used, and a ``summary()`` string:

* :func:`spectrum_map` -- discrete maps, tangent vectors re-orthonormalised by QR;
* :func:`spectrum_flow` -- ODEs, variational equations integrated with the state (RK4).

The largest exponent of a scalar series (Rosenstein et al. 1993) is
:func:`hetero_brian.analysis.lyapunov_series.largest_from_series`, the separation rate of two given
trajectories :func:`hetero_brian.analysis.trajectory_divergence.divergence_rate`; every result
derives from :class:`hetero_brian.analysis._lyapunov_common.LyapunovResult`.

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

from hetero_brian.analysis._lyapunov_common import LyapunovResult, _count, _positive_finite
from hetero_brian.units import to_si
from hetero_brian.errors import SimulationError

__all__ = ["SpectrumResult", "spectrum_map", "spectrum_flow"]

# Growth spread ln(max R_ii / min R_ii) within one renormalisation interval above which the
# weakest tangent direction has lost most of its digits (e^27.6 ~ 1e12).
_MAX_LOG_SPREAD = math.log(1e12)


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


def _steps(value, dt, name):
    """Number of dt steps in ``value``, which must be a whole multiple of dt."""
    ratio = value / dt
    n = int(round(ratio))
    if abs(ratio - n) > 1e-6 * max(1.0, ratio):
        raise ValueError(f"{name} must be a whole multiple of dt; got {name}={value!r}, dt={dt!r} "
                         f"({name}/dt = {ratio!r})")
    return n


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
                  qr_interval=None, n_blocks=10, seed=0, autonomous=True, tangent_dtype="float64"):
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
    tangent_dtype : {"float64", "float32"}, optional
        Precision of the tangent vectors between re-orthonormalisations (the state, the QR and
        the exponents stay float64). ``"float32"`` roughly halves the cost of the products
        ``J @ Q`` when ``jacobian`` returns float32 products for float32 input (as
        :func:`hetero_brian.analysis.rate_model.rate_lyapunov_spectrum` does); each interval then carries
        relative rounding errors of ~1e-7, so use it for large spectra and check a subset against
        float64 (docs/results/lyapunov.md gives the measured differences).

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
    if tangent_dtype not in ("float64", "float32"):
        raise ValueError(f"tangent_dtype must be 'float64' or 'float32'; got {tangent_dtype!r}")
    _check_calls(rhs, jacobian, x, bool(autonomous), "rhs")
    if autonomous:
        def field(_, state):
            return rhs(state)

        def derivative(_, state):
            return jacobian(state)
    else:
        field, derivative = rhs, jacobian
    tangent = _initial_basis(x.size, n_exponents, seed).astype(tangent_dtype)
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
            tangent, growth = _orthonormalise(np.asarray(tangent, dtype=float))
            tangent = tangent.astype(tangent_dtype, copy=False)
            if step > n_transient:
                growths.append(growth)
                spans.append(since_qr * dt)
            since_qr = 0
    logs = _log_growth(growths, steps_per_qr * dt, "renormalisation")
    total, error, blocks = _sorted(*_blocks(logs, np.array(spans), n_blocks))
    return SpectrumResult(
        exponents=total, standard_error=error,
        method="QR variational equations, RK4 (Benettin)" + (", float32 tangents" if tangent_dtype == "float32" else ""),
        dt=dt, duration=n_average * dt, n_steps=n_average,
        renormalisation_interval=steps_per_qr * dt, transient=n_transient * dt,
        block_exponents=blocks, n_renormalisations=len(spans))
