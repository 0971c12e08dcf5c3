"""The explorer's numerical check: every op of the table passes it, a wrong backward fails
it at exactly its node, and a function that cannot be re-run the same way is refused."""

import numpy as np
import pytest
from op_table import OPS

import minigrad as mg
from minigrad.autograd import trace_backward
from minigrad.tensor import record
from minigrad.viz import graph_nodes
from minigrad.viz.node_check import check_nodes

PASSING = ("good", "ok for kinks", "good for float32")


def run_check(fn, tensors, eps=1e-6):
    out = fn(*tensors)
    gradient = np.random.default_rng(0).standard_normal(out.shape)
    steps = trace_backward(out, gradient if out.ndim else None)
    return out, check_nodes(fn, tensors, graph_nodes(out), steps, eps)


@pytest.mark.parametrize("spec", OPS, ids=[spec.name for spec in OPS])
def test_every_op_in_the_table_passes(spec):
    arrays = spec.make_inputs(np.random.default_rng(0), spec.shapes[0])
    tensors = [mg.tensor(a, requires_grad=True) for a in arrays]
    _, results = run_check(spec.fn, tensors, max(spec.eps, 1e-6))
    assert results
    for result in results.values():
        assert result.get("verdict", "not checked") in PASSING + ("not checked",), result


def wrong_square(x):
    """y = x**2; dy/dx = 2x (the backward below returns x: half of it)."""

    def backward(gy, x):
        return (gy * x,)

    return record(x.data**2, "wrong_square", (x,), backward)


def test_a_wrong_backward_fails_at_its_own_node_only():
    x = mg.tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    w = mg.tensor(np.array([1.5, 0.5, -1.0]), requires_grad=True)
    out, results = run_check(lambda: (wrong_square(x * w).exp() * w).sum(), [])
    verdicts = {
        node.op: results[id(node)]["verdict"] for node in graph_nodes(out) if not node.is_leaf
    }
    assert verdicts.pop("wrong_square") == "wrong"
    assert set(verdicts.values()) <= set(PASSING)


def test_leaves_are_put_back_after_the_check():
    x = mg.tensor(np.array([0.3, -1.2], dtype=np.float32), requires_grad=True)
    before = x.data
    run_check(lambda: (x * x).sum(), [])
    assert x.data is before and x.data.dtype == np.float32 and x.grad is None


def test_a_node_whose_constant_input_moves_is_not_checked():
    x = mg.tensor(np.array([0.3, -1.2]), requires_grad=True)
    out, results = run_check(lambda: (x * x.detach()).sum(), [])
    mul = next(n for n in graph_nodes(out) if n.op == "mul")
    assert "not checked" in results[id(mul)]["note"]


def test_a_function_that_builds_another_graph_is_refused():
    x = mg.tensor(np.array([0.3, -1.2]), requires_grad=True)
    calls = []

    def fn():
        calls.append(1)
        return (x * x).sum() if len(calls) == 1 else x.sum()

    with pytest.raises(ValueError, match="different graph"):
        run_check(fn, [])
