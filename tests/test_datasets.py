"""Readers: FSDD folders, WAV files, MNIST IDX, scikit-learn digits, SHD HDF5, stratified subsets."""
import gzip
import os
import pathlib
import struct
import subprocess
import sys

import numpy as np
import pytest
import scipy.io.wavfile

from hetero_brian.inputs import (
    DATA_ENV_VAR,
    Dataset,
    load_sklearn_digits,
    read_fsdd,
    read_idx,
    read_mnist,
    read_shd,
    read_wav,
    stratified_subset,
)
from hetero_brian.inputs import datasets
from hetero_brian.inputs.datasets import data_path

# ----------------------------------------------------------------------------- helpers


def tone(frequency, sample_rate, n_samples, amplitude=0.5):
    return amplitude * np.sin(2 * np.pi * frequency * np.arange(n_samples) / sample_rate)


def write_int16(path, signal, sample_rate):
    scipy.io.wavfile.write(path, sample_rate, np.round(signal * 32767).astype(np.int16))


@pytest.fixture
def fsdd_folder(tmp_path):
    """3 digits x 2 speakers x 7 takes at 8 kHz, plus a README that must be ignored."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    for digit in range(3):
        for speaker in ("alice", "bob"):
            for take in range(7):
                n_samples = 400 + 10 * take
                write_int16(folder / f"{digit}_{speaker}_{take}.wav", tone(200 + 100 * digit, 8000, n_samples), 8000)
    (folder / "README.txt").write_text("not audio")
    return folder


def write_idx(path, array, type_code, compress):
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    dtype = {0x08: ">u1", 0x0C: ">i4", 0x0E: ">f8"}[type_code]
    payload = header + array.astype(dtype).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return payload


# ----------------------------------------------------------------------------- FSDD on written files


def test_fsdd_standard_split_on_written_folder(fsdd_folder):
    test = read_fsdd(fsdd_folder, split="test")
    train = read_fsdd(fsdd_folder, split="train")
    assert len(test) == 3 * 2 * 5 and len(train) == 3 * 2 * 2
    assert set(test.metadata["take"]) == {0, 1, 2, 3, 4}
    assert set(train.metadata["take"]) == {5, 6}
    assert np.array_equal(np.bincount(test.labels), [10, 10, 10])
    # every waveform equals the int16 file content / 2**15, read independently here
    for name, signal, label in zip(train.names, train.samples, train.labels):
        rate, raw = scipy.io.wavfile.read(fsdd_folder / name)
        assert rate == 8000 and int(name.split("_")[0]) == label
        np.testing.assert_array_equal(signal, raw / 32768.0)
    # a parent folder holding recordings/ works too
    assert read_fsdd(fsdd_folder.parent, split="all").names == read_fsdd(fsdd_folder, split="all").names


def test_fsdd_speaker_filter_and_environment_variable(fsdd_folder, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, str(fsdd_folder.parent.parent))
    (fsdd_folder.parent.parent / "fsdd").mkdir()
    fsdd_folder.rename(fsdd_folder.parent.parent / "fsdd" / "recordings")
    data = read_fsdd(None, split="all", speakers=["bob"])
    assert len(data) == 21 and set(data.metadata["speaker"]) == {"bob"}


def test_fsdd_missing_path_says_what_to_download(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="Free Spoken Digit Dataset") as error:
        read_fsdd(tmp_path / "nowhere")
    assert "free-spoken-digit-dataset" in str(error.value) and "recordings" in str(error.value)
    assert DATA_ENV_VAR in str(error.value) and "nowhere" in str(error.value)
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    monkeypatch.setattr(datasets, "repository_data_root", lambda: tmp_path / "no-shared" / "data")
    with pytest.raises(FileNotFoundError, match=DATA_ENV_VAR):
        read_fsdd(None)


def test_data_lookup_order_and_the_error_lists_every_place(tmp_path, monkeypatch):
    environment, repository = tmp_path / "environment", tmp_path / "repository" / "shared" / "data"
    (repository / "mnist").mkdir(parents=True)
    monkeypatch.setattr(datasets, "repository_data_root", lambda: repository)
    monkeypatch.setenv(DATA_ENV_VAR, str(environment))
    assert data_path(None, "mnist", "MNIST") == repository / "mnist"  # the variable's folder lacks mnist/
    (environment / "mnist").mkdir(parents=True)
    assert data_path(None, "mnist", "MNIST") == environment / "mnist"  # the variable comes first
    explicit = tmp_path / "explicit"
    with pytest.raises(FileNotFoundError, match="explicit") as error:  # an explicit value never falls back
        data_path(explicit, "mnist", "MNIST", name="data_path")
    assert "data_path=" in str(error.value)
    explicit.mkdir()
    assert data_path(explicit, "mnist", "MNIST") == explicit
    with pytest.raises(FileNotFoundError) as error:
        data_path(None, "fsdd/recordings", "FSDD", name="data_path")
    message = str(error.value)
    assert str(environment / "fsdd" / "recordings") in message and str(repository / "fsdd" / "recordings") in message
    assert "FSDD" in message and DATA_ENV_VAR in message


def test_repository_data_is_found_from_the_package_not_the_current_directory(tmp_path):
    """Run from a folder outside the repository: the default lookup still finds ../shared/data."""
    repository_data = pathlib.Path(datasets.__file__).resolve().parents[2].parent / "shared" / "data"
    environment = {key: value for key, value in os.environ.items() if key != DATA_ENV_VAR}
    code = ("from hetero_brian.inputs.datasets import data_path, repository_data_root; "
            "print(repository_data_root()); print(data_path(None, 'mnist', 'MNIST'))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=environment, capture_output=True, text=True)
    if not (repository_data / "mnist").is_dir():
        assert done.returncode != 0 and str(repository_data / "mnist") in done.stderr
        return
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(repository_data), str(repository_data / "mnist")]
    # HETERO_BRIAN_DATA wins over the repository's folder, from anywhere
    (tmp_path / "mine" / "mnist").mkdir(parents=True)
    environment[DATA_ENV_VAR] = str(tmp_path / "mine")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=environment, capture_output=True, text=True)
    assert done.stdout.split()[1] == str(tmp_path / "mine" / "mnist")


@pytest.mark.parametrize("scenario, keys", [("hrsnn_fsdd", ["data_path"]), ("stdp_pruning_mnist", ["data_path"]),
                                            ("multimodal_digits", ["mnist_path", "fsdd_path"])])
def test_scenarios_default_to_the_data_lookup(scenario, keys):
    """No scenario default is relative to the current directory: None means the documented lookup."""
    import importlib

    config = importlib.import_module(f"hetero_brian.scenarios.{scenario}").Config()
    assert all(getattr(config, key) is None for key in keys)


def test_fsdd_empty_folder_names_the_folder(tmp_path):
    empty = tmp_path / "empty_recordings"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="empty_recordings"):
        read_fsdd(empty)


def test_fsdd_bad_file_name_and_label_out_of_range(fsdd_folder):
    write_int16(fsdd_folder / "12_alice_0.wav", tone(300, 8000, 400), 8000)
    with pytest.raises(ValueError, match=r"12_alice_0.wav.*label 12 outside \[0, 10\)"):
        read_fsdd(fsdd_folder)
    assert len(read_fsdd(fsdd_folder, split="all", n_classes=13)) == 43
    (fsdd_folder / "12_alice_0.wav").unlink()
    write_int16(fsdd_folder / "hello.wav", tone(300, 8000, 400), 8000)
    with pytest.raises(ValueError, match="hello.wav"):
        read_fsdd(fsdd_folder)


def test_fsdd_other_sample_rate_is_resampled_or_refused(fsdd_folder):
    # 0.2 s of 440 Hz at 16 kHz: resampled to 8 kHz it must match the tone sampled at 8 kHz directly
    write_int16(fsdd_folder / "1_carol_9.wav", tone(440, 16000, 3200), 16000)
    with pytest.raises(ValueError, match=r"16000 Hz.*resample=False"):
        read_fsdd(fsdd_folder, resample=False)
    data = read_fsdd(fsdd_folder, split="train", speakers=["carol"])
    (signal,) = data.samples
    assert data.sample_rate == 8000.0 and signal.size == 1600
    expected = np.round(tone(440, 8000, 1600) * 32767) / 32768.0
    interior = slice(100, 1500)  # away from the filter's edge transients
    assert np.max(np.abs(signal[interior] - expected[interior])) < 5e-3


def test_fsdd_max_duration_refuses_or_truncates(fsdd_folder):
    # the longest written take lasts 460 samples = 57.5 ms
    # (take 5: 450 samples = 56.25 ms); only take 6 exceeds 57 ms
    with pytest.raises(ValueError, match=r"_6.wav lasts 0.0575 s, longer than max_duration=0.057 s"):
        read_fsdd(fsdd_folder, split="all", max_duration=0.057)
    data = read_fsdd(fsdd_folder, split="all", max_duration=0.057, truncate=True)
    assert sorted({signal.size for signal in data.samples})[-2:] == [450, 456]


@pytest.mark.parametrize("dtype, scale, offset", [(np.uint8, 128.0, 128.0), (np.int32, 2.0**31, 0.0)])
def test_read_wav_integer_formats(tmp_path, dtype, scale, offset):
    raw = (np.array([-0.5, 0.0, 0.25, -1.0]) * scale + offset).astype(dtype)
    scipy.io.wavfile.write(tmp_path / "x.wav", 8000, raw)
    signal, rate = read_wav(tmp_path / "x.wav")
    np.testing.assert_allclose(signal, [-0.5, 0.0, 0.25, -1.0])
    assert rate == 8000.0


@pytest.mark.filterwarnings("ignore::scipy.io.wavfile.WavFileWarning")
def test_read_wav_stereo_float_mixdown_and_errors(tmp_path):
    stereo = np.array([[0.5, -0.5], [0.25, 0.75]], dtype=np.float32)
    scipy.io.wavfile.write(tmp_path / "s.wav", 8000, stereo)
    signal, _ = read_wav(tmp_path / "s.wav")
    np.testing.assert_allclose(signal, [0.0, 0.5])
    (tmp_path / "bad.wav").write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(ValueError, match="bad.wav"):
        read_wav(tmp_path / "bad.wav")
    with pytest.raises(FileNotFoundError, match="missing.wav"):
        read_wav(tmp_path / "missing.wav")


# ----------------------------------------------------------------------------- FSDD and MNIST, real files


def test_real_fsdd_standard_split(shared_data):
    folder = shared_data / "fsdd" / "recordings"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    test = read_fsdd(folder, split="test")
    train = read_fsdd(shared_data / "fsdd", split="train")
    assert len(test) == 300 and len(train) == 2700
    assert np.array_equal(np.bincount(test.labels), [30] * 10)
    assert test.metadata["take"].max() == 4 and train.metadata["take"].min() == 5
    assert len(set(test.metadata["speaker"])) == 6
    rate, raw = scipy.io.wavfile.read(folder / test.names[0])
    assert rate == 8000
    np.testing.assert_array_equal(test.samples[0], raw / 32768.0)
    assert all(np.abs(signal).max() <= 1.0 for signal in train.samples)


def test_real_mnist_test_set(shared_data):
    folder = shared_data / "mnist"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    data = read_mnist(folder, split="test")
    assert data.samples.shape == (10000, 28, 28) and data.samples.dtype == np.uint8
    # the published class counts of the MNIST test set
    assert np.array_equal(np.bincount(data.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    raw = gzip.decompress((folder / "t10k-images-idx3-ubyte.gz").read_bytes())
    assert struct.unpack(">I", raw[:4])[0] == 2051
    np.testing.assert_array_equal(data.samples[123], np.frombuffer(raw, np.uint8, 784, 16 + 123 * 784).reshape(28, 28))
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        read_mnist(folder, split="train")


# ----------------------------------------------------------------------------- IDX files


@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip(tmp_path, compress):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "images", images, 0x08, compress)
    np.testing.assert_array_equal(read_idx(tmp_path / "images"), images)
    values = np.array([-7, 0, 2**30])
    write_idx(tmp_path / "ints", values, 0x0C, compress)
    np.testing.assert_array_equal(read_idx(tmp_path / "ints"), values)
    reals = np.array([[0.5, -1.25]])
    write_idx(tmp_path / "reals", reals, 0x0E, compress)
    np.testing.assert_array_equal(read_idx(tmp_path / "reals"), reals)


def test_idx_corrupt_files_raise(tmp_path):
    payload = write_idx(tmp_path / "good", np.zeros((4, 2, 2), np.uint8), 0x08, compress=False)
    (tmp_path / "magic").write_bytes(b"\x01" + payload[1:])
    with pytest.raises(ValueError, match="bad magic number"):
        read_idx(tmp_path / "magic")
    (tmp_path / "type").write_bytes(payload[:2] + b"\x07" + payload[3:])
    with pytest.raises(ValueError, match="unknown element type 0x07"):
        read_idx(tmp_path / "type")
    (tmp_path / "short").write_bytes(payload[:-3])
    with pytest.raises(ValueError, match=r"truncated: header shape \(4, 2, 2\) needs 16 data bytes, found 13"):
        read_idx(tmp_path / "short")
    (tmp_path / "long").write_bytes(payload + b"\x00")
    with pytest.raises(ValueError, match="longer than its header"):
        read_idx(tmp_path / "long")
    (tmp_path / "gz").write_bytes(gzip.compress(payload)[:-10])
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(tmp_path / "gz")


def test_read_mnist_on_written_files_and_bad_labels(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images, 0x08, compress=True)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([0, 9, 3, 3, 1]), 0x08, compress=False)
    data = read_mnist(tmp_path)
    np.testing.assert_array_equal(data.samples, images)
    assert data.labels.tolist() == [0, 9, 3, 3, 1] and data.shape == (28, 28)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([0, 9, 3, 3, 10]), 0x08, compress=False)
    with pytest.raises(ValueError, match=r"out-of-range label.*\[10\]"):
        read_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([0, 9, 3]), 0x08, compress=False)
    with pytest.raises(ValueError, match="5 images .* but 3 labels"):
        read_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="MNIST"):
        read_mnist(tmp_path / "absent")


# ----------------------------------------------------------------------------- scikit-learn digits


def test_sklearn_digits():
    from sklearn.datasets import load_digits

    data = load_sklearn_digits()
    reference = load_digits()
    assert data.samples.shape == (1797, 8, 8) and data.shape == (8, 8)
    np.testing.assert_array_equal(data.samples.reshape(1797, 64), reference.data)
    np.testing.assert_array_equal(data.labels, reference.target)


# ----------------------------------------------------------------------------- SHD HDF5


def write_shd(path, rows, labels, speaker=None):
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "w") as handle:
        times = handle.create_dataset("spikes/times", (len(rows),), dtype=h5py.vlen_dtype(np.float32))
        units = handle.create_dataset("spikes/units", (len(rows),), dtype=h5py.vlen_dtype(np.uint16))
        for row, (row_units, row_times) in enumerate(rows):
            times[row] = np.asarray(row_times, dtype=np.float32)
            units[row] = np.asarray(row_units, dtype=np.uint16)
        handle["labels"] = np.asarray(labels, dtype=np.uint16)
        if speaker is not None:
            handle["extra/speaker"] = np.asarray(speaker, dtype=np.uint16)


def test_read_shd_layout(tmp_path):
    rows = [([5, 1, 699], [0.25, 0.5, 0.125]), ([], []), ([3, 3], [0.75, 0.0])]
    write_shd(tmp_path / "shd_test.h5", rows, [19, 0, 7], speaker=[1, 2, 3])
    data = read_shd(tmp_path / "shd_test.h5")
    assert data.split == "test" and data.labels.tolist() == [19, 0, 7] and data.n_classes == 20
    units, times = data.samples[0]
    assert units.tolist() == [699, 5, 1] and times.tolist() == [0.125, 0.25, 0.5]
    assert data.samples[1][0].size == 0
    assert data.samples[2][0].tolist() == [3, 3] and data.samples[2][1].tolist() == [0.0, 0.75]
    assert data.metadata["speaker"].tolist() == [1, 2, 3]


def test_read_shd_bad_files(tmp_path):
    write_shd(tmp_path / "units.h5", [([700], [0.1])], [0])
    with pytest.raises(ValueError, match=r"units must lie in \[0, 700\)"):
        read_shd(tmp_path / "units.h5")
    assert read_shd(tmp_path / "units.h5", n_units=701).samples[0][0].tolist() == [700]
    write_shd(tmp_path / "labels.h5", [([1], [0.1])], [20])
    with pytest.raises(ValueError, match=r"out-of-range label"):
        read_shd(tmp_path / "labels.h5")
    import h5py

    with h5py.File(tmp_path / "partial.h5", "w") as handle:
        handle["labels"] = np.zeros(1, dtype=np.uint16)
    with pytest.raises(ValueError, match="spikes/times"):
        read_shd(tmp_path / "partial.h5")
    with pytest.raises(FileNotFoundError, match="Spiking Heidelberg Digits"):
        read_shd(tmp_path / "absent.h5")


# ----------------------------------------------------------------------------- subsets and Dataset


def test_stratified_subset_counts_and_reproducibility():
    labels = np.repeat(np.arange(4), [10, 3, 7, 5])
    chosen = stratified_subset(labels, 3, np.random.default_rng(5))
    assert np.array_equal(np.bincount(labels[chosen]), [3, 3, 3, 3])
    assert np.unique(chosen).size == chosen.size and np.all(np.diff(chosen) > 0)
    assert np.array_equal(chosen, stratified_subset(labels, 3, np.random.default_rng(5)))
    draws = {tuple(stratified_subset(labels, 3, np.random.default_rng(seed))) for seed in range(5)}
    assert len(draws) > 1
    with pytest.raises(ValueError, match="n_per_class=4 exceeds the 3 sample"):
        stratified_subset(labels, 4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng"):
        stratified_subset(labels, 1, 5)


def test_dataset_checks_and_subset():
    data = Dataset(samples=[np.zeros(3), np.ones(2), np.ones(4)], labels=[2, 0, 1], names=("a", "b", "c"),
                   split="all", n_classes=3, metadata={"take": np.array([7, 8, 9])})
    part = data.subset([2, 0])
    assert part.names == ("c", "a") and part.labels.tolist() == [1, 2] and part.metadata["take"].tolist() == [9, 7]
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        Dataset(samples=[0, 1], labels=[0, 2], names=("a", "b"), split="all", n_classes=2)
    with pytest.raises(ValueError, match="equal lengths"):
        Dataset(samples=[0], labels=[0, 1], names=("a", "b"), split="all", n_classes=2)
