"""Experiments: the scenario runner, parameter sweeps and Bayesian tuning (floor 6).

* :mod:`~hetero_brian.experiment.runner`: find scenarios by name, resolve their configuration,
  run one into an output folder, export its network as a C++ project;
* :mod:`~hetero_brian.experiment.sweep`: many runs, resumable, on a process pool or Dask;
* :mod:`~hetero_brian.experiment.executors`: those executors;
* :mod:`~hetero_brian.experiment.tune`: Optuna studies over a scenario's parameters;
* :mod:`~hetero_brian.experiment.cpp_export`: self-contained C++ standalone projects.

Only :mod:`hetero_brian.cli` sits above; this package imports downwards and never the CLI.
"""
