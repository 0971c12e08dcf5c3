"""`.safetensors` between minigrad and a live PyTorch, both ways: a minigrad MLP's file loads
with `torch.nn.Module.load_state_dict(safetensors.torch.load_file(...))`, and the file
`safetensors.torch.save_file` writes loads with `mg.load`. Skipped without torch."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn as nn

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")


def _mlp(layers):
    """The same MLP from `layers`: `minigrad.nn` or `torch.nn`."""
    return layers.Sequential(
        layers.Linear(5, 7, bias=False),
        layers.BatchNorm1d(7),
        layers.LeakyReLU(0.1),
        layers.Dropout(0.2),
        layers.Linear(7, 4),
    )


def _x():
    return np.random.default_rng(1).standard_normal((6, 5)).astype(np.float32)


def test_minigrad_weights_load_into_torch(tmp_path):
    ours = _mlp(nn)
    with mg.no_grad():
        ours(mg.tensor(_x() * 3 + 1))  # running statistics away from their defaults
    path = tmp_path / "ours.safetensors"
    mg.save(ours.state_dict(), path)
    theirs = _mlp(torch.nn)
    theirs.load_state_dict(st_torch.load_file(path))  # strict: every name and shape
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(_x())).numpy()
    np.testing.assert_allclose(ours(mg.tensor(_x())).data, expected, rtol=1e-5, atol=1e-6)
    assert int(theirs[1].num_batches_tracked) == 1


def test_torch_weights_load_into_minigrad(tmp_path):
    torch.manual_seed(0)
    theirs = _mlp(torch.nn)
    with torch.no_grad():
        theirs(torch.randn(8, 5) * 2)
    path = tmp_path / "theirs.safetensors"
    st_torch.save_file(theirs.state_dict(), path, metadata={"format": "pt"})
    ours = _mlp(nn)
    ours.load_state_dict(mg.load(path))
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        expected = theirs(torch.from_numpy(_x())).numpy()
    np.testing.assert_allclose(ours(mg.tensor(_x())).data, expected, rtol=1e-5, atol=1e-6)
