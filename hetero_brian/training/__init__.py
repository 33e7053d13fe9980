"""Autodiff training of spiking networks and their export to Brian2 network specs (optional extra).

The modules that train (:mod:`.surrogates`, :mod:`.srnn`, :mod:`.trainer`, :mod:`.checkpoint`,
:mod:`.baselines`, :mod:`.evaluation`) need PyTorch, installed with
``pip install 'hetero_brian[train]'``; without it, importing them raises :class:`MissingExtraError`
with that one line. The parameter container (:mod:`.parameters`), the data reader (:mod:`.data`),
the import of Yin et al.'s state dicts (:mod:`.interchange`), the export to Brian2
(:mod:`.export`, spike or analog inputs), NIR graphs (:mod:`.nir_graphs`, with the ``nir`` package)
and the Lyapunov analysis (:mod:`.dynamics`) need only numpy and Brian2, so a trained network can
be simulated and analysed without PyTorch.

Flow: :func:`.parameters.initial_parameters` (time constants drawn from
:mod:`hetero_brian.distributions`, seeds from :class:`hetero_brian.random.SeedStreams`) ->
:class:`.srnn.AdaptiveSRNN` -> :func:`.trainer.train` (BPTT, Adam, atomic resumable checkpoints)
-> :meth:`.srnn.AdaptiveSRNN.to_parameters` -> :func:`.export.srnn_network_spec` /
:func:`.export.run_in_brian`.
"""

EXTRA_HINT = "pip install 'hetero_brian[train]'"


class MissingExtraError(ImportError):
    """An optional dependency of :mod:`hetero_brian.training` (PyTorch) is not installed."""
