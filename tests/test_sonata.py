"""SONATA conformance of the spike files: uint64 node ids, the sorting enum, units on timestamps."""
import h5py
import numpy as np
import pytest

from hetero_brian.results.hdf5 import SORTING_CODES, load, save
from hetero_brian.results.records import SimulationResult, SpikeTrains


def _result(ordered=True):
    times = np.array([0.001, 0.002, 0.002, 0.0105])
    ids = np.array([3, 0, 7, 3])
    if not ordered:
        times, ids = times[::-1].copy(), ids[::-1].copy()
    return SimulationResult(spikes={"exc": SpikeTrains(ids, times, n_neurons=8),
                                    "silent": SpikeTrains([], [], n_neurons=2)})


@pytest.mark.parametrize("ordered, sorting", [(True, "by_time"), (False, "none")])
def test_spike_groups_follow_sonata(tmp_path, ordered, sorting):
    path = save(_result(ordered), tmp_path / "run.h5")
    with h5py.File(path, "r") as handle:
        group = handle["spikes/exc"]
        assert group["node_ids"].dtype == np.uint64
        assert group["timestamps"].dtype == np.float64 and group["timestamps"].attrs["units"] == "s"
        kind = h5py.check_enum_dtype(group.attrs.get_id("sorting").dtype)
        assert kind == SORTING_CODES and group.attrs["sorting"] == SORTING_CODES[sorting]
        assert handle["spikes/silent/node_ids"].dtype == np.uint64
    loaded = load(path)
    assert loaded == _result(ordered) and loaded.spikes["exc"].node_ids.dtype == np.int64


def test_version_1_files_with_int64_node_ids_still_load(tmp_path):
    path = save(_result(), tmp_path / "run.h5")
    with h5py.File(path, "r+") as handle:  # rewrite as the version 1 writer did
        handle.attrs["format_version"] = 1
        group = handle["spikes/exc"]
        node_ids = group["node_ids"][()].astype(np.int64)
        del group["node_ids"], group.attrs["sorting"]
        group.create_dataset("node_ids", data=node_ids)
        group.attrs["sorting"] = "by_time"
    assert load(path) == _result()


def test_libsonata_reads_our_spikes(tmp_path):
    """Optional: checked with libsonata when it is installed (it is not a dependency)."""
    libsonata = pytest.importorskip("libsonata")
    result = _result()
    path = save(result, tmp_path / "run.h5")
    reader = libsonata.SpikeReader(str(path))
    assert set(reader.get_population_names()) >= {"exc"}
    population = reader["exc"]
    assert population.sorting == "by_time" and population.time_units == "s"
    expected = list(zip(result.spikes["exc"].node_ids.tolist(), result.spikes["exc"].timestamps.tolist()))
    assert [(int(node), float(time)) for node, time in population.get()] == expected
    assert population.times == (0.001, 0.0105)
