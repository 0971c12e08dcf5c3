"""The backward-pass explorer: one backward pass of the engine, shown step by step.

`explore(loss)` runs the engine's own walk (`autograd.trace_backward`: the real order,
the real arrays, the graph kept and no `.grad` touched) and turns it into a page:

- the graph, laid out by graphviz (an SVG), every node with its op, shape and forward value,
  the parameters named as the model names them (`minigrad.viz.names`);
- each step of the walk in the engine's order: the node processed, the gradient arriving at
  it, its op's local derivative rule (the op's docstring, `minigrad.viz.rules`), and the
  gradient it sends to each parent, with broadcast reductions and accumulation (`+=`
  into a parent that feeds several consumers) shown as such;
- at the end, the leaves' gradients: what `backward()` puts in `.grad`;
- controls to step forward and back, jump to a node, and play;
- with `explore(fn, *inputs, check=True)`, a numerical check of every node's backward
  (`minigrad.viz.node_check`), colouring the nodes that disagree.

The page is one HTML file with the SVG, the trace as JSON and a small hand-written script
(`explorer.js` beside this file) inside it: no CDN, no server, it opens offline. In
Jupyter the explorer displays itself (in an iframe, so several on one notebook keep apart).
Array values are summarised: all entries up to 24, else shape, mean, min, max and the first
few entries.
"""

import html
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from minigrad import autograd, grad_mode
from minigrad.autograd import Step
from minigrad.ops.shape import summed_axes
from minigrad.tensor import Tensor
from minigrad.viz import graph, pages, rules
from minigrad.viz.names import UNNAMED_NOTE, Params, kind_and_title, leaf_names
from minigrad.viz.node_check import check_nodes

__all__ = ["Explorer", "explore"]

FULL_VALUES = 24  # arrays up to this size show every entry
HEAD_VALUES = 6  # larger ones show their first few
_TITLES = re.compile(r"<title>[^<]*</title>\n?")
UNTRUSTED_NOTE = (
    "The backward-pass explorer is hidden because this output is not trusted: run the cell "
    "to see it (or open the page saved with explore(...).save(path))."
)


class Explorer:
    """A recorded backward pass. Displays itself in Jupyter; `save(path)` writes the
    self-contained page. `trace` is the data the page shows (a JSON-ready dict)."""

    height = 640  # pixels of the inline display

    def __init__(self, trace: dict[str, Any], svg: str, title: str) -> None:
        self.trace = trace
        self.svg = svg
        self.title = title

    def html(self) -> str:
        """The whole page as one string."""
        data = json.dumps(self.trace, separators=(",", ":"))
        return pages.fill("explorer", self.title, data, svg=self.svg)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to `path` (atomically) and return it as a `Path`."""
        return pages.write(self.html(), path)

    def _repr_html_(self) -> str:
        # The text inside the iframe never shows where the iframe does. JupyterLab drops
        # iframes from outputs it does not trust (a notebook saved on another machine, until
        # its cells run) and keeps their text: then the learner reads what to do, not a gap.
        return (
            f'<iframe srcdoc="{html.escape(self.html(), quote=True)}" '
            f'style="width: 100%; height: {self.height}px; border: 1px solid #ccc" '
            f'title="{html.escape(self.title, quote=True)}">{UNTRUSTED_NOTE}</iframe>'
        )


def explore(
    output: Tensor | Callable[..., Tensor],
    *inputs: Any,
    gradient: Any = None,
    params: Params = None,
    check: bool = False,
    eps: float = 1e-6,
    title: str | None = None,
) -> Explorer:
    """Record one backward pass of `output` and return an `Explorer` showing it.

    Args:
        output: a Tensor whose graph is intact (not yet backpropagated, or kept with
            `retain_graph=True`), or a function; `explore(fn, *inputs)` calls
            `fn(*inputs)` to get it, which `check` needs.
        gradient: dL/d(output) for a non-scalar output (as in `backward`).
        params: names for tensors, over the parameter names found in the models alive
            (`0.weight`): a module, a dict name -> tensor or (name, tensor) pairs.
        check: check every node's backward numerically (needs `fn`; it is run twice more
            with the leaves moved by `eps`; see `minigrad.viz.node_check`).
        title: the page's title.

    Nothing is changed: no `.grad`, and the graph is kept. Needs graphviz (the Python
    package and the `dot` program) for the layout.
    """
    fn = None
    if callable(output) and not isinstance(output, Tensor):
        fn = output
        with grad_mode.enable_grad():
            output = fn(*inputs)
    elif inputs:
        raise TypeError("explore: extra arguments are inputs for explore(fn, *inputs)")
    if not isinstance(output, Tensor):
        raise TypeError(f"explore: expected a Tensor or a function, got {type(output).__name__}")
    if check and fn is None:
        raise ValueError(
            "explore(check=True) runs the forward again, so it needs the function that "
            "computes the output: explore(fn, *inputs, check=True), for example "
            "explore(lambda: F.cross_entropy(model(x), y), params=model, check=True)"
        )
    steps = autograd.trace_backward(output, gradient)
    order = autograd.graph_nodes(output)
    checks = check_nodes(fn, inputs, order, steps, eps) if check and fn is not None else {}
    layout = graph._layout(output, params, False, False, graph.VANISHING_GRAD_NORM)
    trace = _trace(order, steps, leaf_names(order, params), checks)
    title = title or f"Backward pass of {output.op or 'a leaf'} {graph._shape(output.shape)}"
    return Explorer(trace, _svg(layout, order), title)


def _trace(
    order: list[Tensor],
    steps: list[Step],
    names: dict[int, str],
    checks: dict[int, dict[str, Any]],
) -> dict[str, Any]:
    """The JSON-ready data of the page: nodes, steps, leaves, check results and a note on
    naming when some parameter has no name."""
    ids = {id(t): f"n{i}" for i, t in enumerate(order)}
    edges = _edge_ids(order)
    totals: dict[int, np.ndarray] = {}  # id(parent) -> gradient summed so far, for each +=
    walk = []
    for step in steps:
        sends = []
        for send, edge in zip(step.sends, _send_edges(step, edges)):
            grad = np.asarray(send.grad)
            key = id(send.parent)
            total = totals[key] + grad if key in totals else grad
            totals[key] = total
            raw_shape = tuple(np.shape(send.raw))
            sends.append(
                {
                    "parent": ids[key],
                    "edge": edge,
                    "raw": _summary(send.raw),
                    "grad": _summary(grad),
                    "summed": list(summed_axes(raw_shape, grad.shape)),
                    "accumulated": bool(send.accumulated),
                    "total": _summary(total) if send.accumulated else None,
                }
            )
        walk.append({"node": ids[id(step.node)], "grad": _summary(step.grad), "sends": sends})
    return {
        "nodes": [_node(t, ids[id(t)], names.get(id(t))) for t in order],
        "steps": walk,
        "leaves": [ids[id(s.node)] for s in steps if s.node.is_leaf],
        "check": {ids[k]: _numbers(v) for k, v in checks.items()},
        "note": UNNAMED_NOTE if any(_unnamed(t, names) for t in order) else "",
    }


def _unnamed(t: Tensor, names: dict[int, str]) -> bool:
    return t.is_leaf and t.requires_grad and id(t) not in names


def _node(t: Tensor, node_id: str, name: str | None) -> dict[str, Any]:
    kind, title = kind_and_title(t, name)
    fn = rules.op_function(t)
    return {
        "id": node_id,
        "title": title,
        "kind": kind,
        "op": t.op,
        "name": name or "",
        "value": _summary(t.data),
        "doc": rules.summary_of(fn) if fn else "",
        "rule": rules.rule_of(fn) if fn else "",
        "source": f"{fn.__module__}.{fn.__qualname__}" if fn else "",
    }


def _edge_ids(order: list[Tensor]) -> dict[tuple[int, int], str]:
    """(id(node), parent position) -> the SVG id of that edge, in `graph._layout`'s order."""
    ids, k = {}, 0
    for t in order:
        for j in range(len(t.parents)):
            ids[id(t), j] = f"e{k}"
            k += 1
    return ids


def _send_edges(step: Step, edges: dict[tuple[int, int], str]) -> Iterator[str]:
    """The edge of each send: sends follow the node's parents in order, skipping parents
    that get no gradient; a parent used twice (`x * x`) gets one send per edge."""
    parents = step.node.parents
    j = 0
    for send in step.sends:
        while parents[j] is not send.parent:
            j += 1
        yield edges[id(step.node), j]
        j += 1


def _svg(layout: graph.Layout, order: list[Tensor]) -> str:
    graph_attrs, nodes, edges = layout
    graph_attrs = dict(graph_attrs)
    graph_attrs.pop("label", None)  # the drawing's note: the page says it below the graph
    nodes = [(name, dict(attrs, id=name)) for name, attrs in nodes]
    edges = [(a, b, dict(attrs, id=f"e{k}")) for k, (a, b, attrs) in enumerate(edges)]
    svg = graph._pipe(graph._dot_text(graph_attrs, nodes, edges), "svg", "explore").decode()
    return _TITLES.sub("", svg[svg.index("<svg") :])  # hovering would show "n3"


def _summary(a: Any) -> dict[str, Any]:
    """Shape, dtype and every entry of a small array; else mean, min, max, first entries."""
    a = np.asarray(a)
    flat = a.reshape(-1)
    out: dict[str, Any] = {"shape": list(a.shape), "dtype": str(a.dtype)}
    if flat.size <= FULL_VALUES:
        out["values"] = [_number(v) for v in flat]
        return out
    values = flat.astype(np.float64)
    finite = values[np.isfinite(values)]
    out["head"] = [_number(v) for v in flat[:HEAD_VALUES]]
    out["size"] = int(flat.size)
    out["nonfinite"] = int(flat.size - finite.size)
    if finite.size:
        out.update(mean=_number(finite.mean()), min=_number(finite.min()))
        out.update(max=_number(finite.max()))
    return out


def _number(v: Any) -> float | str:
    """A float for JSON, to 7 significant digits (float32's); NaN and inf as strings."""
    v = float(v)
    return float(f"{v:.7g}") if np.isfinite(v) else str(v)


def _numbers(result: dict[str, Any]) -> dict[str, Any]:
    return {k: _number(v) if isinstance(v, float) else v for k, v in result.items()}
