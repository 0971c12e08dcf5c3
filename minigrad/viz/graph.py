"""Drawings of the computation graph behind a tensor: DOT text, graphviz objects, files.

`to_dot(loss)` needs nothing beyond NumPy; `draw_graph` needs the `graphviz` Python
package and `render` also the `dot` program. One box per tensor:

- an op's output: the op's name, output shape and dtype;
- a leaf that requires grad (green): its name in the model that holds it (`0.weight`) or in
  `params`, else "parameter" (see `minigrad.viz.names`);
- a leaf that does not: "data", drawn grey and dashed (no gradient flows into it).

With `show_grad` each tensor that requires grad shows the norm of d(root)/d(tensor):
`.grad` where it is set (leaves after backward, tensors that called `retain_grad`);
otherwise, while the graph is intact (a fresh graph, or one kept by
`backward(retain_graph=True)`), the drawing computes it with `mg.grad(root, ...,
retain_graph=True)`, which leaves every `.grad` and the graph as they were. A plain
`backward()` frees the graph, so only the root is left to draw (the drawing says so).

Highlighted: NaN or inf in a value or gradient (red), and a vanishing gradient, one whose
norm is below `vanishing` (default `VANISHING_GRAD_NORM = 1e-6`; orange). An edge into
an op whose gradient is summed back over broadcast axes (`sum_to` in the engine) says
which axes of the op's output. Node ids follow a fixed walk of `.parents`, so the same
graph draws the same text twice; the walk is iterative, so deep graphs are fine.
"""

from __future__ import annotations

import html
import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import autograd
from minigrad.autograd import graph_nodes
from minigrad.ops.shape import summed_axes
from minigrad.tensor import Tensor
from minigrad.viz.names import UNNAMED_NOTE, Params, kind_and_title, leaf_names

if TYPE_CHECKING:
    import graphviz

Attrs = dict[str, str]
Rows = list[tuple[str, dict[str, Any]]]  # label lines: (text, font attributes)
Layout = tuple[Attrs, list[tuple[str, Attrs]], list[tuple[str, str, Attrs]]]

__all__ = [
    "VANISHING_GRAD_NORM",
    "DotNotFoundError",
    "draw_graph",
    "graph_nodes",
    "render",
    "to_dot",
]

VANISHING_GRAD_NORM = 1e-6

# Ops whose backward returns gradients in the broadcast output shape (summed back by the
# engine); matmul broadcasts its batch axes the same way.
_BROADCASTING_OPS = frozenset(
    {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "where", "matmul"}
)

_GRAPH_ATTR = {"rankdir": "TB", "nodesep": "0.25", "ranksep": "0.3", "fontname": "Helvetica"}
_NODE_ATTR = {"shape": "box", "style": "rounded,filled", "fontname": "Helvetica"}
_NODE_ATTR.update(fontsize="10", margin="0.1,0.04", color="#5f6b7a")
_EDGE_ATTR = {"fontname": "Helvetica", "fontsize": "9", "color": "#5f6b7a"}
_FILL = {"op": "#dde8f7", "param": "#d4efd4", "data": "#f0f0f0"}
_BAD, _FADED = "#f4a3a3", "#ffd98a"
_RED_FONT = {"color": "#b00000", "b": True}


class DotNotFoundError(RuntimeError):
    """Raised by `render` when graphviz's `dot` program is not installed."""


def to_dot(
    root: Tensor,
    params: Params = None,
    show_data: bool = False,
    show_grad: bool = True,
    *,
    vanishing: float = VANISHING_GRAD_NORM,
) -> str:
    """DOT source of the graph that produced `root` (see the module docstring).

    Args:
        root: the output tensor, usually a scalar loss.
        params: names for tensors, over those found in the models alive: a module, a dict
            name -> tensor (`{"w": w}`) or an iterable of (name, tensor) pairs.
        show_data: add each tensor's values (up to 4 elements) or mean/std/min/max.
        show_grad: add each gradient's norm (see the module docstring).
        vanishing: gradient norms below this are highlighted as vanishing.
    """
    return _dot_text(*_layout(root, params, show_data, show_grad, vanishing))


def _dot_text(
    graph: Attrs, nodes: list[tuple[str, Attrs]], edges: list[tuple[str, str, Attrs]]
) -> str:
    """DOT source of a `_layout` result."""
    lines = ["digraph minigrad {"]
    lines.append(f"  graph [{_attrs(graph)}];")
    lines.append(f"  node [{_attrs(_NODE_ATTR)}];")
    lines.append(f"  edge [{_attrs(_EDGE_ATTR)}];")
    lines += [f"  {name} [{_attrs(a)}];" for name, a in nodes]
    lines += [f"  {tail} -> {head}{_edge_attrs(a)};" for tail, head, a in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_graph(
    root: Tensor,
    params: Params = None,
    show_data: bool = False,
    show_grad: bool = True,
    *,
    vanishing: float = VANISHING_GRAD_NORM,
) -> graphviz.Digraph:
    """The drawing of `to_dot` as a `graphviz.Digraph` (shows inline in Jupyter; save it
    with `render`). Needs the graphviz Python package."""
    graphviz = _import_graphviz()
    graph, nodes, edges = _layout(root, params, show_data, show_grad, vanishing)
    g = graphviz.Digraph("minigrad", graph_attr=graph, node_attr=_NODE_ATTR, edge_attr=_EDGE_ATTR)
    for name, a in nodes:
        g.node(name, **a)
    for tail, head, a in edges:
        g.edge(tail, head, **a)
    return g


def render(
    graph: graphviz.Digraph | Tensor,
    path: str | os.PathLike[str],
    format: str | None = None,
    **draw_kwargs: Any,
) -> str | os.PathLike[str]:
    """Write a drawing to `path` and return `path`.

    `graph` is a `graphviz.Digraph` from `draw_graph` or a tensor (drawn with
    `draw_kwargs`, e.g. `params=`). The format comes from the suffix (`.svg`,
    `.png`, `.pdf`) unless given. Raises `DotNotFoundError` when `dot` is missing.
    """
    _import_graphviz("render")
    if isinstance(graph, Tensor):
        graph = draw_graph(graph, **draw_kwargs)
    fmt = format or os.path.splitext(str(path))[1].lstrip(".").lower() or "svg"
    if fmt == "png":
        graph = graph.copy()
        graph.attr(dpi="144")  # the default 96 dpi blurs the small label text
    data = _pipe(graph, fmt, "render")
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return path


def _pipe(graph: graphviz.Digraph | str, fmt: str, where: str) -> bytes:
    """The bytes `dot` makes of `graph` (a Digraph or DOT source) in format `fmt`."""
    graphviz = _import_graphviz(where)
    source = graphviz.Source(graph) if isinstance(graph, str) else graph
    try:
        return source.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise DotNotFoundError(
            f"{where}: graphviz's `dot` program was not found on PATH. Install it with "
            "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
            "`conda install graphviz`; minigrad.viz.to_dot works without it."
        ) from None


def _import_graphviz(where: str = "draw_graph") -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            f"{where} needs the graphviz Python package: pip install graphviz "
            "(or pip install 'minigrad[viz]'); minigrad.viz.to_dot works without it"
        ) from None
    return graphviz


def _layout(
    root: Tensor, params: Params, show_data: bool, show_grad: bool, vanishing: float
) -> Layout:
    """(graph attributes, [(node id, attributes)], [(tail, head, attributes)])."""
    if not isinstance(root, Tensor):
        raise TypeError(f"to_dot: expected a Tensor, got {type(root).__name__}")
    order = graph_nodes(root)
    ids = {id(t): f"n{i}" for i, t in enumerate(order)}
    names = leaf_names(order, params)
    grads, notes = _gradients(root, order) if show_grad else ({}, [])
    if any(t.is_leaf and t.requires_grad and id(t) not in names for t in order):
        notes.append(UNNAMED_NOTE)
    nodes = []
    for t in order:
        label, attrs = _label(t, names.get(id(t)), t is root, show_data)
        if id(t) in grads:
            style, font = _grad_style(grads[id(t)], vanishing, t is root)
            label.append((f"grad norm {_norm_text(grads[id(t)])}", dict(i=True, **font)))
            attrs.update(style)
        nodes.append((ids[id(t)], dict(label=_html(label), **attrs)))
    edges = [e for t in order for e in _edges(t, ids)]
    graph = dict(_GRAPH_ATTR)
    if show_grad:
        notes.append(
            f"orange: gradient norm below {vanishing:g} (vanishing); red: NaN or inf; "
            "dashed: no gradient flows"
        )
    if notes:
        graph.update(label=_html([(n, {}) for n in notes]), labelloc="b", fontsize="9")
    return graph, nodes, edges


def _gradients(root: Tensor, order: list[Tensor]) -> tuple[dict[int, np.ndarray], list[str]]:
    """id(tensor) -> gradient ndarray for the tensors that require grad, and notes."""
    grads = {id(t): t.grad.data for t in order if t.grad is not None}
    todo = [t for t in order if t.requires_grad and id(t) not in grads]
    if not todo:
        return grads, []
    if any(autograd.is_freed(t) for t in order):
        return grads, [
            "backward() freed this graph: call backward(retain_graph=True) to draw it whole"
        ]
    if root.data.size != 1:
        return grads, ["gradients of a non-scalar root are not drawn (only .grad is shown)"]
    try:
        computed = autograd.grad(root, todo, retain_graph=True)
    except RuntimeError as e:
        return grads, [f"gradients not drawn: {str(e).split(';')[0]}"]
    for t, g in zip(todo, computed):
        if g is not None:
            grads[id(t)] = g.data
    return grads, []


def _label(t: Tensor, name: str | None, is_root: bool, show_data: bool) -> tuple[Rows, Attrs]:
    """Rows of the node's label as (text, font attributes), and its style attributes."""
    kind, title = kind_and_title(t, name)
    rows: Rows = [(title, {"b": True})]
    if name and not t.is_leaf:
        rows.append((name, {}))
    rows.append((f"{_shape(t.shape)} {t.dtype}", {}))
    attrs = {"fillcolor": _FILL[kind]}
    if kind == "data":
        attrs.update(style="rounded,filled,dashed", fontcolor="#555555")
    if is_root:
        attrs.update(penwidth="2.5", color="#1f3a68")
    if show_data:
        lines, finite = _summary(t.data)
        rows += [(line, {} if finite else _RED_FONT) for line in lines]
        if not finite:
            attrs.update(fillcolor=_BAD, color="#b00000", penwidth="2")
    return rows, attrs


def _grad_style(grad: np.ndarray, vanishing: float, is_root: bool) -> tuple[Attrs, dict[str, Any]]:
    """(node attributes, font attributes) of a node whose gradient is `grad`."""
    norm = _norm(grad)
    if not math.isfinite(norm):
        return {"fillcolor": _BAD, "color": "#b00000", "penwidth": "2"}, _RED_FONT
    if norm < vanishing and not is_root:
        return {"fillcolor": _FADED, "color": "#c46a00", "penwidth": "2"}, {"color": "#9a4d00"}
    return {}, {}


def _edges(t: Tensor, ids: dict[int, str]) -> list[tuple[str, str, Attrs]]:
    out = []
    for p in t.parents:
        attrs: Attrs = {}
        axes = _summed_axes(t, p) if p.requires_grad else ()
        if axes:
            word = "axis" if len(axes) == 1 else "axes"
            attrs.update(label=f" grad summed over {word} {', '.join(map(str, axes))}")
            attrs.update(fontcolor="#b35900", color="#b35900")
        if not p.requires_grad:
            attrs.update(style="dashed", color="#9aa3ad")
        out.append((ids[id(p)], ids[id(t)], attrs))
    return out


def _summed_axes(node: Tensor, parent: Tensor) -> tuple[int, ...]:
    """Axes of `node`'s output over which the engine sums `parent`'s gradient."""
    if node.op not in _BROADCASTING_OPS:
        return ()
    out, shape = node.shape, parent.shape
    if node.op == "matmul":  # only the batch axes broadcast
        if len(out) < 2 or len(shape) < 2:
            return ()
        out, shape = out[:-2], shape[:-2]
    return summed_axes(out, shape) if len(shape) <= len(out) else ()


def _norm(a: Any) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.linalg.norm(np.asarray(a, dtype=np.float64).reshape(-1)))


def _norm_text(a: Any) -> str:
    norm = _norm(a)
    if math.isfinite(norm):
        return f"{norm:.3g}"
    bad = np.asarray(a)
    return f"{norm} ({int(np.isnan(bad).sum())} NaN, {int(np.isinf(bad).sum())} inf)"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _summary(a: Any) -> tuple[list[str], bool]:
    """Lines of values (up to 4) or mean/std and min/max of the finite ones; and whether
    every value is finite."""
    a = np.asarray(a)
    if a.dtype.kind not in "fc":
        a = a.astype(np.float64)
    finite = np.isfinite(a)
    if a.size <= 4:
        values = ", ".join(f"{v:.4g}" for v in a.reshape(-1))
        return [f"value {values}" if a.ndim == 0 else f"[{values}]"], bool(finite.all())
    ok = a[finite].astype(np.float64)
    lines = ["no finite values"]
    if ok.size:
        lines = [
            f"mean {ok.mean():.3g} std {ok.std():.3g}",
            f"min {ok.min():.3g} max {ok.max():.3g}",
        ]
    if not finite.all():
        nans = int(np.isnan(a).sum())
        lines.append(f"{nans} NaN, {int(a.size - finite.sum() - nans)} inf")
    return lines, bool(finite.all())


def _html(rows: Rows) -> str:
    """An HTML-like graphviz label: one line per (text, font attrs); text is escaped."""
    lines = []
    for text, font in rows:
        s = html.escape(text, quote=True)
        if font.get("i"):
            s = f"<I>{s}</I>"
        if font.get("b"):
            s = f"<B>{s}</B>"
        if font.get("color"):
            s = f'<FONT COLOR="{font["color"]}">{s}</FONT>'
        lines.append(s)
    return "<" + "<BR/>".join(lines) + ">"


def _attrs(attrs: Attrs) -> str:
    parts = []
    for key, value in attrs.items():
        if value.startswith("<") and value.endswith(">"):
            parts.append(f"{key}={value}")
        else:
            parts.append(f'{key}="{_quote(value)}"')
    return " ".join(parts)


def _edge_attrs(attrs: Attrs) -> str:
    return f" [{_attrs(attrs)}]" if attrs else ""


def _quote(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
