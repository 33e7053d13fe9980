"""Reproducible random streams from one master seed.

One master seed feeds :class:`numpy.random.SeedSequence`; each named stream (``structure``,
``heterogeneity``, ``input``, ``device``, or any other name) gets its own child sequence keyed by the
name, so adding a stream never changes the numbers of the others. The ``device`` stream also yields
the integer seed handed to Brian2 (``brian2.seed``) for device-side noise and Poisson input.

Master seeds are 63-bit. A library that takes a smaller seed (scikit-learn's ``random_state`` and
``numpy.random.RandomState`` need one below 2**32, Brian2 one below 2**31) never gets the master
seed itself: it gets :meth:`SeedStreams.seed32` or :meth:`SeedStreams.integer_seed` of a named
stream, and repetitions of an experiment get :meth:`SeedStreams.integer_seed` of ``replicate-<k>``.

Examples
--------
>>> streams = SeedStreams(1234)
>>> rng = streams.generator("heterogeneity")
>>> float(rng.random()) == float(SeedStreams(1234).generator("heterogeneity").random())
True
"""
import zlib
from dataclasses import dataclass

import numpy as np

STANDARD_STREAMS = ("structure", "heterogeneity", "input", "device")
_MAX_SEED = 2**63 - 1


def fresh_seed():
    """Return a new master seed from the operating system's entropy (an int in [0, 2**63))."""
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))


def check_seed(seed, name="seed"):
    """Validate a seed: a non-negative int below 2**63 (numpy ints accepted)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"{name} must be a non-negative integer; got {seed!r}")
    seed = int(seed)
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"{name} must be in [0, 2**63 - 1]; got {seed}")
    return seed


@dataclass(frozen=True)
class SeedStreams:
    """Named, independent random generators derived from one master seed.

    Parameters
    ----------
    master_seed : int or None
        Non-negative integer. ``None`` draws a fresh seed, which is then recorded in
        :attr:`master_seed` so the run can be repeated.
    """

    master_seed: int = None

    def __post_init__(self):
        seed = fresh_seed() if self.master_seed is None else check_seed(self.master_seed, "master_seed")
        object.__setattr__(self, "master_seed", seed)

    def sequence(self, name):
        """The :class:`numpy.random.SeedSequence` of the stream ``name``."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"stream name must be a non-empty string; got {name!r}")
        return np.random.SeedSequence(self.master_seed, spawn_key=(zlib.crc32(name.encode()),))

    def generator(self, name):
        """A fresh :class:`numpy.random.Generator` for the stream ``name`` (same name, same numbers)."""
        return np.random.Generator(np.random.PCG64(self.sequence(name)))

    def integer_seed(self, name="device"):
        """An int seed in [0, 2**31) from stream ``name``, for libraries that take plain ints (Brian2)."""
        return int(self.sequence(name).generate_state(1, np.uint32)[0] >> np.uint32(1))

    def seed32(self, name):
        """An int seed in [0, 2**32) from stream ``name``, for libraries limited to 32-bit seeds.

        scikit-learn's ``random_state`` and :class:`numpy.random.RandomState` refuse seeds of 2**32
        and above; pass them ``streams.seed32("readout")`` (or another stream name), never the
        63-bit master seed.
        """
        return int(self.sequence(name).generate_state(1, np.uint32)[0])

    @property
    def brian_seed(self):
        """Seed to pass to ``brian2.seed`` for device-side randomness."""
        return self.integer_seed("device")


def check_generator(rng, name="rng"):
    """Require a :class:`numpy.random.Generator` (no global state, no hidden seeding).

    Functions that draw numbers take ``rng``, a Generator; functions that make one take ``seed``, an
    int (see :func:`as_generator` for the few that take either).
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"{name} must be a numpy.random.Generator; got {rng!r} "
            "(use numpy.random.default_rng(seed) or hetero_brian.random.SeedStreams)"
        )
    return rng


def as_generator(rng, name="rng"):
    """Return a :class:`numpy.random.Generator` from a Generator, an int seed or a SeedSequence.

    ``None`` is refused on purpose: an unseeded generator would make the run unrepeatable.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return np.random.Generator(np.random.PCG64(rng))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        return np.random.default_rng(check_seed(rng, name))
    raise ValueError(
        f"{name} must be a numpy.random.Generator or a non-negative int seed; got {rng!r} "
        "(use hetero_brian.random.SeedStreams to derive one from a master seed)"
    )
