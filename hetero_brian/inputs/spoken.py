"""Spoken-digit readers: WAV files, the Free Spoken Digit Dataset folder and Spiking Heidelberg Digits.

All readers return a :class:`hetero_brian.inputs.datasets.Dataset`. Waveforms are float64 in [-1, 1]
at the requested sample rate (Hz); spike samples are ``(units, times)`` pairs, times in seconds.
"""
import math
import pathlib
import re

import numpy as np
import scipy.io.wavfile
import scipy.signal

from hetero_brian.inputs._validation import check_choice, check_int
from hetero_brian.inputs.datasets import Dataset, check_labels, data_path
from hetero_brian.units import to_si_scalar

FSDD_SOURCE = (
    "the Free Spoken Digit Dataset (https://github.com/Jakobovski/free-spoken-digit-dataset; "
    "its folder recordings/ with files {digit}_{speaker}_{index}.wav)"
)
SHD_SOURCE = (
    "the Spiking Heidelberg Digits HDF5 files shd_train.h5 / shd_test.h5 "
    "(https://zenkelab.org/resources/spiking-heidelberg-datasets-shd/)"
)
FSDD_TEST_TAKES = 5
"""FSDD's own split: takes 0-4 of every speaker and digit are the test set, takes 5-49 training."""

_FSDD_NAME = re.compile(r"^(?P<digit>\d+)_(?P<speaker>[A-Za-z0-9\-]+)_(?P<take>\d+)\.wav$", re.IGNORECASE)


def read_wav(path, sample_rate=None, resample=True):
    """Read a WAV file as a float64 mono waveform in [-1, 1].

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    sample_rate : float, brian2 Quantity or None
        Target rate in Hz (a whole number). ``None`` keeps the file's own rate.
    resample : bool
        If the file's rate differs from ``sample_rate``: resample when True, raise when False.

    Returns
    -------
    signal : numpy.ndarray of float64, shape (n_samples,)
    sample_rate : float
        Hz.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is not a readable WAV, is empty, or has another rate and ``resample=False``.

    Notes
    -----
    Integer PCM is scaled by its full range: int16 / 2**15, int32 / 2**31, (uint8 - 128) / 2**7, so a
    full-scale value maps to -1. Float WAVs are taken as they are. Several channels are averaged
    (mix-down to mono). Resampling uses :func:`scipy.signal.resample_poly` with up / down factors
    ``target / g`` and ``source / g`` (``g`` their greatest common divisor), i.e. polyphase filtering with
    scipy's default Kaiser-window (beta = 5) anti-aliasing low-pass filter.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"WAV file not found: {str(path)!r}")
    target = to_si_scalar(sample_rate, "hertz", "sample_rate", minimum=0.0, allow_none=True)
    try:
        source_rate, data = scipy.io.wavfile.read(path)
    except (ValueError, EOFError, OSError) as error:
        raise ValueError(f"cannot read WAV file {str(path)!r}: {error}") from error
    if data.size == 0:
        raise ValueError(f"WAV file {str(path)!r} holds no samples")
    if data.dtype == np.int16:
        signal = data / 32768.0
    elif data.dtype == np.int32:
        signal = data / 2147483648.0
    elif data.dtype == np.uint8:
        signal = (data.astype(np.float64) - 128.0) / 128.0
    elif np.issubdtype(data.dtype, np.floating):
        signal = data.astype(np.float64)
    else:
        raise ValueError(f"WAV file {str(path)!r} has an unsupported sample type {data.dtype}")
    if signal.ndim == 2:
        signal = signal.mean(axis=1)
    if target is None or target == source_rate:
        return signal, float(source_rate)
    if not resample:
        raise ValueError(
            f"WAV file {str(path)!r} has sample rate {source_rate} Hz but sample_rate={target:g} Hz was "
            "requested and resample=False (pass resample=True to resample it)"
        )
    if target != round(target):
        raise ValueError(f"sample_rate must be a whole number of Hz to resample; got {target!r}")
    divisor = math.gcd(int(round(target)), int(source_rate))
    signal = scipy.signal.resample_poly(signal, int(round(target)) // divisor, int(source_rate) // divisor)
    return signal, float(target)


def parse_fsdd_name(name, n_classes=10):
    """Split an FSDD file name ``{digit}_{speaker}_{take}.wav`` into ``(digit, speaker, take)``.

    Raises
    ------
    ValueError
        If the name does not match the pattern or the digit is outside ``[0, n_classes)``.
    """
    match = _FSDD_NAME.match(name)
    if match is None:
        raise ValueError(
            f"FSDD file name {name!r} does not match '{{digit}}_{{speaker}}_{{index}}.wav' "
            "(e.g. 3_jackson_12.wav)"
        )
    digit, take = int(match["digit"]), int(match["take"])
    if not 0 <= digit < n_classes:
        raise ValueError(f"FSDD file name {name!r} has label {digit} outside [0, {n_classes})")
    return digit, match["speaker"], take


def _fsdd_folder(path):
    folder = data_path(path, "fsdd/recordings", FSDD_SOURCE)
    if not folder.is_dir():
        raise NotADirectoryError(f"path must be a folder of FSDD WAV files; got the file {str(folder)!r}")
    for candidate in (folder / "recordings", folder / "fsdd" / "recordings"):
        if candidate.is_dir():
            return candidate
    return folder


def read_fsdd(path=None, split="train", sample_rate=8000.0, resample=True, speakers=None,
              max_duration=None, truncate=False, n_classes=10):
    """Read the Free Spoken Digit Dataset (or any folder of ``{digit}_{speaker}_{index}.wav`` files).

    Parameters
    ----------
    path : str, os.PathLike or None
        The ``recordings/`` folder, or a folder that holds ``recordings/`` or ``fsdd/recordings/``.
        ``None``: ``$HETERO_BRIAN_DATA/fsdd/recordings``.
    split : {"train", "test", "all"}
        FSDD's standard split: takes 0-4 of each speaker and digit form the test set, takes >= 5 training.
    sample_rate : float or brian2 Quantity
        Hz (FSDD is recorded at 8 kHz). Files at another rate are resampled (see :func:`read_wav`).
    resample : bool
        False: a file at another rate raises :class:`ValueError` instead of being resampled.
    speakers : iterable of str, optional
        Keep only these speakers.
    max_duration : float, brian2 Quantity or None
        Seconds. A longer recording raises :class:`ValueError` naming the file, or is cut to
        ``max_duration`` when ``truncate=True``.
    truncate : bool
        See ``max_duration``.
    n_classes : int
        Labels must lie in ``[0, n_classes)``.

    Returns
    -------
    Dataset
        ``samples``: list of float64 waveforms in [-1, 1]; ``labels``: the digits; ``names``: file names;
        ``metadata``: ``speaker`` (str) and ``take`` (int) arrays. Files are sorted by (speaker, digit, take).

    Raises
    ------
    FileNotFoundError
        If the folder does not exist (the message says what to download and where to put it) or holds
        no ``.wav`` file.
    ValueError
        For a badly named file, a label out of range, another sample rate with ``resample=False``, or a
        recording longer than ``max_duration`` without ``truncate``.

    References
    ----------
    Z. Jackson, C. Souza, J. Flaks, Y. Pan, H. Nicolas, A. Thite, "Jakobovski/free-spoken-digit-dataset"
    (Zenodo, 2018), https://github.com/Jakobovski/free-spoken-digit-dataset
    """
    check_choice(split, "split", {"train", "test", "all"})
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    sample_rate = to_si_scalar(sample_rate, "hertz", "sample_rate", minimum=0.0)
    max_duration = to_si_scalar(max_duration, "second", "max_duration", minimum=0.0, allow_none=True)
    folder = _fsdd_folder(path)
    files = [entry for entry in folder.iterdir() if entry.suffix.lower() == ".wav" and entry.is_file()]
    if not files:
        raise FileNotFoundError(
            f"no .wav files in the folder {str(folder)!r}; expected {FSDD_SOURCE}"
        )
    wanted_speakers = None if speakers is None else set(speakers)
    entries = []
    for file in files:
        digit, speaker, take = parse_fsdd_name(file.name, n_classes)
        if wanted_speakers is not None and speaker not in wanted_speakers:
            continue
        is_test = take < FSDD_TEST_TAKES
        if split == "all" or (split == "test") == is_test:
            entries.append((speaker, digit, take, file))
    if not entries:
        raise ValueError(f"no FSDD files in {str(folder)!r} match split={split!r}, speakers={speakers!r}")
    entries.sort(key=lambda entry: entry[:3])
    max_samples = None if max_duration is None else int(math.floor(max_duration * sample_rate + 1e-9))
    samples = []
    for speaker, digit, take, file in entries:
        signal, _ = read_wav(file, sample_rate=sample_rate, resample=resample)
        if max_samples is not None and signal.size > max_samples:
            if not truncate:
                raise ValueError(
                    f"{file.name} lasts {signal.size / sample_rate:.4f} s, longer than "
                    f"max_duration={max_duration:g} s (pass truncate=True to cut it)"
                )
            signal = signal[:max_samples]
        samples.append(signal)
    return Dataset(
        samples=samples,
        labels=np.array([entry[1] for entry in entries], dtype=np.int64),
        names=tuple(entry[3].name for entry in entries),
        split=split,
        n_classes=n_classes,
        sample_rate=sample_rate,
        metadata={
            "speaker": np.array([entry[0] for entry in entries]),
            "take": np.array([entry[2] for entry in entries], dtype=np.int64),
        },
    )


def read_shd(path, n_units=700, n_classes=20, split=None):
    """Read a Spiking Heidelberg Digits HDF5 file into per-sample ``(units, times)`` arrays.

    Parameters
    ----------
    path : str or os.PathLike
        An HDF5 file with the SHD layout: ``spikes/times`` and ``spikes/units`` (one variable-length
        row per sample; times in seconds) and ``labels`` (one integer per sample).
    n_units : int
        Number of input channels (700 cochlear channels in SHD); units must lie in ``[0, n_units)``.
    n_classes : int
        Labels must lie in ``[0, n_classes)`` (20 in SHD: digits 0-9 in English and German).
    split : str or None
        Stored in the result; ``None`` infers ``"train"``/``"test"`` from the file name, else ``"all"``.

    Returns
    -------
    Dataset
        ``samples``: list of ``(units int64, times float64)`` pairs sorted by time; ``metadata``:
        ``speaker`` when the file has ``extra/speaker``.

    Raises
    ------
    FileNotFoundError
        If the file is missing (the message says what to download).
    ValueError
        If a dataset is missing, rows disagree in count or length, or a unit or label is out of range.

    References
    ----------
    B. Cramer, Y. Stradmann, J. Schemmel, F. Zenke, "The Heidelberg spiking data sets for the systematic
    evaluation of spiking neural networks", IEEE TNNLS 33(7):2744-2757 (2022).
    """
    import h5py  # lazy: only this reader needs it

    n_units = check_int(n_units, "n_units", minimum=1)
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    file = data_path(path, "shd/shd_train.h5", SHD_SOURCE)
    if split is None:
        lowered = file.name.lower()
        split = "train" if "train" in lowered else "test" if "test" in lowered else "all"
    try:
        handle = h5py.File(file, "r")
    except OSError as error:
        raise ValueError(f"cannot open {str(file)!r} as HDF5: {error}") from error
    with handle:
        for key in ("spikes/times", "spikes/units", "labels"):
            if key not in handle:
                raise ValueError(f"{str(file)!r} lacks the dataset {key!r} of the SHD layout ({SHD_SOURCE})")
        all_times = handle["spikes/times"][()]
        all_units = handle["spikes/units"][()]
        labels = np.asarray(handle["labels"][()]).astype(np.int64)
        speaker = handle["extra/speaker"][()] if "extra/speaker" in handle else None
    if not len(all_times) == len(all_units) == labels.size:
        raise ValueError(
            f"{str(file)!r}: spikes/times has {len(all_times)} rows, spikes/units {len(all_units)}, "
            f"labels {labels.size}; they must be equal"
        )
    check_labels(labels, n_classes, f"labels in {file.name}")
    samples = []
    for row, (times, units) in enumerate(zip(all_times, all_units)):
        times = np.asarray(times, dtype=np.float64)
        units = np.asarray(units, dtype=np.int64)
        if times.shape != units.shape:
            raise ValueError(f"{file.name} sample {row}: {times.size} times but {units.size} units")
        if times.size and (units.min() < 0 or units.max() >= n_units):
            raise ValueError(
                f"{file.name} sample {row}: units must lie in [0, {n_units}); got "
                f"min {units.min()}, max {units.max()} (pass n_units)"
            )
        if not np.all(np.isfinite(times)) or (times.size and times.min() < 0):
            raise ValueError(f"{file.name} sample {row}: spike times must be finite and >= 0 s")
        order = np.lexsort((units, times))
        samples.append((units[order], times[order]))
    metadata = {} if speaker is None else {"speaker": np.asarray(speaker)}
    return Dataset(
        samples=samples,
        labels=labels,
        names=tuple(f"{file.name}:{row}" for row in range(labels.size)),
        split=split,
        n_classes=n_classes,
        metadata=metadata,
    )
