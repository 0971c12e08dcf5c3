"""The reverse-mode walk: ``backward`` and ``grad``.

The walk is iterative (no recursion, so a 100,000-op chain is fine). It visits nodes
newest first, so a node's gradient is complete when it is popped; each
gradient is dropped once consumed, and without ``retain_graph`` each node's closure (its
saved arrays) and parent links are released as soon as it has run. Unless ``create_graph``
is set, closures run with recording off on plain ndarrays (gradients and the parents'
``.data``), so first-order training pays nothing for the ability to differentiate twice;
under ``create_graph`` the same closures get Tensors and record the backward.
"""

from heapq import heappop, heappush

import numpy as np

from minigrad import grad_mode
from minigrad.ops import sum_to
from minigrad.tensor import Tensor, const


def _released(gy, *xs):
    raise RuntimeError(
        "backward: this part of the graph was already backpropagated and its saved "
        "buffers were freed; pass retain_graph=True to the first backward (or grad) "
        "call to backpropagate through it again"
    )


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

    ``grads`` maps node -> the gradient summed so far. Recorded nodes wait in a heap
    ordered newest first by their ``_version`` stamp: a node's consumers were all made after
    it, so each of them has run (and added its share) before the node is popped, and its
    gradient is complete. Leaves (nodes without a backward) are collected and finished at
    the end. Gradients are ndarrays in a first-order walk and Tensors under
    ``create_graph``; closures receive the parents' ``.data`` or the parents themselves
    to match.

    Along a chain the heap is empty when a node's only parent gets its first gradient: that
    parent is then all that is left to run, and everything that could add to its gradient
    (its consumers, all newer) has run, so it runs next with that gradient as it is
    (``follow``), skipping the dict and the heap.
    """
    grads = {}
    owned = set()
    heap = []
    leaves = []
    for r, g in zip(roots, root_grads):
        _add_grad(grads, owned, heap, leaves, r, r.data, g, create_graph)
    wanted = None if inputs is None else {id(x): None for x in inputs}
    kept = set()  # ids of the arrays handed out as .grad by this walk
    follow = None  # (node, gradient) to run next without the heap
    with grad_mode.set_grad_enabled(create_graph):
        while True:
            if follow is not None:
                node, g = follow
                follow = None
            elif heap:
                node = heappop(heap)[1]
                g = grads.pop(node)
            else:
                break
            if owned:
                owned.discard(id(g))  # handed to a closure or to .grad: it may be shared now
            if wanted is None:
                if node._retains_grad:
                    _keep_grad(node, g, create_graph, kept)
            elif id(node) in wanted:
                wanted[id(node)] = g
            backward = node._backward
            parents = node._parents
            if not retain_graph:
                node._backward = _released
                node._parents = ()
            stamp = node._version
            if len(parents) == 1:  # most nodes: no loop, no zip
                p = parents[0]
                pdata = p.data
                (gx,) = backward(g, p if create_graph else pdata)
                if p._version > stamp:
                    _stale(node)
                if gx is not None:  # _add_grad inlined: 0.1 us/op on bench_ops.py
                    if gx.shape != pdata.shape:
                        gx = sum_to(gx, pdata.shape)
                    if gx.dtype != pdata.dtype:
                        gx = gx.astype(pdata.dtype)
                    prev = grads.get(p)
                    if prev is not None:
                        grads[p] = _sum(owned, prev, gx, create_graph)
                    elif p._backward is None:
                        grads[p] = gx
                        leaves.append(p)
                    elif heap:
                        grads[p] = gx
                        heappush(heap, (-p._version, p))
                    else:  # p is all that is left to run, so gx is all it will get
                        follow = p, gx
            else:
                gxs = backward(g, *(parents if create_graph else [p.data for p in parents]))
                for p, gx in zip(parents, gxs):
                    if p._version > stamp:
                        _stale(node)
                    if gx is not None and p.requires_grad:
                        _add_grad(grads, owned, heap, leaves, p, p.data, gx, create_graph)
                gxs = gx = None  # hold no gradient past its use
        for leaf in leaves:
            g = grads.pop(leaf)
            if wanted is None:
                _keep_grad(leaf, g, create_graph, kept)
            elif id(leaf) in wanted:
                wanted[id(leaf)] = g
    if wanted is None:
        return None
    gs = [wanted[id(x)] for x in inputs]
    if create_graph:
        return tuple(gs)
    return tuple(None if g is None else const(np.asarray(g)) for g in gs)


def _stale(node):
    raise RuntimeError(
        f"backward: an input of '{node._op}' was modified in place (e.g. by an optimizer "
        "step) after the forward pass used it, so its saved value is stale; recompute the "
        "forward pass after the update"
    )


def _add_grad(grads, owned, heap, leaves, p, pdata, gx, create_graph):
    """Add one contribution ``gx`` into ``grads[p]``, reduced to ``p``'s shape and dtype;
    a node's first contribution puts it in the heap (or, for a leaf, on ``leaves``)."""
    if gx.shape != pdata.shape:
        gx = sum_to(gx, pdata.shape)
    if gx.dtype != pdata.dtype:
        gx = gx.astype(pdata.dtype)
    prev = grads.get(p)
    if prev is not None:
        grads[p] = _sum(owned, prev, gx, create_graph)
        return
    grads[p] = gx
    if p._backward is None:
        leaves.append(p)
    else:
        heappush(heap, (-p._version, p))


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


def _keep_grad(node, g, create_graph, kept):
    """Accumulate ``g`` into ``node.grad``. A first-order ``.grad`` owns a writable array,
    as in PyTorch: a read-only one (the seed of ones, a broadcast view from ``sum``'s
    backward) or one already kept as another tensor's ``.grad`` in this walk (``add`` sends
    the same array to both inputs; ``kept`` holds their ids) is copied. The usual fresh
    arrays are kept as they are."""
    if not create_graph:
        g = np.asarray(g)
        if not g.flags.writeable or id(g) in kept:
            g = g.copy()
        kept.add(id(g))
        g = const(g)
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
