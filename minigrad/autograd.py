"""The reverse-mode walk behind `backward`, `grad` and `trace_backward`.

Order: `record` stamps every node it makes from one global counter (`Tensor._stamp`),
so a node's inputs always carry older stamps than the node. The walk keeps the nodes waiting
to run in a heap, newest stamp first. When a node is popped, every node that consumed it is
newer and has already run and sent it its share, so its gradient is complete. No topological
sort is needed, and nothing recurses: a 100,000-op chain is fine.

Freeing: a node's gradient leaves the walk when the node runs, and (without
`retain_graph`) so do its closure, with the arrays it saved, and its links to its parents;
the activations are garbage-collected during the walk, not after it.

Broadcasting is undone in one place, `send`, with `minigrad.axes.sum_to` (which uses only
`g.sum` and `g.reshape`, so it works on ndarrays and, recording, on Tensors alike): the engine
depends on the Tensor, never on the op library.

Modes: a first-order walk runs each closure with recording off on plain ndarrays (the
gradient and the parents' `.data`), so training pays nothing for the ability to
differentiate twice; under `create_graph` the same closures get Tensors and record.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heappop, heappush
from operator import attrgetter
from typing import Any, NamedTuple

import numpy as np

from minigrad import grad_mode
from minigrad.axes import sum_to
from minigrad.tensor import Tensor, const

__all__ = [
    "Send",
    "Step",
    "backward",
    "grad",
    "graph_nodes",
    "is_freed",
    "local_grads",
    "op_backward",
    "trace_backward",
]


class _Walk:
    """The state of one walk.

    `grads` maps each node reached so far to its gradient summed so far; `waiting` is a
    heap of `(-stamp, node)` for the reached nodes that have a backward; `leaves` lists
    the reached leaves in the order reached; `sums` holds the nodes whose gradient is a sum
    this walk made (a fresh array no one else holds, so further shares go into it in place).
    """

    def __init__(self) -> None:
        self.grads: dict[Tensor, Any] = {}
        self.waiting: list[tuple[int, Tensor]] = []
        self.leaves: list[Tensor] = []
        self.sums: set[Tensor] = set()
        self.handed_out: set[int] = set()  # ids of the arrays this walk made some tensor's .grad

    def seed(self, roots: Sequence[Tensor], root_grads: Sequence[Any]) -> None:
        """Start the walk: each root receives its given gradient."""
        for root, g in zip(roots, root_grads):
            self.send(root, g)

    def send(self, node: Tensor, g: Any) -> Any:
        """Add `g`, one share of d(root)/d(node), into `node`'s gradient, first summed
        over the axes broadcasting added (`sum_to`) and cast to `node`'s dtype.
        Returns the share as added."""
        g = _fit(g, node._data)
        total = self.grads.get(node)
        if total is None:  # a first share may be shared (add sends gy to both inputs)
            self.grads[node] = g
            if node._backward is None:
                self.leaves.append(node)
            else:
                heappush(self.waiting, (-node._stamp, node))
        elif node in self.sums:
            np.add(total, g, out=total)
        else:
            total = self.grads[node] = total + g
            if type(total) is np.ndarray:  # not a Tensor (create_graph) nor a 0-d scalar
                self.sums.add(node)
        return g

    def keep_grad(self, node: Tensor, g: Any) -> None:
        """Accumulate `g` into `node.grad`. A first-order `.grad` owns a writable array,
        as in PyTorch: a read-only one (the seed of ones, a broadcast view from `sum`'s
        backward) or one already handed to another tensor in this walk is copied."""
        if type(g) is not Tensor:
            g = np.asarray(g)
            if not g.flags.writeable or id(g) in self.handed_out:
                g = g.copy()
            self.handed_out.add(id(g))
            g = const(g)
        node.grad = g if node.grad is None else node.grad + g

    def ran(self, node: Tensor, g: Any) -> None:
        """Called after `node` ran with gradient `g`; only a traced walk listens."""


_data_of = attrgetter("_data")  # a parent's array, without a list comprehension's frame


def _fit(g: Any, data: np.ndarray) -> Any:
    """`g` summed over the axes broadcasting added (`sum_to`) and cast to `data`'s dtype.

    A gradient comes in its input's shape or in a broadcast of it, so the same number of
    axes and elements means the same shape (`.shape` builds a tuple; these are ints).
    """
    if g.ndim != data.ndim or g.size != data.size or not g.size:
        g = sum_to(g, data.shape)
    if g.dtype is not data.dtype and g.dtype != data.dtype:
        g = g.astype(data.dtype)
    return g


def _run(
    walk: _Walk,
    roots: Sequence[Tensor],
    root_grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    wanted: dict[Tensor, Any] | None = None,
) -> None:
    """Propagate `root_grads` from `roots` back to the leaves.

    Without `wanted`, leaves (and nodes that called `retain_grad`) accumulate their
    gradient into `.grad`; with it (a dict keyed by tensor), the gradients of its keys
    are stored in it instead and no `.grad` changes.
    """
    walk.seed(roots, root_grads)
    grads, waiting, send = walk.grads, walk.waiting, walk.send
    traced = type(walk) is not _Walk
    node: Tensor | None = None
    with grad_mode.set_grad_enabled(create_graph):
        while node is not None or waiting:
            if node is None:
                node = heappop(waiting)[1]
                g = grads.pop(node)
            if wanted is None:
                if node._retains_grad:
                    walk.keep_grad(node, g)
            elif node in wanted:
                wanted[node] = g
            chain_rule, parents = node._backward, node._parents
            assert chain_rule is not None  # only nodes wait
            if not retain_graph:
                node._backward, node._parents = _released, ()
            # Most nodes have one parent: no list, no zip. And when this node is the only
            # one that has sent to it and it is newer than every waiting node (a chain),
            # the parent runs next without going through `grads` and the heap, its gradient
            # at most cast (`_fit`'s shape check is for broadcasting, which takes two
            # inputs). Together they buy 0.7 us/op on the row "100 elementwise ops on 4x4"
            # of run_all.py, and skipping the shape check 0.12 us/op more.
            next_node = None
            if len(parents) == 1:
                p = parents[0]
                (gx,) = chain_rule(g, p if create_graph else p._data)
                if p._stamp > node._stamp:
                    _stale(node)
                if gx is not None and (
                    p._backward is None
                    or traced
                    or p in grads
                    or (waiting and p._stamp < -waiting[0][0])
                ):
                    send(p, gx)
                elif gx is not None:
                    cast = gx.dtype is not p._data.dtype
                    next_node, next_g = p, _fit(gx, p._data) if cast else gx
            else:
                gxs = chain_rule(g, *(parents if create_graph else map(_data_of, parents)))
                for p, gx in zip(parents, gxs):
                    if p._stamp > node._stamp:
                        _stale(node)
                    if gx is not None and p.requires_grad:
                        send(p, gx)
            if traced:
                walk.ran(node, g)
            if next_node is not None:
                node, g = next_node, next_g
            else:
                node = None
        for leaf in walk.leaves:
            g = walk.grads.pop(leaf)
            if wanted is None:
                walk.keep_grad(leaf, g)
            elif leaf in wanted:
                wanted[leaf] = g
            if traced:
                walk.ran(leaf, g)


def _released(gy: Any, *xs: Any) -> tuple[Any, ...]:
    raise RuntimeError(
        "backward: this part of the graph was already backpropagated and its saved "
        "buffers were freed; pass retain_graph=True to the first backward (or grad) "
        "call to backpropagate through it again"
    )


def _stale(node: Tensor) -> None:
    raise RuntimeError(
        f"backward: an input of '{node._op}' was modified in place (e.g. by an optimizer "
        "step, x.data = ..., x.data += ... or x -= ...) after the forward pass used it, so "
        "its saved value is stale; recompute the forward pass after the update"
    )


def _root_grad(root: Any, gradient: Any, where: str, create_graph: bool) -> Any:
    """The seed gradient: a Tensor under `create_graph`, else a (read-only) ndarray."""
    if not isinstance(root, Tensor):
        raise TypeError(f"{where}: expected a Tensor output, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(
            f"{where}: the output does not require grad (no input it depends on has "
            "requires_grad=True, or it was computed under mg.no_grad())"
        )
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"{where}: a gradient is needed for a non-scalar output of shape "
                f"{root.shape}; pass gradient=<array of that shape>, or reduce first "
                "(e.g. out.sum().backward())"
            )
        g = np.ones_like(root.data)
        g.setflags(write=False)
        return Tensor(g) if create_graph else g
    g = gradient if isinstance(gradient, Tensor) else Tensor(np.asarray(gradient))
    if g.shape != root.shape:
        raise ValueError(
            f"{where}: gradient has shape {g.shape} but the output has shape {root.shape}"
        )
    return g if create_graph else g.data


def backward(
    root: Tensor, gradient: Any = None, retain_graph: bool = False, create_graph: bool = False
) -> None:
    """Accumulate d(root)/d(leaf) into `leaf.grad` for every leaf that requires grad."""
    g = _root_grad(root, gradient, "backward", create_graph)
    _run(_Walk(), [root], [g], retain_graph or create_graph, create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> tuple[Tensor | None, ...]:
    """Return d(outputs)/d(inputs) as a tuple, like `torch.autograd.grad`.

    `.grad` attributes are left untouched. An input that the outputs do not depend on
    gets `None`. With `create_graph=True` the returned gradients are themselves part
    of a graph and can be differentiated again (Hessian-vector products).
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor | np.ndarray):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs were given"
        )
    for x in inputs:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError("grad: every input must be a Tensor that requires grad")
    gs = [_root_grad(o, g, "grad", create_graph) for o, g in zip(outputs, grad_outputs)]
    retain = create_graph if retain_graph is None else retain_graph
    wanted = dict.fromkeys(inputs)
    _run(_Walk(), outputs, gs, retain, create_graph, wanted)
    found = [wanted[x] for x in inputs]
    if create_graph:
        return tuple(found)
    return tuple(None if g is None else const(np.asarray(g)) for g in found)


class Send(NamedTuple):
    """One gradient a node sent to a parent during a traced walk.

    `raw` is what the op's backward returned (in the op's output shape when it
    broadcast); `grad` is `raw` summed back to the parent's shape and cast to its dtype,
    the share actually added; `accumulated` is True when the parent already held a share
    from earlier in the walk (this one is added to it), False for its first share.
    """

    parent: Tensor
    raw: np.ndarray
    grad: np.ndarray
    accumulated: bool


class Step(NamedTuple):
    """One node processed by a traced walk: the tensor, dL/d(node) (complete when it ran)
    and the gradients it sent to its parents (`()` for leaves)."""

    node: Tensor
    grad: np.ndarray
    sends: tuple[Send, ...]


class _TracedWalk(_Walk):
    """A walk that also reports each step (see `trace_backward`)."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[Step] = []
        self.sends: list[Send] = []

    def seed(self, roots: Sequence[Tensor], root_grads: Sequence[Any]) -> None:
        super().seed(roots, root_grads)
        self.sends.clear()  # the seeds are no node's sends

    def send(self, node: Tensor, g: Any) -> Any:
        accumulated = node in self.grads
        added = super().send(node, g)
        self.sends.append(Send(node, g, added, accumulated))
        return added

    def ran(self, node: Tensor, g: Any) -> None:
        self.steps.append(Step(node, g, tuple(self.sends)))
        self.sends.clear()


def trace_backward(root: Tensor, gradient: Any = None) -> list[Step]:
    """Run the engine's walk from `root` and return what it did, step by step.

    A first-order walk with the graph retained and every `.grad` left untouched: the
    same code as `root.backward(gradient)`, which reports each node it processes, in
    the order it processes them, then the leaves reached (each with `sends == ()`).
    Returns a list of `Step(node, grad, sends)`, each send a
    `Send(parent, raw, grad, accumulated)`.
    """
    g = _root_grad(root, gradient, "trace_backward", create_graph=False)
    walk = _TracedWalk()
    _run(walk, [root], [g], retain_graph=True, create_graph=False, wanted={})
    return walk.steps


def is_freed(node: Tensor) -> bool:
    """True when a `backward` without `retain_graph` already ran through `node` and
    released its saved arrays (so its graph cannot be walked again)."""
    return node._backward is _released


def op_backward(node: Tensor) -> Any:
    """The backward closure the op recorded at `node` (the `def backward(gy, ...)`
    inside the op's function), or None for a leaf. Once a `backward` without
    `retain_graph` has freed the node, a function that raises (see `is_freed`)."""
    return node._backward


def local_grads(node: Tensor, gy: Any) -> tuple[Any, ...]:
    """The op's own chain rule at `node`: its backward applied to `gy` (shaped like
    the node) and the parents' current values, first order, recording nothing. One
    gradient (or None) per parent, in the op's output shape where it broadcast."""
    if node.is_leaf or is_freed(node):
        raise RuntimeError("local_grads: the node has no backward (a leaf, or freed)")
    backward = node._backward
    assert backward is not None
    with grad_mode.no_grad():
        return backward(np.asarray(gy), *[p.data for p in node._parents])


def graph_nodes(root: Tensor) -> list[Tensor]:
    """Every tensor reachable from `root` through `.parents`, each after its parents,
    in a fixed order (depth first, parents in the order the op lists them)."""
    order = []
    seen = {id(root)}
    stack = [(root, iter(root._parents))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, iter(p._parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order
