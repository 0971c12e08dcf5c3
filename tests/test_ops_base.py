"""The one place operands are converted (`minigrad.ops.base`): numbers become constants of
the other operand's dtype, ndarrays are constants, plain inputs give plain NumPy, and
shapes that do not broadcast name the op and both shapes."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import ops

BINARY = [ops.add, ops.sub, ops.mul, ops.div, ops.pow, ops.maximum, ops.minimum]


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.__name__)
def test_a_python_number_becomes_a_constant_of_the_tensors_dtype(op):
    x = mg.tensor(np.array([0.5, 1.5], np.float32), requires_grad=True)
    for y in (op(x, 2.5), op(2.5, x)):
        assert y.dtype == np.float32
        constants = [p for p in y.parents if p is not x]
        assert len(constants) == 1 and not constants[0].requires_grad
        assert constants[0].shape == () and constants[0].dtype == np.float32
        (gx,) = mg.grad(y.sum(), [x])
        assert gx.shape == x.shape and gx.dtype == np.float32


def test_a_numpy_scalar_does_not_promote_a_float_tensor_as_in_pytorch():
    x = mg.tensor(np.array([0.5, 1.5], np.float32), requires_grad=True)
    assert (x * np.float64(2.0)).dtype == np.float32 and ops.add(
        np.float64(1), x
    ).dtype == np.float32
    assert (x * np.ones(2)).dtype == np.float64  # a float64 array does


def test_a_number_beside_an_integer_tensor_promotes_as_numpy_does():
    i = mg.tensor(np.array([1, 2], np.int64))
    assert ops.mul(i, 2).dtype == np.int64
    assert ops.mul(i, 2.5).dtype == np.float64
    np.testing.assert_array_equal(ops.mul(i, 2.5).data, np.array([1, 2]) * 2.5)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.__name__)
def test_an_ndarray_operand_is_a_constant_that_records_nothing(op):
    x = mg.tensor([0.5, 1.5], requires_grad=True)
    a = np.array([2.0, 3.0], np.float32)
    y = op(a, x)
    np.testing.assert_allclose(y.data, op(a, x.data), rtol=1e-6)
    assert [p.requires_grad for p in y.parents] == [False, True]
    assert y.parents[0].data is a
    (gx,) = mg.grad(y.sum(), [x])
    assert gx.shape == (2,)


@pytest.mark.parametrize("op", BINARY + [ops.exp, ops.tanh, ops.sum], ids=lambda op: op.__name__)
def test_plain_inputs_give_plain_numpy_and_record_nothing(op):
    args = [np.array([0.5, 1.5])] * (1 if op in (ops.exp, ops.tanh, ops.sum) else 2)
    out = op(*args)
    assert isinstance(out, np.ndarray | np.floating)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "sub"),
        (lambda a, b: a * b, "mul"),
        (lambda a, b: a / b, "div"),
        (lambda a, b: a**b, "pow"),
        (mg.maximum, "maximum"),
        (mg.minimum, "minimum"),
        (lambda a, b: mg.where(np.ones(3, bool), a, b), "where"),
        (lambda a, b: a + b.data, "add"),
        (lambda a, b: ops.mul(a.data, b), "mul"),
    ],
)
def test_shapes_that_do_not_broadcast_name_the_op_and_both_shapes(call, name):
    a, b = mg.ones(2, 3, requires_grad=True), mg.ones(4)
    with pytest.raises(ValueError, match=rf"^{name}: operands with shapes \((2, 3|4,)\)"):
        call(a, b)
    with pytest.raises(ValueError) as info:
        call(a, b)
    assert "(2, 3)" in str(info.value) and "(4,)" in str(info.value)


def test_number_operators_make_one_parent_nodes_with_the_ops_values_and_gradients():
    x = mg.tensor(np.linspace(0.5, 2, 5), requires_grad=True)
    for fast, general in [
        (x * 0.9, ops.mul(x, 0.9)),
        (0.9 * x, ops.mul(0.9, x)),
        (x + 0.1, ops.add(x, 0.1)),
        (0.1 + x, ops.add(0.1, x)),
        (x - 0.5, ops.sub(x, 0.5)),
        (1.0 - x, ops.sub(1.0, x)),
        (x / 4.0, ops.div(x, 4.0)),
        (2.0 / x, ops.div(2.0, x)),
        (x**3, ops.pow(x, 3)),
        (x**0.5, ops.pow(x, 0.5)),
        (x**0, ops.pow(x, 0)),
    ]:
        assert fast.parents == (x,) and len(general.parents) == 2
        assert fast.op == general.op
        np.testing.assert_array_equal(fast.data, general.data)
        np.testing.assert_array_equal(
            mg.grad(fast.sum(), [x])[0].data, mg.grad(general.sum(), [x])[0].data
        )


def test_recorded_outputs_are_read_only_and_unrecorded_ones_are_not():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert not (x * 2.0).data.flags.writeable and not x.exp().data.flags.writeable
    with mg.no_grad():
        assert (x * 2.0).data.flags.writeable
