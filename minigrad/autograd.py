"""The reverse-mode walk: ``backward`` and ``grad``.

The walk is iterative (no recursion, so a 100,000-op chain is fine). It visits nodes in
reverse topological order, so a node's gradient is complete when it is popped; each
gradient is dropped once consumed, and without ``retain_graph`` each node's closure (its
saved arrays) and parent links are released as soon as it has run. Backward closures run
with recording off unless ``create_graph`` is set, so first-order training pays nothing for
the ability to differentiate twice.
"""

import numpy as np

from minigrad import grad_mode
from minigrad.ops import sum_to
from minigrad.tensor import Tensor, const


def _released(gy):
    raise RuntimeError(
        "backward: this part of the graph was already backpropagated and its saved "
        "buffers were freed; pass retain_graph=True to the first backward (or grad) "
        "call to backpropagate through it again"
    )


def _post_order(roots):
    """Nodes reachable from ``roots`` through tensors that require grad, each after all of
    its parents (so popping from the end visits outputs first).

    Tensors go into the set themselves: their hash is their identity, and a set compares
    identity before ``==`` (which, on Tensors, is elementwise and never reached here)."""
    order = []
    seen = set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root._parents))]
        while stack:
            node, parents = stack[-1]
            for p in parents:
                if p.requires_grad and p not in seen:
                    seen.add(p)
                    if p._parents:
                        stack.append((p, iter(p._parents)))
                        break
                    order.append(p)  # a leaf: nothing to descend into
            else:
                stack.pop()
                order.append(node)
    return order


def _root_grad(root, gradient, where, create_graph):
    """The seed gradient: a Tensor under ``create_graph``, else a (read-only) ndarray."""
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


def _run(roots, root_grads, retain_graph, create_graph, inputs=None):
    """Propagate ``root_grads`` back; return the gradients of ``inputs`` if given.

    ``grads`` maps node -> the gradient summed so far; a node's entry is complete when it
    is popped, because every consumer of the node was visited before it. Gradients are
    ndarrays in a first-order walk and Tensors under ``create_graph``; closures receive the
    parents' ``.data`` or the parents themselves to match.
    """
    order = _post_order(roots)
    grads = {}
    owned = set()
    for r, g in zip(roots, root_grads):
        prev = grads.get(r)
        grads[r] = g if prev is None else _sum(owned, prev, g, create_graph)
    wanted = None if inputs is None else {id(x): None for x in inputs}
    with grad_mode.set_grad_enabled(create_graph):
        while order:  # popping drops each node, and its output array, once it has run
            node = order.pop()
            g = grads.pop(node, None)
            if g is None:
                continue
            if owned:
                owned.discard(id(g))  # handed to a closure or to .grad: it may be shared now
            backward = node._backward
            if wanted is None:
                if backward is None or node._retains_grad:
                    _keep_grad(node, g, create_graph)
            elif id(node) in wanted:
                wanted[id(node)] = g
            if backward is None:
                continue
            parents = node._parents
            if not retain_graph:
                node._backward = _released
                node._parents = ()
            if len(parents) == 1:  # most nodes: no loop, no zip
                p = parents[0]
                pdata = p.data
                (gx,) = backward(g, p if create_graph else pdata)
                version = p._version
                if gx is not None:  # _add_grad, inlined on this hottest path
                    if gx.shape != pdata.shape:
                        gx = sum_to(gx, pdata.shape)
                    if gx.dtype != pdata.dtype:
                        gx = gx.astype(pdata.dtype)
                    prev = grads.get(p)
                    grads[p] = gx if prev is None else _sum(owned, prev, gx, create_graph)
            else:
                gxs = backward(g, *(parents if create_graph else [p.data for p in parents]))
                version = 0
                for p, gx in zip(parents, gxs):
                    version += p._version
                    if gx is not None and p.requires_grad:
                        _add_grad(grads, owned, p, p.data, gx, create_graph)
                gxs = gx = None  # hold no gradient past its use
            if version != node._version:
                raise RuntimeError(
                    f"backward: an input of '{node._op}' was modified in place (e.g. by an "
                    "optimizer step) after the forward pass used it, so its saved value is "
                    "stale; recompute the forward pass after the update"
                )
    if wanted is None:
        return None
    gs = [wanted[id(x)] for x in inputs]
    if create_graph:
        return tuple(gs)
    return tuple(None if g is None else const(np.asarray(g)) for g in gs)


def _add_grad(grads, owned, p, pdata, gx, create_graph):
    """Add one contribution ``gx`` into ``grads[p]``, reduced to ``p``'s shape and dtype."""
    if gx.shape != pdata.shape:
        gx = sum_to(gx, pdata.shape)
    if gx.dtype != pdata.dtype:
        gx = gx.astype(pdata.dtype)
    prev = grads.get(p)
    grads[p] = gx if prev is None else _sum(owned, prev, gx, create_graph)


def _sum(owned, prev, g, create_graph):
    """``prev + g``, the gradient summed so far plus one more contribution.

    A closure may return the same array to two parents (``add`` returns ``gy`` twice), so
    a first contribution is never written into. The first sum is a fresh array that only
    the engine holds (listed in ``owned`` until it is handed on); later contributions are
    added into it in place, unless the sum itself is being recorded (``create_graph``).
    """
    if id(prev) in owned:
        np.add(prev, g, out=prev)
        return prev
    total = prev + g
    if not create_graph and type(total) is np.ndarray and total.flags.writeable:
        owned.add(id(total))
    return total


def _keep_grad(node, g, create_graph):
    if not create_graph:
        g = const(np.asarray(g))  # a fresh leaf wrapper: .grad tensors never share an object
    node.grad = g if node.grad is None else node.grad + g


def backward(root, gradient=None, retain_graph=False, create_graph=False):
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
    g = _root_grad(root, gradient, "backward", create_graph)
    _run([root], [g], retain_graph or create_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False):
    """Return d(outputs)/d(inputs) as a tuple, like ``torch.autograd.grad``.

    ``.grad`` attributes are left untouched. An input that the outputs do not depend on
    gets ``None``. With ``create_graph=True`` the returned gradients are themselves part
    of a graph and can be differentiated again (Hessian-vector products).
    """
    single_out = isinstance(outputs, Tensor)
    outputs = [outputs] if single_out else list(outputs)
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
    return _run(outputs, gs, retain, create_graph, inputs)
