"""The PyTorch spellings on Tensor beyond the op table's numbers: conversions, devices,
in-place methods, clear errors, and the advice given for names minigrad lacks."""

import numpy as np
import pytest

import minigrad as mg


def test_dim_contiguous_cpu_and_device_are_pytorchs():
    x = mg.randn(2, 3)
    assert x.dim() == 2 and x.contiguous() is x and x.cpu() is x
    assert x.device == "cpu" and x.is_cuda is False


def test_to_converts_dtypes_and_accepts_only_the_cpu():
    x = mg.randn(2, 3, requires_grad=True)
    assert x.to("cpu") is x and x.to(np.float32) is x and x.to(device="cpu") is x
    assert x.to(np.float64).dtype == np.float64 and x.to("float64").dtype == np.float64
    assert x.to("cpu", np.float64).dtype == np.float64
    assert x.to(mg.zeros(1, dtype=np.float64)).dtype == np.float64
    copied = x.to(np.float32, copy=True)
    assert copied is not x and copied.data is not x.data
    x.to(np.float64).sum().backward()
    assert x.grad.dtype == np.float32
    for device in ("cuda", "cuda:0", "mps"):
        with pytest.raises(RuntimeError, match="CPU only"):
            x.to(device)
    with pytest.raises(TypeError, match="NumPy's"):
        x.to(object())


def test_integer_and_bool_conversions_are_cut_from_the_graph():
    x = mg.tensor([1.7, -2.2], requires_grad=True)
    for out, dtype in ((x.long(), np.int64), (x.int(), np.int32), (x.bool(), np.bool_)):
        assert out.dtype == dtype and not out.requires_grad
    assert x.long().tolist() == [1, -2]
    assert x.float() is x


def test_clone_is_a_differentiable_copy():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert y.data is not x.data and y.tolist() == [1.0, 2.0]
    (y * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_t_refuses_three_axes():
    assert mg.randn(3).t().shape == (3,)
    with pytest.raises(ValueError, match="transpose"):
        mg.randn(2, 3, 4).t()


def test_mm_takes_matrices_only():
    a = mg.randn(2, 3)
    assert a.mm(a.T).shape == mg.mm(a, a.T).shape == (2, 2)
    with pytest.raises(ValueError, match="matmul"):
        mg.mm(a, mg.randn(3))


def test_clamp_bounds_must_be_numbers():
    x = mg.randn(3)
    with pytest.raises(TypeError, match="mg.maximum"):
        x.clamp(min=mg.zeros(3))
    with pytest.raises(ValueError, match="at least one"):
        x.clamp()


def test_masked_fill_needs_a_bool_mask():
    x = mg.tensor([1.0, -2.0, 3.0])
    assert x.masked_fill(x < 0, 0.0).tolist() == [1.0, 0.0, 3.0]
    assert x.masked_fill(np.array([True, False, False]), 5.0).tolist() == [5.0, -2.0, 3.0]
    with pytest.raises(TypeError, match="bool"):
        x.masked_fill(mg.tensor([1, 0, 0]), 0.0)


def test_repeat_and_expand_check_their_sizes():
    x = mg.tensor([[1.0], [2.0]])
    assert x.repeat(1, 3).tolist() == [[1.0] * 3, [2.0] * 3]
    assert x.expand(2, 2, -1).shape == (2, 2, 1)
    with pytest.raises(ValueError, match="at least one count per axis"):
        x.repeat(2)
    with pytest.raises(ValueError, match="only axes of length 1"):
        x.expand(3, 1)
    with pytest.raises(ValueError, match="-1 keeps an axis"):
        x.expand(-1, 2, 1)


def test_var_and_std_are_unbiased_by_default_as_in_pytorch():
    x = mg.tensor([1.0, 2.0, 3.0, 4.0], dtype=np.float64)
    assert x.var().item() == pytest.approx(np.var(x.data, ddof=1))
    assert x.var(unbiased=False).item() == x.var(correction=0).item() == x.var(ddof=0).item()
    assert x.var(False).item() == pytest.approx(np.var(x.data))
    assert x.std().item() == pytest.approx(np.std(x.data, ddof=1))


def test_var_without_degrees_of_freedom_is_an_error_not_nan():
    with pytest.raises(ValueError, match="unbiased=False"):
        mg.tensor([2.0]).var()
    with pytest.raises(ValueError, match="no degrees of freedom"):
        mg.randn(1, 3).std(dim=0)
    with pytest.raises(TypeError, match="not both"):
        mg.randn(3).var(unbiased=True, correction=1)


def test_norm_rejects_ps_it_has_no_gradient_for():
    for p in (0, 0.5, -np.inf, "nuc"):
        with pytest.raises(ValueError, match="p must be"):
            mg.randn(3).norm(p=p)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda x: x.add_(1), [2.0, 3.0]),
        (lambda x: x.add_(mg.tensor([1.0, 1.0]), alpha=-2), [-1.0, 0.0]),
        (lambda x: x.sub_(1, alpha=3), [-2.0, -1.0]),
        (lambda x: x.mul_(4), [4.0, 8.0]),
        (lambda x: x.div_(2), [0.5, 1.0]),
        (lambda x: x.fill_(7), [7.0, 7.0]),
        (lambda x: x.zero_(), [0.0, 0.0]),
        (lambda x: x.copy_(np.array([5.0, 6.0])), [5.0, 6.0]),
    ],
)
def test_in_place_methods_change_the_array_and_return_the_tensor(call, expected):
    x = mg.tensor([1.0, 2.0])
    array = x.data
    assert call(x) is x
    assert x.data is array and x.tolist() == expected


def test_in_place_methods_refuse_while_recording_and_stamp_otherwise():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="mg.no_grad"):
        w.add_(1)
    h = w * 2
    with pytest.raises(RuntimeError, match="x = x \\+ y"):
        h.mul_(2)
    with pytest.raises(RuntimeError, match="recording"):
        mg.zeros(2).add_(w)
    loss = (w * w).sum()
    with mg.no_grad():
        w.sub_(0.5)
    with pytest.raises(RuntimeError, match="modified|changed|in place"):
        loss.backward()


def test_zero_grad_the_pytorch_way():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0]


def test_in_place_method_on_a_read_only_array_names_the_method():
    x = mg.tensor([1.0], requires_grad=True)
    y = x * 2
    with mg.no_grad(), pytest.raises(ValueError, match="zero_: this tensor's array is read-only"):
        y.zero_()


@pytest.mark.parametrize(
    ("name", "advice"),
    [
        ("cuda", "CPU only"),
        ("grad_fn", "x.op"),
        ("register_hook", "retain_grad"),
        ("new_zeros", "mg.zeros"),
        ("topk", "np.argsort"),
        ("gather", "x\\[np.arange"),
        ("clamp_", "x = x.clamp"),
        ("unsqueeze_", "x = x.unsqueeze"),
    ],
)
def test_pytorch_names_minigrad_lacks_say_what_to_write(name, advice):
    with pytest.raises(AttributeError, match=advice):
        getattr(mg.randn(2), name)


def test_unknown_attributes_stay_plain_attribute_errors():
    x = mg.randn(2)
    assert not hasattr(x, "grad_fn") and getattr(x, "__deepcopy__", None) is None
    with pytest.raises(AttributeError, match="^'Tensor' object has no attribute 'nonsense'$"):
        _ = x.nonsense


def test_comparison_methods_give_bool_tensors():
    x = mg.tensor([1.0, 2.0, 3.0])
    assert x.eq(2).tolist() == [False, True, False] and x.ne(2).tolist() == [True, False, True]
    assert x.gt(2).tolist() == [False, False, True] and x.ge(2).tolist() == [False, True, True]
    assert x.lt(2).tolist() == [True, False, False] and x.le(2).tolist() == [True, True, False]
    assert x.eq(mg.tensor([1.0, 0.0, 3.0])).sum().item() == 2


def test_module_functions_are_the_methods():
    x = mg.tensor([[1.0, 5.0], [4.0, 2.0]])
    assert mg.sum(x, dim=1).tolist() == [6.0, 6.0] and mg.mean(x).item() == 3.0
    assert mg.argmax(x, dim=1).tolist() == [1, 0] and mg.argmin(x, 0).tolist() == [0, 1]
    assert mg.sum(np.ones(3)).item() == 3.0 and mg.is_tensor(x) and not mg.is_tensor(x.data)
    assert mg.long is np.int64 and mg.float32 is np.float32
    assert x.to(mg.float64).dtype == np.float64


@pytest.mark.parametrize(("name", "advice"), [("cuda", "CPU only"), ("max", "x.max\\(dim=1\\)")])
def test_pytorch_module_names_minigrad_lacks_say_what_to_write(name, advice):
    with pytest.raises(AttributeError, match=advice):
        getattr(mg, name)
    assert not hasattr(mg, "no_such_name")
