"""Saved results: in-memory records, HDF5 files, run directories, NWB export, the atomic writer.

Floor 1 of the layer order (numpy and h5py only; never brian2), so every layer, analysis included,
may import it. Modules:

* :mod:`~hetero_brian.results.records`: ``SimulationResult`` and its parts (``SpikeTrains``,
  ``SynapseTable``, ``Trace``, ``PopulationRecord``);
* :mod:`~hetero_brian.results.hdf5`: ``save`` / ``load`` (SONATA spike layout);
* :mod:`~hetero_brian.results.summary`: the text of ``hetero-brian info``;
* :mod:`~hetero_brian.results.arrays`: ``save_arrays`` for ``.npz`` side products;
* :mod:`~hetero_brian.results.rundirs`: manifests, unique run folders, folder locks;
* :mod:`~hetero_brian.results.nwb`: ``to_nwb`` (optional ``pynwb``);
* :mod:`~hetero_brian.results.atomic`: the one atomic file writer of the package.

The names below are the package's everyday interface (a run's records and their files); the
run-directory, NWB and atomic-writer helpers are imported from their modules.
"""

from hetero_brian.results.arrays import save_arrays
from hetero_brian.results.hdf5 import load, save
from hetero_brian.results.records import (
    PopulationRecord,
    SimulationResult,
    SpikeTrains,
    SynapseTable,
    Trace,
    result_equal,
)
from hetero_brian.results.summary import summary

__all__ = [
    "SpikeTrains",
    "SynapseTable",
    "Trace",
    "PopulationRecord",
    "SimulationResult",
    "result_equal",
    "save",
    "load",
    "save_arrays",
    "summary",
]
