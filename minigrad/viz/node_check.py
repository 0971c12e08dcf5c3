"""A numerical check of every node's backward, from two extra runs of the forward.

A node y = f(x_1, ..., x_k) is right when its backward, given the gradient `gy` that
arrives, sends each parent `g_i = J_i^T gy`. For any small change of the inputs that moves
each `x_i` by `dx_i` and `y` by `dy`, this means

    <gy, dy> = sum_i <g_i, dx_i>        (the dot-product test of a vector-Jacobian product)

The check makes such a change for every node at once: it runs the user's function again
with each leaf that requires grad moved to `leaf + h v` and to `leaf - h v` (`v` a fixed
random direction; in float64), and takes `dy = (y(+h) - y(-h)) / 2h` at every node, a
central difference of that node's forward along the way its inputs moved. `gy` and the
`g_i` are the ones the explorer's trace recorded, so the node's real backward is tested
with the gradient that really reached it, and only that node: an error upstream changes
`gy` but not whether the identity holds. The two sides are compared by their relative
error and read with cs231n's thresholds (`minigrad.model_gradcheck.verdict`); in a float32
trace, where `gy` and `g_i` carry float32 round-off, an error below 1e-4 reads "good for
float32". The engine pays nothing: the check only re-runs the forward.

The function must rebuild the same graph each time and be deterministic (no dropout in
training mode); a constant input that changes between runs (a detached copy of a leaf)
breaks the identity, so such a node is reported as not checked.
"""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minigrad import grad_mode
from minigrad.autograd import Step, graph_nodes
from minigrad.model_gradcheck import verdict
from minigrad.tensor import Tensor


def check_nodes(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any],
    order: list[Tensor],
    steps: list[Step],
    eps: float = 1e-6,
    seed: int = 0,
) -> dict[int, dict[str, Any]]:
    """{id(node): result dict} for every op node of `steps`; see the module docstring.

    `order` is `graph_nodes(output)` of the traced run. A result holds `lhs`
    (<gy, dy>), `rhs` (sum of <g_i, dx_i>), `rel_error` and `verdict`, or a `note`
    saying why the node was not checked.
    """
    leaves = [t for t in order if t.is_leaf and t.requires_grad]
    rng = np.random.default_rng(seed)
    moves = [rng.standard_normal(t.shape) * max(1.0, _rms(t.data)) for t in leaves]
    plus, minus = (_run_moved(fn, inputs, leaves, moves, s * eps, order) for s in (1, -1))
    tangent = {id(t): (p - m) / (2 * eps) for t, p, m in zip(order, plus, minus)}
    _check_same_function(order, plus, minus)
    results = {}
    for step in steps:
        if not step.node.is_leaf:
            results[id(step.node)] = _dot_test(step, tangent, verdict)
    return results


def _dot_test(
    step: Step, tangent: dict[int, np.ndarray], verdict: Callable[[float], str]
) -> dict[str, Any]:
    node = step.node
    sent = {id(s.parent) for s in step.sends}
    moved = [p for p in node.parents if id(p) not in sent and np.any(tangent[id(p)])]
    if moved:
        return {"note": "not checked: an input that gets no gradient changed between runs"}
    lhs = _dot(step.grad, tangent[id(node)])
    rhs = sum(_dot(s.grad, tangent[id(s.parent)]) for s in step.sends)
    scale = _norm(step.grad) * _norm(tangent[id(node)])
    scale += sum(_norm(s.grad) * _norm(tangent[id(s.parent)]) for s in step.sends)
    if not np.isfinite(lhs + rhs):
        return {"lhs": lhs, "rhs": rhs, "rel_error": float("nan"), "verdict": "wrong"}
    if max(abs(lhs), abs(rhs)) <= 1e-12 * scale or scale == 0.0:
        return {"lhs": lhs, "rhs": rhs, "note": "not checked: no gradient reaches this node"}
    rel = abs(lhs - rhs) / max(abs(lhs), abs(rhs))
    label = verdict(rel)
    dtype = np.asarray(step.grad).dtype
    if label == "ok for kinks" and dtype.itemsize < 8:  # the trace's own round-off
        label = f"good for {dtype}"
    return {"lhs": lhs, "rhs": rhs, "rel_error": rel, "verdict": label}


def _run_moved(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any],
    leaves: list[Tensor],
    moves: list[np.ndarray],
    step: float,
    order: list[Tensor],
) -> list[np.ndarray]:
    """Values (float64) of every node of `fn(*inputs)` with each leaf moved by step * v."""
    saved = [t.data for t in leaves]
    try:
        for t, v in zip(leaves, moves):
            t.data = t.data.astype(np.float64) + step * v
        with grad_mode.enable_grad():
            out = fn(*inputs)
        if not isinstance(out, Tensor):
            raise TypeError(f"explore: fn returned {type(out).__name__}, not a Tensor")
        nodes = graph_nodes(out)
        if [t.op for t in nodes] != [t.op for t in order] or any(
            a.shape != b.shape for a, b in zip(nodes, order)
        ):
            raise ValueError(
                "explore(check=True): fn built a different graph when run again with its "
                "inputs moved slightly; the check needs the same ops on the same shapes"
            )
        return [np.asarray(t.data, dtype=np.float64) for t in nodes]  # leaves still moved
    finally:
        for t, data in zip(leaves, saved):
            t.data = data


def _check_same_function(
    order: list[Tensor], plus: list[np.ndarray], minus: list[np.ndarray]
) -> None:
    """The midpoint of the two moved runs must match the traced values (to float32
    accuracy); if not, `fn` is random (dropout in training mode) or keeps state."""
    for t, p, m in zip(order, plus, minus):
        value = np.asarray(t.data, dtype=np.float64)
        mid = (p + m) / 2
        scale = max(1.0, _rms(value))
        if not np.allclose(mid, value, rtol=1e-3, atol=1e-3 * scale, equal_nan=True):
            raise ValueError(
                f"explore(check=True): running fn again gave different values at "
                f"'{t.op or 'a leaf'}' {t.shape}; make it deterministic (model.eval() for "
                "dropout, a fixed seed) so that its nodes can be compared between runs"
            )


def _dot(a: Any, b: Any) -> float:
    return float(np.vdot(np.asarray(a, dtype=np.float64), b))


def _norm(a: Any) -> float:
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64).reshape(-1)))


def _rms(a: Any) -> float:
    a = np.asarray(a, dtype=np.float64)
    return float(np.sqrt(np.mean(a * a))) if a.size else 0.0
