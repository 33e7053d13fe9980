"""Stateful drivers built on :mod:`hetero_brian.simulate`: they run one built network many times
and carry state between runs (replicas of a network for Lyapunov exponents, Diehl & Cook training,
multimodal presentation, the HRSNN 2x2 comparison, heterogeneity sweeps, series prediction).
Floor 5: they import simulate and the network specs, never the other way.
"""
