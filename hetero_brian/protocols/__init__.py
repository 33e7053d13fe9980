"""Protocols: stateful drivers built on :mod:`hetero_brian.simulate` (training phases, presentations,
comparisons that run one compiled network several times)."""
