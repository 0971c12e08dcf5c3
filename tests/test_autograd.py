"""The graph walk: accumulation, fan-out, retain_graph, grad(), higher order, errors."""

import weakref

import numpy as np
import pytest

import minigrad as mg
from minigrad import ops
from minigrad.autograd import graph_nodes, is_freed, local_grads, op_backward, trace_backward
from minigrad.tensor import record


def leaf(values, dtype=np.float64):
    return mg.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_fan_out_sums_gradients():
    x = leaf([1.0, 2.0])
    y = x * 3.0 + x * x + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 3.0 + 2 * x.data + 1.0)


def test_diamond_graph():
    x = leaf(2.0)
    a = x * 3.0
    b = a.exp()
    c = a.sin() if hasattr(a, "sin") else a * a
    (b + c).backward()
    np.testing.assert_allclose(x.grad.data, 3.0 * np.exp(6.0) + 2 * 6.0 * 3.0)


def test_gradients_accumulate_across_backward_calls_until_cleared():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 4 * x.data)
    x.grad = None
    (x * 5.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [5.0, 5.0])


def test_long_chain_backpropagates_without_recursion_error():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad.item() == 1.0
    del y  # freeing the (released) chain must not recurse either


def test_unbackwarded_long_chain_is_freed_without_recursion_error():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    del y


def test_the_walk_frees_each_node_once_it_has_run():
    alive_at_the_end = []

    def spy(x):
        def backward(gy, x):
            alive_at_the_end.append(late() is not None)
            return (gy,)

        return record(x.data.copy(), "spy", (x,), backward)

    x = leaf([1.0, 2.0])
    b = spy(x) * 2.0 * 3.0
    late = weakref.ref(b)  # b's node runs early in the walk, spy's last
    loss = b.sum()
    del b
    loss.backward()
    assert alive_at_the_end == [False]
    np.testing.assert_array_equal(x.grad.data, [6.0, 6.0])


def test_leaf_grads_are_writable_arrays():
    x = leaf([1.0, 2.0])
    x.sum().backward()  # the gradient is a broadcast (read-only) view of the seed
    x.grad.data *= 0.5
    np.testing.assert_array_equal(x.grad.data, [0.5, 0.5])
    s = leaf(3.0)
    s.backward()
    s.grad.data += 1.0
    assert float(s.grad.data) == 2.0


def test_leaf_grads_never_share_an_array():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()  # add's backward sends one array to both inputs
    a.grad.data *= 2.0
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0])


def test_second_backward_needs_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.data.copy()
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * first)


def test_grad_returns_none_for_unused_inputs_and_leaves_grad_untouched():
    x, z = leaf([1.0, 2.0]), leaf([3.0])
    gx, gz = mg.grad((x * x).sum(), [x, z])
    np.testing.assert_allclose(gx.data, 2 * x.data)
    assert gz is None
    assert x.grad is None and z.grad is None


def test_grad_of_an_intermediate_tensor():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    (gh,) = mg.grad((h * h).sum(), [h])
    np.testing.assert_allclose(gh.data, 2 * h.data)


def test_create_graph_gives_hessian_vector_products():
    # f(x) = sum(x^3) has Hessian diag(6x): H v = 6 x v.
    x, v = leaf([1.0, -2.0, 0.5]), np.array([0.3, 1.0, -2.0])
    (g,) = mg.grad((x**3).sum(), [x], create_graph=True)
    np.testing.assert_allclose(g.data, 3 * x.data**2)
    (hv,) = mg.grad((g * mg.tensor(v)).sum(), [x])
    np.testing.assert_allclose(hv.data, 6 * x.data * v)


def test_backward_create_graph_makes_grad_differentiable():
    x = leaf(0.7)
    x.tanh().backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.backward()
    t = np.tanh(0.7)
    np.testing.assert_allclose(x.grad.data, -2 * t * (1 - t**2))


def test_newton_step_solves_a_quadratic():
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])
    x = leaf([0.0, 0.0])
    f = 0.5 * (x @ mg.tensor(a) @ x) - x @ mg.tensor(b)
    (g,) = mg.grad(f, [x], create_graph=True)
    hess = np.stack([mg.grad(g[i], [x], retain_graph=True)[0].data for i in range(2)])
    step = np.linalg.solve(hess, g.data)
    np.testing.assert_allclose(x.data - step, np.linalg.solve(a, b))


def test_first_order_backward_records_nothing():
    x = leaf([1.0, 2.0])
    (x.sigmoid() * x).sum().backward()
    assert x.grad.is_leaf and not x.grad.requires_grad


def test_closures_get_ndarrays_first_order_and_tensors_under_create_graph():
    seen = []

    def square(x):
        def backward(gy, x):
            seen.append((type(gy), type(x), mg.is_grad_enabled()))
            return (gy * x * 2.0,)

        return record(x.data**2, "square", (x,), backward)

    x = leaf([1.0, 2.0])
    square(x).sum().backward()
    assert seen[-1] == (np.ndarray, np.ndarray, False)
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    (g,) = mg.grad(square(x).sum(), [x], create_graph=True)
    assert seen[-1][:2] == (mg.Tensor, mg.Tensor) and seen[-1][2]
    g.sum().backward()  # d/dx of sum(2x) = 2
    np.testing.assert_array_equal(x.grad.data, [4.0, 6.0])


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        (ops.add, 2),
        (ops.sub, 2),
        (ops.mul, 2),
        (ops.div, 2),
        (ops.maximum, 2),
        (ops.matmul, 2),
        (ops.exp, 1),
        (ops.log, 1),
        (ops.sqrt, 1),
        (ops.abs, 1),
        (ops.tanh, 1),
        (ops.sigmoid, 1),
        (ops.relu, 1),
        (ops.sum, 1),
        (ops.mean, 1),
        (ops.max, 1),
        (ops.logsumexp, 1),
        (lambda x: ops.reshape(x, (9,)), 1),
        (lambda x: ops.transpose(x), 1),
        (lambda x: ops.broadcast_to(x, (2, 3, 3)), 1),
        (lambda x: ops.getitem(x, [0, 0, 2]), 1),
        (lambda x: x * 0.5 + 1.0, 1),
    ],
)
def test_ops_given_plain_arrays_return_the_same_values_as_plain_arrays(fn, args):
    """minigrad.ops (what backward closures call); the public mg.* functions make Tensors."""
    arrays = [np.random.default_rng(i).uniform(0.5, 2.0, (3, 3)) for i in range(args)]
    plain = fn(*arrays)
    assert isinstance(plain, np.ndarray | np.floating)
    np.testing.assert_allclose(plain, fn(*map(mg.tensor, arrays)).data, rtol=1e-15)


def test_no_grad_nests_and_restores_after_exceptions():
    x = leaf([1.0])
    with mg.no_grad():
        with mg.no_grad():
            assert not (x * 2).requires_grad
        with mg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with pytest.raises(ZeroDivisionError):
        with mg.no_grad():
            raise ZeroDivisionError
    assert mg.is_grad_enabled() and (x * 2).requires_grad


def test_no_grad_as_decorator():
    @mg.no_grad()
    def f(t):
        return t * 2

    assert not f(leaf([1.0])).requires_grad
    assert mg.is_grad_enabled()


def test_backward_of_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"non-scalar output of shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(gradient=np.array([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 20.0])


def test_backward_gradient_of_wrong_shape_is_rejected():
    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\).*\(2,\)"):
        (x * 2).backward(gradient=np.ones(3))


def test_backward_of_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0, 2.0]).sum().backward()


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_])
def test_integer_and_bool_tensors_cannot_require_grad(dtype):
    with pytest.raises(TypeError, match="floating-point"):
        mg.tensor(np.array([1, 0], dtype=dtype), requires_grad=True)


def test_outputs_saved_for_backward_are_read_only():
    x = leaf([1.0, 2.0])
    y = x.tanh()
    with pytest.raises(ValueError, match="read-only"):
        y.data[0] = 5.0


def test_updating_a_leaf_in_place_before_backward_is_detected():
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()
    w.data -= 0.1  # an optimizer step does this, then bumps the version
    w._mark_changed()
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_shape_mismatch_names_the_op_and_both_shapes():
    a, b = leaf(np.ones((3, 4))), leaf(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"add: .*\(3, 4\) and \(2, 4\)"):
        a + b
    with pytest.raises(ValueError, match=r"mul: .*\(3, 4\) and \(2, 4\)"):
        a * b
    with pytest.raises(ValueError, match=r"matmul: .*\(3, 4\).*\(2, 4\)"):
        a @ b


def test_max_splits_gradient_between_ties_like_amax():
    x = leaf([1.0, 3.0, 3.0, 0.0])
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5, 0.5, 0.0])


def test_maximum_splits_gradient_on_ties():
    a, b = leaf([1.0, 2.0, 3.0]), leaf([2.0, 2.0, 1.0])
    mg.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(b.grad.data, [1.0, 0.5, 0.0])


def test_repeated_integer_index_accumulates():
    x = leaf([1.0, 2.0, 3.0])
    x[[0, 0, 1]].sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 1.0, 0.0])


def test_kinks_follow_pytorch():
    x = leaf([0.0, 1.0, -1.0])
    (x.relu().sum() + x.abs().sum()).backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 2.0, -1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_tanh_are_stable_at_extremes(dtype):
    x = leaf([-1000.0, 0.0, 1000.0], dtype)
    y = x.sigmoid()
    np.testing.assert_array_equal(y.data, np.array([0.0, 0.5, 1.0], dtype))
    y.sum().backward()
    assert np.all(np.isfinite(x.grad.data))
    x.grad = None
    x.tanh().sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.array([0.0, 1.0, 0.0], dtype))


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float32, 3e-7), (np.float64, 5e-16)])
def test_sigmoid_is_accurate_to_an_ulp_across_its_range(dtype, rtol):
    x = np.random.default_rng(0).uniform(-80, 80, 10_000).astype(dtype)
    exact = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    y = mg.sigmoid(x).data
    assert y.dtype == dtype
    np.testing.assert_allclose(y, exact.astype(dtype), rtol=rtol, atol=0)


def test_logsumexp_does_not_overflow():
    x = leaf([[1000.0, 1000.0], [-1000.0, -1000.0]], np.float32)
    y = mg.logsumexp(x, axis=1)
    np.testing.assert_allclose(y.data, [1000 + np.log(2), -1000 + np.log(2)], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 0.5)


def test_python_scalars_do_not_promote_float32():
    x = leaf([1.0, 2.0], np.float32)
    for y in (x * 2.5, 2.5 * x, x + 1, x / 3.0, 1.0 - x, x**2, 2.0**x, x.mean(), -x):
        assert y.dtype == np.float32
    (x * 2.5).sum().backward()
    assert x.grad.dtype == np.float32


def test_matmul_shapes_like_numpy():
    rng = np.random.default_rng(0)
    for sa, sb in [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((4, 2, 3), (3, 5))]:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        out = mg.tensor(a) @ mg.tensor(b)
        np.testing.assert_allclose(out.data, a @ b)


def _spied(order):
    """An op y = x (identity) whose backward appends its name to `order` when it runs."""

    def op(x, name):
        def backward(gy, x):
            order.append(name)
            return (gy,)

        return record(x.data.copy(), name, (x,), backward)

    return op


def _diamond(op):
    x, w = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    a = op(x * w, "a")
    b = op(a.exp(), "b")
    c = op(a * a, "c")
    return x, w, op(b + c * x, "out").sum()


def test_trace_backward_reports_nodes_in_the_engines_order():
    order = []
    x, w, loss = _diamond(_spied(order))
    loss.backward(retain_graph=True)
    engine_order = list(order)
    order.clear()
    steps = trace_backward(loss)
    assert order == engine_order
    assert [s.node.op for s in steps if s.node.op in engine_order] == engine_order
    assert steps[0].node is loss
    leaves = [s.node for s in steps if s.node.is_leaf]
    assert leaves and all(s.node.is_leaf for s in steps[len(steps) - len(leaves) :])
    assert all(s.sends == () for s in steps if s.node.is_leaf)


def test_trace_backward_leaf_gradients_equal_backward_and_leave_grad_untouched():
    x, w, loss = _diamond(_spied([]))
    steps = trace_backward(loss)
    assert x.grad is None and w.grad is None
    by_node = {id(s.node): s.grad for s in steps}
    loss.backward()  # the traced walk retained the graph
    np.testing.assert_array_equal(by_node[id(x)], x.grad.data)
    np.testing.assert_array_equal(by_node[id(w)], w.grad.data)


def test_trace_backward_shows_raw_and_summed_back_broadcast_gradients():
    a, b = leaf(np.ones((3, 1))), leaf(np.ones(4))
    (step,) = [s for s in trace_backward((a * b).sum()) if s.node.op == "mul"]
    (to_a, to_b) = step.sends
    assert to_a.parent is a and to_b.parent is b
    assert to_a.raw.shape == (3, 4) and to_a.grad.shape == (3, 1)
    assert to_b.raw.shape == (3, 4) and to_b.grad.shape == (4,)
    np.testing.assert_array_equal(to_a.grad, np.full((3, 1), 4.0))


def test_trace_backward_flags_gradients_added_to_an_earlier_share():
    x = leaf([1.0, 2.0])
    steps = trace_backward((x * x).sum())
    (mul,) = [s for s in steps if s.node.op == "mul"]
    assert [send.parent is x for send in mul.sends] == [True, True]
    assert [send.accumulated for send in mul.sends] == [False, True]
    np.testing.assert_array_equal(steps[-1].grad, 2 * x.data)


def test_parents_op_and_is_leaf_describe_the_graph():
    a, b = leaf([1.0]), leaf([2.0])
    y = a * b
    assert y.parents == (a, b) and y.op == "mul" and not y.is_leaf
    assert a.parents == () and a.op == "" and a.is_leaf
    assert [t.op for t in graph_nodes(y.sum())] == ["", "", "mul", "sum"]


def test_local_grads_apply_one_ops_chain_rule():
    x = leaf([-1.0, 2.0])
    y = x.relu()
    (gx,) = local_grads(y, np.ones(2))
    np.testing.assert_array_equal(gx, [0.0, 1.0])
    y.sum().backward()
    assert is_freed(y)
    with pytest.raises(RuntimeError, match="freed"):
        local_grads(y, np.ones(2))


def test_op_backward_is_the_closure_the_op_recorded():
    x = leaf([-1.0, 2.0])
    y = x.relu()
    assert op_backward(x) is None
    assert op_backward(y).__qualname__ == "relu.<locals>.backward"
    (gx,) = op_backward(y)(np.ones(2), x.data)
    np.testing.assert_array_equal(gx, [0.0, 1.0])
    y.sum().backward()
    with pytest.raises(RuntimeError, match="freed"):
        op_backward(y)(np.ones(2), x.data)


def test_changing_a_leaf_after_the_forward_pass_used_it_is_detected():
    w = leaf([1.0, 2.0])
    loss = (w * w).sum()
    w.data += 1.0
    with pytest.raises(RuntimeError, match=r"x.data \+= \.\.\."):
        loss.backward()
    loss = (w * w).sum()
    with mg.no_grad():
        w -= 0.5
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
    loss = (w * w).sum()
    w.data = np.zeros(2)
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()
