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


def test_public_where_makes_a_tensor_of_plain_arrays():
    out = mg.where(np.array([True, False]), np.zeros(2), np.ones(2))
    assert isinstance(out, mg.Tensor)
    np.testing.assert_array_equal(out.data, [0.0, 1.0])


def test_transpose_of_two_axes_swaps_them_as_in_pytorch():
    square = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(square.transpose(0, 1).data, [[1.0, 3.0], [2.0, 4.0]])
    x = mg.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.transpose(0, 2).shape == (4, 3, 2) and x.transpose(-1, 1).shape == (2, 4, 3)
    assert x.transpose().shape == (4, 3, 2) and x.T.shape == (4, 3, 2)
    np.testing.assert_array_equal(x.transpose(1, 2, 0).data, x.data.transpose(1, 2, 0))


def test_permute_reorders_axes_and_rejects_non_permutations():
    x = mg.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x.permute(2, 0, 1).data, x.data.transpose(2, 0, 1))
    assert x.permute((1, 2, 0)).shape == (3, 4, 2)
    with pytest.raises(ValueError, match=r"permute: \(0, 0, 1\) is not a permutation"):
        x.permute(0, 0, 1)


def test_pytorch_dim_and_keepdim_names_are_accepted():
    x = mg.tensor(np.arange(12.0).reshape(3, 4))
    assert x.sum(dim=1).shape == (3,) and x.sum(dim=1, keepdim=True).shape == (3, 1)
    np.testing.assert_array_equal(x.mean(dim=0).data, x.data.mean(axis=0))
    np.testing.assert_allclose(x.logsumexp(dim=1).data, mg.logsumexp(x, axis=1).data)
    np.testing.assert_allclose(F.softmax(x, dim=0).data, F.softmax(x, axis=0).data)
    np.testing.assert_allclose(F.log_softmax(x, dim=0).data, F.log_softmax(x, axis=0).data)
    assert mg.cat([x, x], dim=1).shape == (3, 8) and mg.concatenate([x, x], dim=1).shape == (3, 8)
    assert mg.stack([x, x], dim=2).shape == (3, 4, 2)
    assert mg.tensor(np.ones((2, 3, 4))).flatten(start_dim=1).shape == (2, 12)


def test_softmax_and_log_softmax_are_tensor_methods_as_in_pytorch():
    x = mg.tensor(np.arange(12.0).reshape(3, 4) / 5, requires_grad=True)
    np.testing.assert_allclose(x.softmax(dim=1).data, F.softmax(x, axis=1).data)
    np.testing.assert_allclose(x.log_softmax(0).data, F.log_softmax(x, axis=0).data)
    np.testing.assert_allclose(x.softmax().data.sum(axis=-1), np.ones(3))
    (x.log_softmax(dim=1)[:, 0]).sum().backward()
    expected = np.eye(4)[0] - F.softmax(x, axis=1).data
    np.testing.assert_allclose(x.grad.data, expected)


def test_numpy_and_pytorch_names_together_must_agree():
    x = mg.tensor(np.ones((3, 4)))
    with pytest.raises(TypeError, match="axis=0 and dim=1"):
        x.sum(axis=0, dim=1)
    with pytest.raises(TypeError, match="keepdims=True and keepdim=False"):
        x.mean(keepdims=True, keepdim=False)


def test_max_and_min_with_dim_return_values_and_indices_as_in_pytorch():
    x = mg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(indices.data, [1, 0])
    assert indices.dtype == np.int64 and not indices.requires_grad
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0], [1, 0, 0]])  # ties: the first
    low = x.min(dim=0, keepdim=True)
    assert low.values.shape == (1, 3) and low.indices.shape == (1, 3)
    assert x.max(axis=1).shape == (2,)  # NumPy's name keeps NumPy's meaning


def test_argmax_and_argmin():
    x = mg.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    np.testing.assert_array_equal(x.argmax(dim=1).data, [1, 0])
    np.testing.assert_array_equal(x.argmin(axis=0).data, [0, 1, 0])
    assert x.argmax().item() == 3 and x.argmax(dim=1, keepdim=True).shape == (2, 1)
    assert x.argmax().dtype == np.int64


def test_unsqueeze_squeeze_view_and_numel():
    x = mg.tensor(np.ones((3, 4)))
    assert x.unsqueeze(0).shape == (1, 3, 4) and x.unsqueeze(-1).shape == (3, 4, 1)
    assert x.unsqueeze(1).squeeze().shape == (3, 4) and x.unsqueeze(1).squeeze(1).shape == (3, 4)
    assert x.squeeze(0).shape == (3, 4)  # not of length 1: kept, as in PyTorch
    assert x.view(2, 6).shape == (2, 6) and x.view((12,)).shape == (12,)
    assert x.numel() == 12
    with pytest.raises(IndexError, match="unsqueeze: dim 3"):
        x.unsqueeze(3)


def test_size_is_numpys_number_and_pytorchs_call():
    x = mg.tensor(np.ones((3, 4)))
    assert x.size == 12 and x.size + 1 == 13 and isinstance(x.size, int)
    assert x.size() == (3, 4) and x.size(1) == 4 and x.size(-2) == 3
    with pytest.raises(IndexError, match="size: dim 2"):
        x.size(2)


def test_float_and_double_convert_and_stay_differentiable():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert x.float() is x and x.double().dtype == np.float64
    (x.double() * 3.0).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_in_place_operators_update_the_tensor_itself_outside_recording():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    same = w
    with mg.no_grad():
        w -= 0.25 * w.grad
        w *= 2.0
    assert w is same and w.requires_grad and w.is_leaf
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    c = mg.tensor([1.0, 2.0])
    c += 1  # nothing requires grad: in place too
    np.testing.assert_array_equal(c.data, [2.0, 3.0])


def test_in_place_update_of_a_leaf_that_requires_grad_while_recording_raises():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"in-place add .*mg.no_grad\(\)"):
        w += 1.0


def test_in_place_operator_on_a_recorded_tensor_records_a_new_node():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    first = loss
    loss += (3.0 * x).sum()  # the habit `loss += penalty`
    assert loss is not first and loss.op == "add"
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, 2 * x.data + 3.0)


def test_in_place_operator_errors_name_the_problem():
    y = mg.tensor([1.0, 2.0], requires_grad=True) * 2.0  # saved for backward: read-only
    with mg.no_grad(), pytest.raises(ValueError, match="read-only"):
        y += 1.0
    with pytest.raises(ValueError, match=r"shape \(3,\) cannot update a tensor of shape \(2,\)"):
        c = mg.tensor([1.0, 2.0])
        c += np.ones(3)
