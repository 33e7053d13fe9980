"""hetero_brian: heterogeneous recurrent spiking networks with unsupervised STDP on Brian2.

The flow is one-way: distributions -> models -> network builders -> backends / simulate ->
saved results -> analysis -> plots. Importing the package is cheap; Brian2 is imported by the
modules that need it.
"""
__version__ = "0.1.0"
