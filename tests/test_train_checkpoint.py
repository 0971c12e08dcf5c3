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
