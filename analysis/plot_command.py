"""``hetero-brian plot RESULT.h5 --kind KIND [--out FIGURE]``: a figure of a saved results file.

The command belongs to the analysis layer (it reads a saved result and draws it; no live Brian2
object), so ``hetero_brian.cli`` does not import it: setup.cfg registers :func:`register` in the
entry-point group ``hetero_brian.commands``, which the command line discovers at start-up.

Kinds: ``raster``, ``rate`` (5 ms bins), ``isi``, ``cv`` (of the first recorded population),
``weights`` (initial and final weights of the first synapse table), ``tau`` (sampled ``tau_m`` of
the first population that has it, against the density specified in the provenance).
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
    parser.set_defaults(handler=_handle)


def _handle(arguments):
    print(plot_result(arguments.result, arguments.kind, arguments.out))
    return 0


def plot_result(result_path, kind, out=None):
    """Draw one figure of the results file ``result_path`` and save it.

    Parameters
    ----------
    result_path : str or path-like
        A results file written by :func:`hetero_brian.results.save`.
    kind : str
        One of :data:`PLOT_KINDS`.
    out : str or path-like, optional
        Figure path; default ``<result stem>_<kind>.png`` beside the results file.

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
        if not result.spikes:
            raise ResultsError(f"{result_path} holds no recorded spikes")
        name, trains = next(iter(result.spikes.items()))
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
        table = next(iter(result.synapses.values()), None)
        if table is None:
            raise ResultsError(f"{result_path} has no synapse tables to plot")
        plots.plot_weight_histogram(axes, table.extra.get("w_initial", table.w), table.w)
    else:
        population = next((p for p in result.populations.values() if "tau_m" in p.parameters), None)
        if population is None:
            raise ResultsError(f"{result_path} has no population with sampled tau_m")
        plots.plot_time_constant_histogram(axes, population.parameters["tau_m"], _tau_m_density(result))
    out = out or str(Path(result_path).with_suffix("")) + f"_{kind}.png"
    plots.save_figure(figure, out)
    return out


def _tau_m_density(result):
    """The specified tau_m density (a function of SI values) of the first population, from the spec
    saved in the provenance."""
    from hetero_brian.distributions import distribution_from_dict

    for population in result.provenance.get("spec", {}).get("populations", []):
        description = population.get("model", {}).get("tau_m")
        if description:
            return distribution_from_dict(description).pdf_si
    raise ResultsError("the results file does not record the tau_m distribution (provenance 'spec')")
