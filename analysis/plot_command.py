"""``hetero-brian plot RESULT.h5 --kind KIND [--out FIGURE]``: a figure of a saved results file.

The command belongs to the analysis layer (it reads a saved result and draws it; no live Brian2
object), so ``hetero_brian.cli`` does not import it: setup.cfg registers :func:`register` in the
entry-point group ``hetero_brian.commands``, which the command line discovers at start-up.

Kinds: ``raster``, ``rate`` (5 ms bins), ``isi``, ``cv`` (of ``--population``, default the first
recorded one), ``weights`` (initial and final weights of ``--projection``, default the first synapse
table, in SI units), ``tau`` (sampled ``tau_m`` of ``--population``, default the first that has it,
against the density specified in the provenance). Every figure has a title naming the file and the
population or projection drawn.
"""

from pathlib import Path

from hetero_brian.analysis import activity, plots, spike_intervals
from hetero_brian.errors import ResultsError
from hetero_brian.results import load

__all__ = ["PLOT_KINDS", "register", "plot_result"]

PLOT_KINDS = ("raster", "rate", "isi", "cv", "tau", "weights")
RATE_BIN_SIZE = 0.005  # s


def register(subparsers):
    """Add the ``plot`` sub-command to ``hetero-brian``'s argparse ``subparsers``."""
    parser = subparsers.add_parser("plot", help="plot a results file")
    parser.add_argument("result")
    parser.add_argument("--kind", choices=PLOT_KINDS, default="raster")
    parser.add_argument("--out", help="figure path (.png, .svg or .pdf)")
    parser.add_argument("--population", help="population to draw (raster, rate, isi, cv, tau); default the first")
    parser.add_argument("--projection", help="synapse table to draw (weights); default the first")
    parser.set_defaults(handler=_handle)


def _handle(arguments):
    print(plot_result(arguments.result, arguments.kind, arguments.out, arguments.population, arguments.projection))
    return 0


def _pick(available, wanted, what, result_path):
    """``(name, item)`` of ``available`` (a dict): ``wanted`` or the first; a ResultsError names the choices."""
    if not available:
        raise ResultsError(f"{result_path} holds no {what}")
    if wanted is None:
        return next(iter(available.items()))
    if wanted not in available:
        raise ResultsError(f"{result_path} has no {what} {wanted!r}; it has {', '.join(sorted(available))}")
    return wanted, available[wanted]


def _weight_unit(result, projection):
    """SI unit of a projection's weights, read from the spec in the provenance ("" if dimensionless)."""
    for described in result.provenance.get("spec", {}).get("projections", []):
        if described.get("name") == projection:
            weight = described.get("synapse", {}).get("weight", {})
            text = str(weight.get("value", weight.get("mean", ""))).split()
            if len(text) == 2:
                unit = text[1]
                return unit[1:] if len(unit) > 1 and unit[0] in "pnumkM" and unit[1:] in ("V", "S", "A") else unit
    return ""


def plot_result(result_path, kind, out=None, population=None, projection=None):
    """Draw one figure of the results file ``result_path`` and save it.

    Parameters
    ----------
    result_path : str or path-like
        A results file written by :func:`hetero_brian.results.save`.
    kind : str
        One of :data:`PLOT_KINDS`.
    out : str or path-like, optional
        Figure path; default ``<result stem>_<kind>.png`` beside the results file.
    population, projection : str, optional
        What to draw (default: the first recorded population / synapse table).

    Returns
    -------
    str
        The figure path.

    Raises
    ------
    ResultsError
        The file lacks what the kind draws (spikes, synapses, a sampled ``tau_m``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    result = load(result_path)
    figure, axes = plt.subplots(figsize=(7, 4))
    t_stop = float(result.provenance.get("t_stop", 0.0))
    if kind in ("raster", "rate", "isi", "cv"):
        name, trains = _pick(result.spikes, population, "recorded spikes of population", result_path)
        window = {"t_start": 0.0, "t_stop": t_stop}
        if kind == "raster":
            plots.plot_result_raster(axes, result, name)
        elif kind == "rate":
            plots.plot_population_rate(axes, *activity.population_rate(trains, RATE_BIN_SIZE, **window), label=name)
        elif kind == "isi":
            plots.plot_isi_histogram(axes, spike_intervals.interspike_intervals(trains, **window)[0])
        else:
            plots.plot_cv_histogram(axes, spike_intervals.cv_isi(trains, **window), label=name)
    elif kind == "weights":
        name, table = _pick(result.synapses, projection, "synapse table", result_path)
        plots.plot_weight_histogram(axes, table.extra.get("w_initial", table.w), table.w,
                                    unit_label=_weight_unit(result, name))
    else:
        candidates = {key: value for key, value in result.populations.items() if "tau_m" in value.parameters}
        name, record = _pick(candidates, population, "population with sampled tau_m", result_path)
        plots.plot_time_constant_histogram(axes, record.parameters["tau_m"], _tau_m_density(result, name))
    axes.set_title(f"{kind} of {name} ({Path(result_path).name})")
    out = out or str(Path(result_path).with_suffix("")) + f"_{kind}.png"
    plots.save_figure(figure, out)
    return out


def _tau_m_density(result, name):
    """The specified tau_m density (a function of SI values) of population ``name``, from the spec
    saved in the provenance."""
    from hetero_brian.distributions import distribution_from_dict

    for population in result.provenance.get("spec", {}).get("populations", []):
        description = population.get("model", {}).get("tau_m")
        if description and population.get("name") == name:
            return distribution_from_dict(description).pdf_si
    raise ResultsError("the results file does not record the tau_m distribution (provenance 'spec')")
