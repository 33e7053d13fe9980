"""Figures of the Diehl & Cook scenarios: pruning accuracy and energy, receptive fields, multimodal accuracy.

Each function takes plain arrays and metric dictionaries (as the scenarios return them), draws one
figure with matplotlib's Agg backend (imported here, lazily: importing this module costs nothing)
and writes it atomically with :func:`hetero_brian.analysis.plots.save_figure`.
"""
import numpy as np

from hetero_brian.analysis.plots import save_figure

MULTIMODAL_VARIANTS = ("image_only", "image_links", "audio_only", "audio_links", "multimodal", "multimodal_links")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_pruning_summary(metrics, names, path):
    """Bars of test accuracy (%) and energy per image (nJ) of the variants ``names``.

    ``metrics`` holds ``<name>_accuracy`` (fraction) and ``<name>_energy_per_image`` (J) for each name.
    """
    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    axes[0].bar(names, [100 * metrics[f"{n}_accuracy"] for n in names], color="tab:blue")
    axes[0].set_ylabel("test accuracy (%)")
    axes[1].bar(names, [metrics[f"{n}_energy_per_image"] * 1e9 for n in names], color="tab:orange")
    axes[1].set_ylabel("energy per image (nJ)")
    for ax in axes:
        ax.tick_params(axis="x", rotation=30)
    figure.tight_layout()
    save_figure(figure, path, overwrite=True)
    plt.close(figure)


def plot_receptive_fields(i, j, panels, n_neurons, path, side=28):
    """Input weights of every excitatory neuron as ``side x side`` tiles, one panel per weight set.

    Parameters
    ----------
    i, j : ndarray of int
        Presynaptic pixel and postsynaptic neuron of each input synapse.
    panels : list of (ndarray, str)
        Weights (one per synapse) and a title.
    n_neurons : int
    path : str or Path
    side : int
        Image side in pixels (28 for MNIST).
    """
    plt = _pyplot()
    columns = int(np.ceil(np.sqrt(n_neurons)))
    figure, axes = plt.subplots(1, len(panels), figsize=(4.5 * len(panels), 4.5), squeeze=False)
    for ax, (weights, title) in zip(axes[0], panels):
        fields = np.zeros((int(i.max()) + 1, n_neurons))
        fields[i, j] = weights
        tiles = np.zeros((columns * side, columns * side))
        for k in range(n_neurons):
            row, column = divmod(k, columns)
            tiles[row * side:(row + 1) * side, column * side:(column + 1) * side] = fields[:, k].reshape(side, side)
        ax.imshow(tiles, cmap="hot_r")
        ax.set_title(f"input weights, {title}")
        ax.axis("off")
    figure.tight_layout()
    save_figure(figure, path, overwrite=True)
    plt.close(figure)


def plot_multimodal_accuracy(metrics, conditions, path, variants=MULTIMODAL_VARIANTS):
    """Test accuracy (%) per test condition and feature set, by votes and by the logistic readout.

    ``metrics`` holds ``<condition>_<variant>_votes`` and ``..._readout`` (fractions); chance (10 %) is dashed.
    """
    plt = _pyplot()
    width = 0.8 / len(variants)
    figure, axes = plt.subplots(1, 2, figsize=(14, 4.2), sharey=True)
    positions = np.arange(len(conditions))
    for ax, kind in zip(axes, ("votes", "readout")):
        for k, variant in enumerate(variants):
            values = [100 * metrics[f"{c}_{variant}_{kind}"] for c in conditions]
            ax.bar(positions + (k - (len(variants) - 1) / 2) * width, values, width=width,
                   label=variant.replace("_", " "))
        ax.axhline(10, color="grey", lw=0.8, ls="--")
        ax.set_xticks(positions, [c.replace("_", " ") for c in conditions], rotation=35, ha="right")
        ax.set_title(f"test accuracy, {'labelled-neuron votes' if kind == 'votes' else 'logistic readout'}")
    axes[0].set_ylabel("accuracy (%)")
    handles, names = axes[0].get_legend_handles_labels()
    figure.legend(handles, names, loc="upper center", ncol=len(variants), fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 0.93))
    save_figure(figure, path, overwrite=True)
    plt.close(figure)


__all__ = ["plot_pruning_summary", "plot_receptive_fields", "plot_multimodal_accuracy", "MULTIMODAL_VARIANTS"]
