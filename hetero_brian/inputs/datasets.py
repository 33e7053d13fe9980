"""Data-set containers and readers for images: MNIST IDX files and scikit-learn's bundled digits.

Spoken-digit readers (FSDD WAV folders, Spiking Heidelberg Digits HDF5) live in
:mod:`hetero_brian.inputs.spoken`; both return a :class:`Dataset`.

Data location
-------------
Readers take a path; :func:`data_path` resolves it in one order, the same for every reader and
scenario, and never relative to the current directory unless the caller passed a relative path:

1. the explicit value (a reader's ``path`` argument, a scenario's ``data_path`` key): used as given,
   and an error if it does not exist (no silent fallback);
2. ``$HETERO_BRIAN_DATA/<subfolder>`` when the environment variable is set
   (``$HETERO_BRIAN_DATA/mnist``, ``$HETERO_BRIAN_DATA/fsdd/recordings``, ...);
3. ``<repository>/../shared/data/<subfolder>``, with ``<repository>`` the folder that holds the
   ``hetero_brian`` package (a source checkout; absent in an installed package).

The first location that exists wins. When none does, :class:`FileNotFoundError` lists every place
looked and says what to download. Nothing is downloaded by this package.
"""
import gzip
import os
import pathlib
import zlib
from dataclasses import dataclass, field

import numpy as np

from hetero_brian.errors import ConfigError
from hetero_brian.inputs._validation import check_choice, check_int
from hetero_brian.random import check_generator

DATA_ENV_VAR = "HETERO_BRIAN_DATA"

MNIST_SOURCE = (
    "the MNIST IDX files (t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz and, for the training "
    "split, train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz) from the original MNIST "
    "distribution (Y. LeCun, C. Cortes; mirrors listed at https://github.com/cvdfoundation/mnist)"
)

# IDX type codes -> big-endian numpy dtypes (LeCun's IDX format description).
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class Dataset:
    """Samples with integer labels, as read from disk.

    Attributes
    ----------
    samples : numpy.ndarray or list
        An array ``(n_samples, ...)`` for images, or a list (one entry per sample) for data of varying
        length: float64 waveforms in [-1, 1] for audio, ``(units, times)`` pairs for spike data.
    labels : numpy.ndarray of int64, shape (n_samples,)
        Class labels in ``[0, n_classes)``.
    names : tuple of str
        One identifier per sample (file name or ``"<file>:<row>"``).
    split : str
        ``"train"``, ``"test"`` or ``"all"``.
    n_classes : int
        Number of classes the labels index.
    sample_rate : float or None
        Hz, for audio; ``None`` otherwise.
    shape : tuple of int or None
        Shape of one image, for image data; ``None`` otherwise.
    metadata : dict
        Extra per-sample columns (e.g. ``speaker``, ``take`` for FSDD) as arrays of length n_samples.
    """

    samples: object
    labels: np.ndarray
    names: tuple
    split: str
    n_classes: int
    sample_rate: float = None
    shape: tuple = None
    metadata: dict = field(default_factory=dict)

    def __post_init__(self):
        labels = np.asarray(self.labels, dtype=np.int64)
        object.__setattr__(self, "labels", labels)
        if labels.ndim != 1:
            raise ValueError(f"labels must be one-dimensional; got shape {labels.shape}")
        if len(self.samples) != labels.size or len(self.names) != labels.size:
            raise ValueError(
                f"samples, labels and names must have equal lengths; got {len(self.samples)}, "
                f"{labels.size}, {len(self.names)}"
            )
        check_labels(labels, self.n_classes, "labels")
        for key, column in self.metadata.items():
            if len(column) != labels.size:
                raise ValueError(f"metadata[{key!r}] has {len(column)} entries; expected {labels.size}")

    def __len__(self):
        return int(self.labels.size)

    def subset(self, indices):
        """A new :class:`Dataset` holding the samples at ``indices`` (in that order)."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if indices.size and (indices.min() < -len(self) or indices.max() >= len(self)):
            raise IndexError(f"indices must lie in [0, {len(self)}); got min {indices.min()}, max {indices.max()}")
        if isinstance(self.samples, np.ndarray):
            samples = self.samples[indices]
        else:
            samples = [self.samples[k] for k in indices]
        return Dataset(
            samples=samples,
            labels=self.labels[indices],
            names=tuple(self.names[k] for k in indices),
            split=self.split,
            n_classes=self.n_classes,
            sample_rate=self.sample_rate,
            shape=self.shape,
            metadata={key: np.asarray(column)[indices] for key, column in self.metadata.items()},
        )


def check_labels(labels, n_classes, name="labels"):
    """Raise :class:`ValueError` unless every label is an integer in ``[0, n_classes)``."""
    labels = np.asarray(labels)
    if labels.size == 0:
        return labels
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"{name} must be integers; got dtype {labels.dtype}")
    bad = (labels < 0) | (labels >= n_classes)
    if np.any(bad):
        values = np.unique(labels[bad])[:5].tolist()
        raise ValueError(
            f"{name} must lie in [0, {n_classes}); got {int(bad.sum())} out-of-range label(s), e.g. {values}"
        )
    return labels


def repository_data_root():
    """``<repository>/../shared/data``: the data folder beside the source checkout of the package.

    Found from the package location (never from the current directory); it need not exist.
    """
    return pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data"


def data_locations(subfolder):
    """The places :func:`data_path` looks at for ``subfolder`` when no path is given, in order.

    Returns
    -------
    list of (str, pathlib.Path)
        ``(description, location)`` pairs: ``$HETERO_BRIAN_DATA/<subfolder>`` when the variable is set,
        then ``<repository>/../shared/data/<subfolder>``.
    """
    locations = []
    root = os.environ.get(DATA_ENV_VAR)
    if root:
        locations.append((f"${DATA_ENV_VAR}={root!r}", pathlib.Path(root).expanduser() / subfolder))
    locations.append(("the repository's ../shared/data", repository_data_root() / subfolder))
    return locations


def data_path(path, subfolder, what, name="path"):
    """Resolve a data location: ``path`` if given, else the first of :func:`data_locations` that exists.

    Parameters
    ----------
    path : str, os.PathLike or None
        The location the caller gave (used as given: a missing one is an error, not a fallback).
    subfolder : str
        Sub-path of the data roots tried when ``path`` is ``None``.
    what : str
        What to download, for the error message.
    name : str
        Argument or configuration key name, for the error message.

    Raises
    ------
    FileNotFoundError
        If the location does not exist; the message lists every place looked, what to download and
        where to put it.
    """
    if path is not None:
        resolved = pathlib.Path(path).expanduser()
        if not resolved.exists():
            raise FileNotFoundError(
                f"data not found: {name}={str(path)!r} (-> {str(resolved.absolute())!r}) does not exist. "
                f"Download {what} and put it there, or leave {name} unset to look in ${DATA_ENV_VAR}/"
                f"{subfolder} and then in the repository's ../shared/data/{subfolder}."
            )
        return resolved
    looked = []
    for description, location in data_locations(subfolder):
        if location.exists():
            return location
        looked.append(f"{description} -> {str(location)!r}")
    unset = "" if os.environ.get(DATA_ENV_VAR) else f" (${DATA_ENV_VAR} is not set)"
    raise FileNotFoundError(
        f"data not found for {name}: looked in {'; '.join(looked)}{unset}. Download {what} and pass "
        f"its location as {name}, or set {DATA_ENV_VAR} to a folder that holds {subfolder}/."
    )


def stratified_split(labels, test_fraction, rng):
    """Stratified split: ``round(test_fraction * n_c)`` of each class ``c`` to the test set.

    Parameters
    ----------
    labels : numpy.ndarray of int, shape (n_samples,)
    test_fraction : float
        In (0, 1); every class must keep at least one training and one test sample.
    rng : numpy.random.Generator
        Draws the test samples of each class (without replacement).

    Returns
    -------
    train, test : numpy.ndarray of int64
        Sorted indices.
    """
    if not 0 < test_fraction < 1:
        raise ConfigError(f"test_fraction must be in (0, 1); got {test_fraction!r}")
    test = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        n_test = int(round(test_fraction * members.size))
        if n_test < 1 or n_test >= members.size:
            raise ConfigError(f"test_fraction={test_fraction} leaves class {label} ({members.size} samples) "
                              "without training or test samples")
        test.append(rng.choice(members, n_test, replace=False))
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(labels.size), test)
    return train, test


def stratified_subset(labels, n_per_class, rng, classes=None):
    """Indices of ``n_per_class`` samples of every class, drawn without replacement.

    Parameters
    ----------
    labels : array_like of int, shape (n_samples,)
        Class label of each sample.
    n_per_class : int
        Samples to take from each class (>= 1).
    rng : numpy.random.Generator
        Source of randomness.
    classes : array_like of int, optional
        Classes to take; default every class present in ``labels``.

    Returns
    -------
    numpy.ndarray of int64
        Sorted indices into ``labels``; ``n_per_class * n_classes`` of them.

    Raises
    ------
    ValueError
        If a class has fewer than ``n_per_class`` samples (the message names the class and its count).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one-dimensional; got shape {labels.shape}")
    n_per_class = check_int(n_per_class, "n_per_class", minimum=1)
    check_generator(rng)
    classes = np.unique(labels) if classes is None else np.unique(np.asarray(classes))
    chosen = []
    for label in classes:
        members = np.flatnonzero(labels == label)
        if members.size < n_per_class:
            raise ValueError(
                f"n_per_class={n_per_class} exceeds the {members.size} sample(s) of class {label!r}"
            )
        chosen.append(rng.choice(members, size=n_per_class, replace=False))
    if not chosen:
        return np.zeros(0, dtype=np.int64)
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def read_idx(path):
    """Read one IDX file (gzip-compressed or raw) into a numpy array.

    Parameters
    ----------
    path : str or os.PathLike
        The file. Compression is detected from the content (gzip magic bytes), not the name.

    Returns
    -------
    numpy.ndarray
        Native-endian array with the file's shape and element type.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the magic number is wrong, the element type unknown, or the data truncated or too long.

    Notes
    -----
    Layout (big-endian): two zero bytes, one type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), one byte with the number of dimensions d, then d uint32 sizes, then
    the data in C order.

    References
    ----------
    Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of handwritten digits" (file format
    section), http://yann.lecun.com/exdb/mnist/
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {str(path)!r}")
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"IDX file {str(path)!r} is a corrupt or truncated gzip stream: {error}") from error
    if len(raw) < 4:
        raise ValueError(f"IDX file {str(path)!r} is truncated: {len(raw)} byte(s), no complete header")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"IDX file {str(path)!r} has a bad magic number {raw[:4].hex()} (must start with 0000)"
        )
    type_code, n_dims = raw[2], raw[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError(f"IDX file {str(path)!r} has an unknown element type 0x{type_code:02x}")
    header_size = 4 + 4 * n_dims
    if len(raw) < header_size:
        raise ValueError(f"IDX file {str(path)!r} is truncated inside its header ({len(raw)} bytes)")
    shape = tuple(int(size) for size in np.frombuffer(raw, dtype=">u4", count=n_dims, offset=4))
    dtype = _IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header_size
    if found != expected:
        state = "truncated" if found < expected else "longer than its header says"
        raise ValueError(
            f"IDX file {str(path)!r} is {state}: header shape {shape} needs {expected} data bytes, "
            f"found {found}"
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def _find_idx(folder, stem):
    for candidate in (f"{stem}.gz", stem, stem.replace("-idx", ".idx")):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def read_mnist(path=None, split="test"):
    """Read MNIST images and labels from the original IDX files.

    Parameters
    ----------
    path : str, os.PathLike or None
        Folder holding ``t10k-images-idx3-ubyte[.gz]`` and ``t10k-labels-idx1-ubyte[.gz]`` (test split)
        or the ``train-*`` files (training split). ``None``: ``$HETERO_BRIAN_DATA/mnist``.
    split : {"test", "train"}
        Which files to read.

    Returns
    -------
    Dataset
        ``samples`` uint8 array ``(n_samples, 28, 28)`` with values 0-255, ``labels`` 0-9,
        ``shape=(28, 28)``.

    Raises
    ------
    FileNotFoundError
        If the folder or one of the two files is missing (the message says what to download).
    ValueError
        If a file is corrupt, or images and labels disagree in count, or a label is outside 0-9.
    """
    check_choice(split, "split", {"test", "train"})
    folder = data_path(path, "mnist", MNIST_SOURCE)
    prefix = "t10k" if split == "test" else "train"
    found = {}
    for kind, stem in (("images", f"{prefix}-images-idx3-ubyte"), ("labels", f"{prefix}-labels-idx1-ubyte")):
        file = _find_idx(folder, stem)
        if file is None:
            raise FileNotFoundError(
                f"{stem}.gz (or uncompressed {stem}) not found in {str(folder)!r}. Download {MNIST_SOURCE} "
                f"into that folder."
            )
        found[kind] = file
    images = read_idx(found["images"])
    labels = read_idx(found["labels"])
    if images.ndim != 3:
        raise ValueError(f"{str(found['images'])!r} must hold a 3-D image array; got shape {images.shape}")
    if labels.ndim != 1:
        raise ValueError(f"{str(found['labels'])!r} must hold a 1-D label array; got shape {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"MNIST {split} files disagree: {images.shape[0]} images in {found['images'].name} but "
            f"{labels.shape[0]} labels in {found['labels'].name}"
        )
    labels = labels.astype(np.int64)
    check_labels(labels, 10, f"labels in {found['labels'].name}")
    names = tuple(f"{found['images'].name}:{row}" for row in range(labels.size))
    return Dataset(samples=images, labels=labels, names=names, split=split, n_classes=10,
                   shape=tuple(images.shape[1:]))


def load_sklearn_digits():
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images, no download needed).

    Returns
    -------
    Dataset
        ``samples`` float64 array ``(1797, 8, 8)`` with values 0-16, ``labels`` 0-9, ``split="all"``,
        ``shape=(8, 8)``.

    References
    ----------
    E. Alpaydin, C. Kaynak, "Optical recognition of handwritten digits", UCI Machine Learning
    Repository (1998); bundled as :func:`sklearn.datasets.load_digits`.
    """
    from sklearn.datasets import load_digits  # lazy: scikit-learn is slow to import

    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float64)
    labels = np.asarray(bunch.target, dtype=np.int64)
    names = tuple(f"sklearn_digits:{row}" for row in range(labels.size))
    return Dataset(samples=images, labels=labels, names=names, split="all", n_classes=10,
                   shape=tuple(images.shape[1:]))
