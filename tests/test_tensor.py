"""Tensor construction, attributes, dtype rules and the public namespace."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F


def test_python_data_takes_the_default_dtype_and_arrays_keep_theirs():
    assert mg.tensor([1.0, 2.0]).dtype == np.float32
    assert mg.tensor(3.0).dtype == np.float32
    assert mg.tensor([1, 2]).dtype.kind == "i"
    assert mg.tensor(np.zeros(2, np.float64)).dtype == np.float64
    assert mg.tensor(np.zeros(2, np.float16)).dtype == np.float16
    assert mg.tensor([1.0], dtype=np.float64).dtype == np.float64


def test_set_default_dtype_changes_python_data_only():
    try:
        mg.set_default_dtype(np.float64)
        assert mg.tensor([1.0]).dtype == np.float64
        assert mg.zeros(2).dtype == np.float64
        assert mg.tensor(np.zeros(1, np.float32)).dtype == np.float32
    finally:
        mg.set_default_dtype(np.float32)
    with pytest.raises(TypeError, match="floating"):
        mg.set_default_dtype(np.int32)


def test_tensor_copies_its_data_and_tensor_class_wraps():
    a = np.ones(3)
    t = mg.tensor(a)
    a[0] = 7.0
    assert t.data[0] == 1.0
    assert mg.Tensor(a).data is a


def test_attributes_and_methods():
    t = mg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    assert t.shape == (1, 3) and t.ndim == 2 and t.dtype == np.float32 and t.is_leaf
    y = t * 2
    assert not y.is_leaf and y.requires_grad
    assert isinstance(t.numpy(), np.ndarray) and np.asarray(t).shape == (1, 3)
    assert mg.tensor(2.5).item() == 2.5
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.data is y.data
    assert mg.tensor([1.0]).requires_grad_().requires_grad
    assert "requires_grad=True" in repr(t)


def test_item_of_many_elements_raises():
    with pytest.raises(ValueError, match="one-element"):
        mg.tensor([1.0, 2.0]).item()


def test_comparisons_return_tensors_without_graph():
    t = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for c in (t < 2, t <= 2, t > 2, t >= 2, t == 2, t != 2):
        assert isinstance(c, mg.Tensor) and c.dtype == bool and not c.requires_grad
    np.testing.assert_array_equal((t > 1.5).data, [False, True, True])


def test_reflected_operators_with_arrays():
    t = mg.tensor([1.0, 2.0], requires_grad=True)
    out = np.array([10.0, 20.0], dtype=np.float32) - t
    assert isinstance(out, mg.Tensor)
    np.testing.assert_allclose(out.data, [9.0, 18.0])


def test_creation_functions():
    assert mg.zeros(2, 3).shape == (2, 3) and mg.ones((2,)).data.sum() == 2
    rng = np.random.default_rng(0)
    a = mg.randn(3, 4, rng=rng)
    assert a.shape == (3, 4) and a.dtype == np.float32
    np.testing.assert_array_equal(mg.randn(5, rng=7).data, mg.randn(5, rng=7).data)
    assert 0 <= mg.rand(10, rng=1).data.min() and mg.rand(10, rng=1).data.max() < 1
    assert mg.zeros_like(a).shape == a.shape and mg.ones_like(a).data.sum() == 12


def test_public_namespace_matches_all():
    # which names must be public is checked against API.md in test_api_contract.py
    import minigrad

    assert sorted(minigrad.__all__) == sorted(set(minigrad.__all__))
    for name in minigrad.__all__:
        assert hasattr(minigrad, name), name


def test_import_minigrad_needs_numpy_only():
    import subprocess
    import sys

    code = (
        "import sys, minigrad\n"
        "bad = [m for m in ('graphviz', 'matplotlib', 'tqdm', 'torch') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "fn",
    [mg.exp, mg.log, mg.sqrt, mg.abs, mg.tanh, mg.sigmoid, mg.relu, mg.logsumexp, F.relu, F.tanh],
)
def test_public_functions_make_tensors_of_plain_arrays(fn):
    out = fn(np.array([0.5, 2.0]))
    assert isinstance(out, mg.Tensor) and out.dtype == np.float64
    assert isinstance(fn([0.5, 2.0]), mg.Tensor) and fn([0.5, 2.0]).dtype == np.float32


@pytest.mark.parametrize("fn", [mg.maximum, mg.minimum, mg.matmul])
def test_public_binary_functions_make_tensors_of_plain_arrays(fn):
    a, b = np.eye(2), np.ones((2, 2))
    out = fn(a, b)
    assert isinstance(out, mg.Tensor)
    np.testing.assert_array_equal(out.data, fn(mg.tensor(a), mg.tensor(b)).data)
