"""Plots render headless to non-empty images with the expected axis labels."""
import os

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hetero_brian.analysis import plots  # noqa: E402
from hetero_brian.results import SpikeTrains  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def axes():
    figure, ax = plt.subplots(figsize=(3, 2))
    yield ax
    plt.close(figure)


def saved_png(ax, tmp_path, name):
    path = plots.save_figure(ax.figure, tmp_path / f"{name}.png")
    with open(path, "rb") as stream:
        content = stream.read()
    assert content.startswith(PNG_SIGNATURE) and len(content) > 1000
    return path


rng = np.random.default_rng(0)
NODE_IDS = rng.integers(0, 50, 20_000)
TIMESTAMPS = rng.uniform(0, 2, 20_000)

CASES = {
    "raster": (lambda ax: plots.plot_raster(ax, SpikeTrains(NODE_IDS, TIMESTAMPS, 50)), "time (s)", "neuron index"),
    "rate": (lambda ax: plots.plot_population_rate(ax, np.linspace(0, 1, 50), rng.uniform(5, 10, 50)),
             "time (s)", "population rate (Hz)"),
    "isi": (lambda ax: plots.plot_isi_histogram(ax, rng.exponential(0.05, 500), log_scale=True),
            "interspike interval (s)", "probability density (1/s)"),
    "cv": (lambda ax: plots.plot_cv_histogram(ax, np.r_[rng.normal(1, 0.1, 200), np.nan]),
           "CV of interspike intervals", "number of neurons"),
    "tau_callable": (lambda ax: plots.plot_time_constant_histogram(
        ax, rng.gamma(4.0, 0.005, 1000), lambda x: x ** 3 * np.exp(-x / 0.005) / (6 * 0.005 ** 4)),
        "tau_m (ms)", "probability density (1/ms)"),
    "tau_arrays": (lambda ax: plots.plot_time_constant_histogram(
        ax, rng.uniform(0.01, 0.03, 500), (np.array([0.01, 0.03]), np.array([50.0, 50.0])),
        name="tau_pre"), "tau_pre (ms)", "probability density (1/ms)"),
    "weights": (lambda ax: plots.plot_weight_histogram(ax, rng.uniform(0, 1, 300), rng.beta(0.5, 0.5, 300)),
                "weight", "number of synapses"),
    "matrix": (lambda ax: plots.plot_weight_matrix(ax, [0, 1, 2], [1, 2, 0], [0.5, 1.0, 0.2], 3, 3),
               "postsynaptic neuron", "presynaptic neuron"),
    "stdp": (lambda ax: plots.plot_stdp_window(
        ax, np.linspace(-0.1, 0.1, 41),
        np.sign(np.linspace(-0.1, 0.1, 41)) * np.exp(-np.abs(np.linspace(-0.1, 0.1, 41))[None, :]
                                                      / np.array([[0.01], [0.02]])), labels=["a", "b"]),
        "t_post - t_pre (ms)", "weight change"),
    "energy": (lambda ax: plots.plot_energy_bars(ax, {"SNN": 1e-9, "RNN": 1e-7, "LSTM": 4e-7, "GRU": 3e-7}),
               "", "energy per inference (J)"),
    "capacity": (lambda ax: plots.plot_memory_capacity(ax, np.arange(1, 11), np.linspace(1, 0, 10)),
                 "delay (time steps)", "r^2 of reconstruction"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_plot_renders_with_labels(name, axes, tmp_path):
    draw, xlabel, ylabel = CASES[name]
    assert draw(axes) is axes
    assert axes.get_xlabel() == xlabel
    assert axes.get_ylabel() == ylabel
    saved_png(axes, tmp_path, name)


def test_large_raster_is_rasterized(axes):
    plots.plot_raster(axes, SpikeTrains(NODE_IDS, TIMESTAMPS, 50))
    assert axes.collections[0].get_rasterized()
    plots.plot_raster(axes, SpikeTrains(NODE_IDS[:100], TIMESTAMPS[:100], 50))
    assert not axes.collections[1].get_rasterized()


def test_raster_from_a_result_object(axes, tmp_path):
    class Trains:
        node_ids, timestamps, n_neurons = NODE_IDS[:500], TIMESTAMPS[:500], 50

    class Result:
        spikes = {"exc": Trains()}

    plots.plot_result_raster(axes, Result(), "exc")
    assert axes.get_title() == "exc" and axes.get_ylabel() == "neuron index"
    with pytest.raises(KeyError, match="'inh' has no recorded spikes"):
        plots.plot_result_raster(axes, Result(), "inh")


def test_save_figure_is_atomic_and_refuses_to_overwrite(axes, tmp_path):
    plots.plot_population_rate(axes, [0, 1], [1, 2])
    path = tmp_path / "figure.svg"
    plots.save_figure(axes.figure, path)
    first = path.read_bytes()
    assert first.lstrip().startswith(b"<?xml") and b"<svg" in first
    with pytest.raises(FileExistsError, match="overwrite=True"):
        plots.save_figure(axes.figure, path)
    plots.save_figure(axes.figure, tmp_path / "figure.pdf")
    assert (tmp_path / "figure.pdf").read_bytes().startswith(b"%PDF")
    axes.set_title("changed")
    plots.save_figure(axes.figure, path, overwrite=True)
    assert path.read_bytes() != first
    assert sorted(os.listdir(tmp_path)) == ["figure.pdf", "figure.svg"]  # no temporary files left
    with pytest.raises(ValueError, match="suffix"):
        plots.save_figure(axes.figure, tmp_path / "figure")


def test_plots_reject_bad_data(axes):
    with pytest.raises(TypeError, match="SpikeTrains"):
        plots.plot_raster(axes, ([0, 1], [0.1, 0.2]))
    with pytest.raises(ValueError, match="empty"):
        plots.plot_cv_histogram(axes, [])
    with pytest.raises(ValueError, match="points per curve"):
        plots.plot_stdp_window(axes, [0, 1, 2], [[1, 2]])
