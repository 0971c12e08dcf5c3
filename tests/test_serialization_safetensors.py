"""mg.save / mg.load with a `.safetensors` path: exact round trips, PyTorch's names and layouts
(checked against a file PyTorch 2.13 wrote, see golden/generate_safetensors.py), a whole
trained run, clear errors, atomic writes."""

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from train_helpers import no_network, quiet, small  # noqa: F401

import minigrad as mg
import minigrad.nn as nn
from minigrad.serialization import CorruptFileError
from minigrad.train import fit, load_model

safetensors = pytest.importorskip("safetensors")

GOLDEN = Path(__file__).resolve().parent / "golden"


def _state():
    return {
        "0.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "0.bias": np.array([np.nan, np.inf, -np.inf, -0.0], np.float64),
        "bn.num_batches_tracked": np.array(7, np.int64),
        "half": np.array([1.5, 2.25], np.float16),
        "flags": np.array([True, False]),
        "bytes": np.arange(5, dtype=np.uint8),
        "empty": np.zeros((0, 4), np.float32),
        "meta.json": np.array('{"format": 1, "text": "\\u00e9t\\u00e9"}'),
        "a.first.in.order": np.ones(1, np.int32),
    }


def _assert_same(a, b):
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
        assert a[k].tobytes() == b[k].tobytes(), k


def _golden_mlp():
    """The architecture of golden/generate_safetensors.py, built with minigrad."""
    return nn.Sequential(
        nn.Linear(6, 8, bias=False),
        nn.BatchNorm1d(8),
        nn.ReLU(),
        nn.Linear(8, 8),
        nn.Tanh(),
        nn.Linear(8, 3),
    )


def _files(folder):
    """What a test wrote into `folder` (the `no_network` fixture adds an empty `no-data`)."""
    return sorted(set(os.listdir(folder)) - {"no-data"})


def _header(path):
    with safetensors.safe_open(path, framework="np") as f:
        return {k: (f.get_slice(k).get_dtype(), f.get_slice(k).get_shape()) for k in f.keys()}


def test_round_trip_keeps_names_order_dtypes_shapes_bits_and_text(tmp_path):
    path = tmp_path / "model.safetensors"
    mg.save(_state(), path)
    _assert_same(mg.load(path), _state())


def test_suffix_chooses_the_format(tmp_path):
    mg.save({"w": np.ones(2)}, tmp_path / "a.safetensors")
    mg.save({"w": np.ones(2)}, tmp_path / "a.SafeTensors")
    mg.save({"w": np.ones(2)}, tmp_path / "a.npz")
    assert (tmp_path / "a.npz").read_bytes()[:2] == b"PK"
    for name in ("a.safetensors", "a.SafeTensors"):
        data = (tmp_path / name).read_bytes()
        header_size = int.from_bytes(data[:8], "little")
        assert json.loads(data[8 : 8 + header_size])["w"]["dtype"] == "F64"


def test_transposed_and_big_endian_arrays_keep_their_values(tmp_path):
    matrix = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    state = {"t": matrix.T, "every_other": matrix[:, ::2], "big": np.arange(4, dtype=">i4")}
    mg.save(state, tmp_path / "v.safetensors")
    out = mg.load(tmp_path / "v.safetensors")
    for k, v in state.items():
        np.testing.assert_array_equal(out[k], v)
    assert out["big"].dtype == np.dtype("<i4")


def test_what_safetensors_cannot_hold_is_refused_before_writing(tmp_path):
    path = tmp_path / "x.safetensors"
    with pytest.raises(TypeError, match="'names'.*use a .npz path"):
        mg.save({"names": np.array(["a", "b"])}, path)
    with pytest.raises(TypeError, match="'z'.*complex128"):
        mg.save({"z": np.ones(2, np.complex128)}, path)
    with pytest.raises(TypeError, match="no pickle"):
        mg.save({"o": np.array([{}], dtype=object)}, path)
    assert _files(tmp_path) == []


def test_weights_pytorch_wrote_load_into_the_same_minigrad_mlp():
    """The direction PyTorch -> minigrad, with no PyTorch: the golden file is torch's own."""
    model = _golden_mlp()
    model.load_state_dict(mg.load(GOLDEN / "torch_mlp.safetensors"))
    io = mg.load(GOLDEN / "torch_mlp_io.safetensors")
    model.eval()
    np.testing.assert_allclose(model(mg.tensor(io["x"])).data, io["logits"], rtol=1e-5, atol=1e-6)
    assert int(model[1].num_batches_tracked) == 5


def test_minigrad_writes_the_names_dtypes_and_shapes_pytorch_writes(tmp_path):
    """The direction minigrad -> PyTorch, with no PyTorch: the same header as torch's file."""
    path = tmp_path / "ours.safetensors"
    mg.save(_golden_mlp().state_dict(), path)
    assert _header(path) == _header(GOLDEN / "torch_mlp.safetensors")
    with safetensors.safe_open(path, framework="np") as f:
        assert f.metadata()["format"] == "pt"


def test_model_round_trip_restores_outputs(tmp_path):
    a = _golden_mlp()
    a(mg.tensor(np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)))
    mg.save(a.state_dict(), tmp_path / "m.safetensors")
    b = _golden_mlp()
    b.load_state_dict(mg.load(tmp_path / "m.safetensors"))
    x = mg.tensor(np.ones((2, 6), np.float32))
    np.testing.assert_array_equal(a.eval()(x).data, b.eval()(x).data)


def test_a_whole_trained_run_converts_and_loads(tmp_path):
    trained = fit(small(epochs=1, hidden=(16,)), tmp_path / "run", log=quiet)
    converted = tmp_path / "digits.safetensors"
    mg.save(mg.load(tmp_path / "run" / "checkpoint.npz"), converted)
    again = load_model(converted)
    x = np.random.default_rng(0).integers(0, 17, (9, 8, 8))
    np.testing.assert_array_equal(again.predict(x)[0], trained.predict(x)[0])
    assert again.class_names == trained.class_names


def test_missing_package_says_what_to_install(tmp_path, monkeypatch):
    mg.save({"w": np.ones(1)}, tmp_path / "old.safetensors")
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r'pip install "minigrad\[safetensors\]"'):
        mg.save({"w": np.ones(1)}, tmp_path / "new.safetensors")
    with pytest.raises(ImportError, match="pip install safetensors"):
        mg.load(tmp_path / "old.safetensors")
    assert _files(tmp_path) == ["old.safetensors"]
    mg.save({"w": np.ones(1)}, tmp_path / "still.npz")  # .npz needs NumPy only


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, not a safetensors file", b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}xxxxx"],
    ids=["empty", "text", "bad-header"],
)
def test_foreign_files_are_reported_as_corrupt(tmp_path, content):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(CorruptFileError, match="corrupt"):
        mg.load(path)


def test_truncated_file_is_reported_as_corrupt(tmp_path):
    path = tmp_path / "m.safetensors"
    mg.save({"w": np.arange(100.0)}, path)
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(CorruptFileError, match="corrupt"):
        mg.load(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        mg.load(tmp_path / "nope.safetensors")


def test_a_dtype_numpy_lacks_is_named(tmp_path):
    """bfloat16, as PyTorch writes it (built by hand here: the format is a JSON header)."""
    header = json.dumps({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}).encode()
    header += b" " * (-len(header) % 8)
    path = tmp_path / "bf16.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + b"\x80\x3f\x00\x40")
    with pytest.raises(TypeError, match="'w' is BF16.*tensor.float()"):
        mg.load(path)
