"""Forward, first and second derivatives of every op in the table, in float64."""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_table import FINITE_EDGES, INFINITE_EDGES, OPS

import minigrad as mg
from minigrad import ops
from minigrad.autograd import trace_backward
from minigrad.tensor import record

CASES = [(spec, shapes) for spec in OPS for shapes in spec.shapes]
IDS = [f"{spec.name}-{'x'.join(map(str, shapes))}" for spec, shapes in CASES]


def _inputs(spec, shapes, seed=0):
    arrays = spec.make_inputs(np.random.default_rng(seed), shapes)
    return arrays, [mg.tensor(a, requires_grad=True) for a in arrays]


@pytest.mark.parametrize(("spec", "shapes"), CASES, ids=IDS)
def test_forward_matches_numpy_reference(spec, shapes):
    arrays, tensors = _inputs(spec, shapes)
    out = spec.fn(*tensors)
    np.testing.assert_allclose(out.data, spec.ref(*arrays), rtol=1e-10, atol=1e-12)
    assert out.dtype == np.float64


@pytest.mark.parametrize(("spec", "shapes"), CASES, ids=IDS)
def test_gradcheck(spec, shapes):
    _, tensors = _inputs(spec, shapes)
    assert mg.gradcheck(spec.fn, tensors, eps=spec.eps, atol=spec.atol, rtol=spec.rtol)


@pytest.mark.parametrize(("spec", "shapes"), CASES, ids=IDS)
def test_gradgradcheck(spec, shapes):
    if not spec.second_order:
        pytest.skip(f"{spec.name}: second derivative not defined")
    _, tensors = _inputs(spec, shapes)
    assert mg.gradgradcheck(spec.fn, tensors, eps=spec.eps, atol=spec.atol, rtol=spec.rtol)


@pytest.mark.parametrize(("spec", "shapes"), CASES, ids=IDS)
def test_plain_array_backward_equals_the_recorded_one(spec, shapes):
    """First-order backward runs closures on ndarrays, create_graph on Tensors: same numbers."""
    _, tensors = _inputs(spec, shapes)
    out = spec.fn(*tensors)
    gy = np.random.default_rng(1).standard_normal(out.shape)
    fast = mg.grad(out, tensors, grad_outputs=gy, retain_graph=True)
    recorded = mg.grad(out, tensors, grad_outputs=gy, create_graph=True)
    for f, r in zip(fast, recorded):
        assert (f is None) == (r is None)
        if f is not None:
            assert not f.requires_grad
            np.testing.assert_allclose(f.data, r.data, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("spec", "shapes"), CASES, ids=IDS)
def test_float32_inputs_give_float32_results_and_grads(spec, shapes):
    if spec.name == "astype":
        pytest.skip("astype changes the dtype on purpose")
    arrays = spec.make_inputs(np.random.default_rng(0), shapes)
    tensors = [mg.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    out = spec.fn(*tensors)
    assert out.dtype == np.float32
    out.sum().backward()
    for t in tensors:
        assert t.grad is None or (t.grad.dtype == np.float32 and t.grad.shape == t.shape)


@pytest.mark.parametrize(("spec", "shapes"), CASES, ids=IDS)
def test_one_input_nodes_send_gradients_in_their_input_shape(spec, shapes):
    """The walk passes the gradient of a one-input node on without `sum_to` (autograd.py):
    only ops of two or more inputs broadcast."""
    _, tensors = _inputs(spec, shapes)
    steps = trace_backward(spec.fn(*tensors).sum())
    one_input = [s for s in steps if len(s.node.parents) == 1]
    for step in one_input:
        for send in step.sends:
            assert send.raw.shape == send.parent.shape, step.node.op


# public functions whose outputs carry no gradient by definition
NOT_DIFFERENTIABLE = {"F.one_hot", "argmax", "argmin"}  # integer indices out


def _covered():
    return {name for spec in OPS for name in spec.covers}


def test_every_public_differentiable_op_is_in_the_table():
    public = set(ops.__all__)
    public |= {"__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__"}
    public |= {"__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__matmul__"}
    public |= {"__rmatmul__", "__neg__", "__getitem__", "T", "flatten"}
    for name in mg.__all__:
        obj = getattr(mg, name)
        if inspect.isfunction(obj) and obj.__module__.startswith("minigrad.ops"):
            public.add(name)
    try:
        import minigrad.nn.functional as F

        public |= {f"F.{n}" for n in getattr(F, "__all__", [])}
    except ImportError:
        pass
    missing = sorted(public - _covered() - NOT_DIFFERENTIABLE)
    assert not missing, f"add these differentiable functions to tests/op_table.py: {missing}"


def test_wrong_backward_makes_gradcheck_fail():
    def bad_square(x):
        def backward(gy, x):
            return (gy * x * 3.0,)  # the true derivative is 2x

        return record(x.data**2, "bad_square", (x,), backward)

    x = mg.tensor(np.linspace(0.5, 1.5, 5), requires_grad=True)
    with pytest.raises(mg.GradcheckError, match=r"input 0.*index \(\d+,\).*relative error"):
        mg.gradcheck(bad_square, [x])
    assert mg.gradcheck(bad_square, [x], raise_exception=False) is False


def test_wrong_second_derivative_makes_gradgradcheck_fail():
    def half_linear_backward(x):
        x_data = x.data

        def backward(gy, x):
            return (gy * (2 * x_data),)  # right value, but a constant: d2 is lost

        return record(x.data**2, "bad_square", (x,), backward)

    x = mg.tensor(np.linspace(0.5, 1.5, 5), requires_grad=True)
    assert mg.gradcheck(half_linear_backward, [x])
    with pytest.raises(mg.GradcheckError, match="second order"):
        mg.gradgradcheck(half_linear_backward, [x])


def test_gradcheck_warns_on_float32_inputs():
    x = mg.tensor(np.linspace(0.5, 1.5, 5).astype(np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        mg.gradcheck(lambda t: t * t, [x], eps=1e-2, atol=1e-2, rtol=1e-2)


def test_numerical_grad_of_a_known_function():
    x = mg.tensor(np.array([1.0, -2.0, 3.0]))
    g = mg.numerical_grad(lambda: (x * x).sum(), x)
    np.testing.assert_allclose(g, 2 * x.data, rtol=1e-8)
    np.testing.assert_array_equal(x.data, [1.0, -2.0, 3.0])


BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum}


@settings(max_examples=40, deadline=None)
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    name=st.sampled_from(sorted(BINARY)),
    seed=st.integers(0, 2**16),
)
def test_broadcast_gradients_come_back_in_each_input_shape(shapes, name, seed):
    rng = np.random.default_rng(seed)
    a_np, b_np = (rng.standard_normal(s) for s in shapes.input_shapes)
    a, b = mg.tensor(a_np, requires_grad=True), mg.tensor(b_np, requires_grad=True)
    out = getattr(ops, name)(a, b)
    np.testing.assert_allclose(out.data, BINARY[name](a_np, b_np))
    out.sum().backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    if name == "add":
        n = int(np.prod(shapes.result_shape))
        assert a.grad.data.sum() == pytest.approx(n) and b.grad.data.sum() == pytest.approx(n)
    if name == "mul":
        assert mg.gradcheck(lambda p, q: p * q, [a, b])


def test_the_ops_docs_engine_shows_are_their_source_and_its_table_lines_are_the_tables():
    """docs/engine.md prints ops "in full" and the op-table lines that check them: each op
    block is that op's source (comments aside), each table line is in tests/op_table.py."""
    import re
    from pathlib import Path

    here = Path(__file__).resolve().parent
    page = (here.parent / "docs" / "engine.md").read_text()
    shown = {}  # op name -> its block
    for block in re.findall(r"```python\n(.*?)```", page, re.S):
        name = re.match(r"(?:@\w+\n)?def (\w+)\(", block)
        if name and hasattr(ops, name[1]):
            shown[name[1]] = block
    assert set(shown) >= {"mul", "tanh", "sqrt"}

    def code(text):
        return [re.sub(r"\s+# .*$", "", line).rstrip() for line in text.strip().splitlines()]

    for name, block in shown.items():
        assert code(block) == code(inspect.getsource(getattr(ops, name))), name
    table = (here / "op_table.py").read_text()
    section = page.split("## 4. How to add an op", 1)[1]
    lines = [b.strip() for b in re.findall(r"```python\n(.*?)```", section, re.S)[1:]]
    assert lines and all(line in table for line in lines)


def _edge_run(edge):
    tensors = [mg.tensor(np.array(v, np.float64), requires_grad=True) for v in edge.inputs]
    out = edge.fn(*tensors)
    grads = mg.grad(out, tensors, grad_outputs=np.ones(out.shape))
    return out.data, [g.data for g in grads]


def _assert_edge_values(edge, out, grads):
    np.testing.assert_array_equal(out, np.array(edge.out, np.float64))
    for got, want in zip(grads, edge.grads):
        np.testing.assert_allclose(got, np.array(want, np.float64), rtol=1e-15, atol=0)


@pytest.mark.parametrize("edge", FINITE_EDGES, ids=[e.name for e in FINITE_EDGES])
def test_edge_points_give_pytorchs_values_with_every_floating_point_error_raising(edge):
    with np.errstate(all="raise"):
        out, grads = _edge_run(edge)
    _assert_edge_values(edge, out, grads)


@pytest.mark.parametrize("edge", INFINITE_EDGES, ids=[e.name for e in INFINITE_EDGES])
def test_edge_points_with_infinite_values_give_pytorchs_infinities_without_nan_arithmetic(
    edge,
):
    with np.errstate(all="raise", divide="ignore"):
        out, grads = _edge_run(edge)
    _assert_edge_values(edge, out, grads)
    with np.errstate(all="raise"), pytest.raises(FloatingPointError, match="divide by zero"):
        _edge_run(edge)


@pytest.mark.parametrize(
    "edge", FINITE_EDGES + INFINITE_EDGES, ids=[e.name for e in FINITE_EDGES + INFINITE_EDGES]
)
def test_edge_point_expectations_are_pytorchs(edge):
    torch = pytest.importorskip("torch")
    tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in edge.inputs]
    out = edge.torch_fn(torch, *tensors) if edge.torch_fn else edge.fn(*tensors)
    grads = torch.autograd.grad(out, tensors, grad_outputs=torch.ones_like(out))
    _assert_edge_values(edge, out.detach().numpy(), [g.numpy() for g in grads])
