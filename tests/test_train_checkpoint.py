"""minigrad.train.checkpoint: a nest of state round-trips through a flat npz."""

import numpy as np
import pytest

from minigrad.train.checkpoint import load_checkpoint, pack, save_checkpoint, unpack


def test_pack_round_trips_nested_state():
    state = {
        "a": np.arange(3.0),
        "b": {0: [1, 2.5, None, "x"], "c": (0.1, True)},
        "n": np.float32(1.5),
    }
    back = unpack(pack(state))
    np.testing.assert_array_equal(back["a"], state["a"])
    assert back["b"] == {"0": [1, 2.5, None, "x"], "c": [0.1, True]} and back["n"] == 1.5


def test_checkpoint_file_round_trips_and_a_missing_one_is_named(tmp_path):
    save_checkpoint({"w": np.ones((2, 2)), "epoch": 3}, tmp_path / "c.npz")
    back = load_checkpoint(tmp_path / "c.npz")
    assert back["epoch"] == 3 and back["w"].shape == (2, 2)
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(tmp_path / "none.npz")


def test_a_lean_checkpoint_keeps_its_data_beside_it_once_and_loads_whole(tmp_path):
    data = {"preprocess": {"whitening": np.eye(3, dtype=np.float32)}, "class_names": ["a"]}
    save_checkpoint({"data": data, "epoch": 1}, tmp_path / "c.npz", lean=True)
    side = tmp_path / "preprocess.npz"
    written = side.stat().st_mtime_ns
    save_checkpoint({"data": data, "epoch": 2}, tmp_path / "c.npz", lean=True)
    assert side.stat().st_mtime_ns == written  # written once, by the first checkpoint
    back = load_checkpoint(tmp_path / "c.npz")
    assert back["epoch"] == 2 and back["data"]["class_names"] == ["a"]
    np.testing.assert_array_equal(back["data"]["preprocess"]["whitening"], np.eye(3))
    side.unlink()
    with pytest.raises(FileNotFoundError, match="preprocess.npz beside it, which is missing"):
        load_checkpoint(tmp_path / "c.npz")
