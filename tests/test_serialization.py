"""mg.save / mg.load: npz without pickle, atomic writes, exact round trips, corrupt files."""

import os
import zipfile

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn
from minigrad import serialization
from minigrad.serialization import CorruptFileError


def _state():
    return {
        "0.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "0.bias": np.array([np.nan, np.inf, -np.inf, -0.0], np.float64),
        "bn.num_batches_tracked": np.array(7, np.int64),
        "half": np.array([1.5, 2.25], np.float16),
        "flags": np.array([True, False]),
        "empty": np.zeros((0, 4), np.float32),
        "file": np.ones(1),  # np.savez's own keyword; must still work
    }


def _assert_same(a, b):
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        assert a[k].tobytes() == b[k].tobytes(), k


def test_round_trip_keeps_names_order_dtypes_shapes_and_bits(tmp_path):
    path = tmp_path / "model.ckpt"
    mg.save(_state(), path)
    _assert_same(mg.load(path), _state())


def test_the_path_given_is_the_path_written(tmp_path):
    path = tmp_path / "weights"
    mg.save({"w": np.ones(2)}, str(path))
    assert os.listdir(tmp_path) == ["weights"]
    assert zipfile.is_zipfile(path)


def test_model_state_dict_round_trip_restores_outputs(tmp_path):
    a = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2, rng=1))
    a(mg.tensor(np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)))
    mg.save(a.state_dict(), tmp_path / "m.npz")
    b = nn.Sequential(nn.Linear(3, 4, rng=5), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2, rng=6))
    b.load_state_dict(mg.load(tmp_path / "m.npz"))
    x = mg.tensor(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(a.eval()(x).data, b.eval()(x).data)


def test_tensors_are_saved_as_arrays(tmp_path):
    mg.save({"t": mg.tensor([1.0, 2.0], requires_grad=True)}, tmp_path / "t")
    np.testing.assert_array_equal(mg.load(tmp_path / "t")["t"], np.array([1, 2], np.float32))


def test_objects_and_non_string_names_are_refused_before_writing(tmp_path):
    path = tmp_path / "x"
    with pytest.raises(TypeError, match="no pickle"):
        mg.save({"bad": np.array([{"a": 1}], dtype=object)}, path)
    with pytest.raises(TypeError, match="names must be strings"):
        mg.save({1: np.ones(1)}, path)
    assert os.listdir(tmp_path) == []


def test_failed_write_keeps_the_previous_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    mg.save({"w": np.ones(3)}, path)
    before = path.read_bytes()

    def disk_full(f, arrays):
        f.write(b"PK partial data")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(serialization, "_write_npz", disk_full)
    with pytest.raises(OSError, match="No space left"):
        mg.save({"w": np.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


@pytest.mark.parametrize("name", ["model.npz", "model.safetensors"])
def test_interrupted_write_keeps_the_previous_file(tmp_path, monkeypatch, name):
    if name.endswith(".safetensors"):
        pytest.importorskip("safetensors")
    path = tmp_path / name
    mg.save({"w": np.ones(3)}, path)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        mg.save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    np.testing.assert_array_equal(mg.load(path)["w"], np.ones(3))
    assert os.listdir(tmp_path) == [name]


def test_save_fsyncs_before_renaming(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: calls.append("replace") or real_replace(a, b))
    mg.save({"w": np.ones(1)}, tmp_path / "w")
    assert calls[:2] == ["fsync", "replace"]


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, not an archive", bytes(range(256)) * 4, b"\x80\x04\x95pickle"],
    ids=["empty", "text", "random", "pickle"],
)
def test_non_npz_files_are_reported_as_corrupt(tmp_path, content):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(CorruptFileError, match="corrupt"):
        mg.load(path)


def test_truncated_file_is_reported_as_corrupt(tmp_path):
    path = tmp_path / "m.npz"
    mg.save({"w": np.arange(1000.0), "b": np.ones(10)}, path)
    data = path.read_bytes()
    for cut in (len(data) // 3, len(data) - 30):
        path.write_bytes(data[:cut])
        with pytest.raises(CorruptFileError, match="corrupt") as info:
            mg.load(path)
        assert "pickle" not in str(info.value)


def test_flipped_bytes_in_the_data_are_reported_as_corrupt(tmp_path):
    path = tmp_path / "m.npz"
    mg.save({"w": np.arange(100.0)}, path)
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF  # inside the stored array: the zip CRC check fails
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="corrupt"):
        mg.load(path)


def test_pickled_object_array_in_an_npz_is_refused(tmp_path):
    path = tmp_path / "p.npz"
    with open(path, "wb") as f:
        np.savez(f, obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CorruptFileError):
        mg.load(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "nope.npz")


def test_files_written_by_numpy_savez_load(tmp_path):
    path = tmp_path / "np.npz"
    np.savez_compressed(path, a=np.ones(3), b=np.arange(4))
    out = mg.load(path)
    assert list(out) == ["a", "b"] and out["b"].dtype == np.arange(4).dtype
