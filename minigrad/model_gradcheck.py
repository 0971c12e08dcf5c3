"""A model-level gradient check that explains itself (the cs231n recipe).

For each parameter, a few sampled coordinates `i`: the analytic gradient `a` (one
backward pass) against the central difference `n = (L(p_i + h) - L(p_i - h)) / 2h`, compared
by the relative error `|a - n| / max(|a|, |n|)`. The worst error of a parameter gets a
verdict:

    > 1e-2         wrong
    1e-4 .. 1e-2   suspicious
    1e-7 .. 1e-4   ok for kinks (fine with ReLU, max or hinge; too high for a smooth loss)
    < 1e-7         good

It runs in float64 (the model's parameters are swapped for float64 copies and put back
afterwards, `.grad` included): in float32 the differences carry ~1e-4 error of their own.

Kinks: a ReLU, max or hinge makes the loss piecewise smooth, and a central difference whose
`p_i - h` and `p_i + h` lie on different sides of a kink measures neither side's slope.
Both forward passes are recorded, and for every kink op (relu, maximum, clip, abs, max,
svm_loss, ...) its local derivative (its backward applied to ones) is compared between them;
a coordinate where one changed is reported, warned about (`KinkCrossingWarning`) and left
out of the parameter's verdict.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from minigrad import autograd, grad_mode
from minigrad.autograd import graph_nodes, local_grads
from minigrad.tensor import Tensor

if TYPE_CHECKING:
    from minigrad.nn import Module

__all__ = [
    "CoordinateCheck",
    "GradientCheckReport",
    "KinkCrossingWarning",
    "ParameterCheck",
    "check_model_gradients",
    "verdict",
]

KINK_OPS = frozenset(
    {"relu", "leaky_relu", "abs", "maximum", "minimum", "clip", "max", "min", "svm_loss"}
    | {"l1_penalty"}
)
VERDICTS = ("good", "ok for kinks", "suspicious", "wrong")


class KinkCrossingWarning(UserWarning):
    """A finite difference straddled a kink, so its numerical gradient is not a slope."""


def verdict(rel_error: float) -> str:
    """cs231n's reading of a relative error (NaN counts as wrong)."""
    if not rel_error <= 1e-2:
        return "wrong"
    if rel_error > 1e-4:
        return "suspicious"
    return "ok for kinks" if rel_error >= 1e-7 else "good"


@dataclass
class CoordinateCheck:
    """One sampled coordinate: analytic vs numerical gradient. `kinks` names the kink
    ops (e.g. `"relu#1"`) whose side changed between p - h and p + h."""

    param: str
    index: tuple[int, ...]
    analytic: float
    numerical: float
    rel_error: float
    kinks: tuple[str, ...] = ()


@dataclass
class ParameterCheck:
    """The coordinates checked for one parameter and their verdict."""

    name: str
    shape: tuple[int, ...]
    coords: list[CoordinateCheck] = field(default_factory=list)

    @property
    def judged(self) -> list[CoordinateCheck]:
        """The coordinates whose difference crossed no kink (the ones the verdict uses)."""
        return [c for c in self.coords if not c.kinks]

    @property
    def max_error(self) -> float:
        """The largest relative error of the judged coordinates (NaN if none)."""
        errors = [c.rel_error for c in self.judged]
        return max(errors) if errors else float("nan")

    @property
    def verdict(self) -> str:
        """`verdict(max_error)`, or "inconclusive (all kinks)"."""
        return verdict(self.max_error) if self.judged else "inconclusive (all kinks)"

    @property
    def worst(self) -> CoordinateCheck | None:
        """The coordinate with the largest relative error (judged ones first)."""
        judged = self.judged or self.coords
        return max(judged, key=lambda c: c.rel_error) if judged else None


@dataclass
class GradientCheckReport:
    """Per-parameter results (`rows`); `str(report)` is the printed table, and in
    Jupyter the report shows itself as an HTML table with each verdict coloured."""

    rows: list[ParameterCheck]
    eps: float
    loss: float

    @property
    def passed(self) -> bool:
        """True when no parameter is "suspicious" or "wrong"."""
        return all(r.verdict in ("good", "ok for kinks") for r in self.rows)

    @property
    def kink_crossings(self) -> list[CoordinateCheck]:
        """Every coordinate whose difference crossed a kink."""
        return [c for r in self.rows for c in r.coords if c.kinks]

    def __getitem__(self, name: str) -> ParameterCheck:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def __str__(self) -> str:
        return _table(self)

    def _repr_html_(self) -> str:
        return _html_table(self)


def check_model_gradients(
    model: Module,
    loss_fn: Callable[[Any, Any], Tensor],
    x: Tensor | ArrayLike,
    y: Tensor | ArrayLike | None,
    num_coords: int = 10,
    eps: float = 1e-5,
    seed: int = 0,
    verbose: bool = True,
) -> GradientCheckReport:
    """Check `loss_fn(model(x), y)`'s gradient for every parameter of `model`, in float64.

    Args:
        model: an `nn.Module` (anything with `named_parameters()`). Put it in eval mode
            first if it uses dropout: the loss must be a deterministic function.
        loss_fn: `(output, y) -> scalar loss`, e.g. `F.cross_entropy`.
        x, y: a batch (a few examples are enough; fewer examples, fewer kinks).
        num_coords: coordinates sampled per parameter (all of them if it has fewer).
        eps: the step h of the central difference.
        seed: seeds the choice of coordinates.
        verbose: print the table.

    Returns a `GradientCheckReport`; `report.passed` is True when no parameter is
    "suspicious" or "wrong". The model's parameters, buffers and `.grad` are restored.
    """
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not named:
        raise ValueError("check_model_gradients: the model has no parameter that requires grad")
    tensors = [p for _, p in named] + [b for _, b in getattr(model, "named_buffers", list)()]
    saved = [(t, t.data, t.grad) for t in tensors]
    try:
        for t in tensors:  # copies, so forward passes cannot touch the originals
            t.data = t.data.astype(np.float64 if t.data.dtype.kind == "f" else t.data.dtype)
        x, y = _float64(x), _float64(y)

        def loss() -> Tensor:
            return loss_fn(model(x), y)

        report = _check(named, loss, num_coords, eps, np.random.default_rng(seed))
    finally:
        for t, data, g in saved:
            t.data, t.grad = data, g
    if verbose:
        print(report)
    crossings = report.kink_crossings
    if crossings:
        where = ", ".join(f"{c.param}{list(c.index)} ({', '.join(c.kinks)})" for c in crossings)
        warnings.warn(
            f"check_model_gradients: {len(crossings)} finite difference(s) crossed a kink, so "
            f"their numerical gradients are not slopes and were left out of the verdicts: "
            f"{where}. Use fewer examples or a smaller eps.",
            KinkCrossingWarning,
            stacklevel=2,
        )
    return report


def _float64(x: Tensor | ArrayLike | None) -> Any:
    if x is None:
        return x
    if isinstance(x, Tensor):
        return Tensor(x.data.astype(np.float64)) if x.data.dtype.kind == "f" else x
    x = np.asarray(x)
    return x.astype(np.float64) if x.dtype.kind == "f" else x


def _check(
    named: Sequence[tuple[str, Tensor]],
    loss: Callable[[], Tensor],
    num_coords: int,
    eps: float,
    rng: np.random.Generator,
) -> GradientCheckReport:
    with grad_mode.enable_grad():
        out = loss()
    if not isinstance(out, Tensor) or out.data.size != 1:
        raise ValueError("check_model_gradients: loss_fn must return a scalar Tensor")
    if out.data.dtype != np.float64:
        raise TypeError(
            f"check_model_gradients: the loss came out as {out.data.dtype} although the "
            "parameters and x are float64; something in the model or loss casts down"
        )
    grads = autograd.grad(out, [p for _, p in named])
    # Round-off in L(p+h) - L(p-h) is ~ machine eps * |L| / h; below that, |a| and |n|
    # cannot be told apart from zero, and a pair of such values counts as agreeing.
    floor = 100 * np.finfo(np.float64).eps * max(1.0, abs(float(out.data))) / eps
    rows = []
    for (name, p), g in zip(named, grads):
        analytic = np.zeros(p.shape) if g is None else g.data
        row = ParameterCheck(name, p.shape)
        picks = rng.choice(p.data.size, size=min(num_coords, p.data.size), replace=False)
        for flat in np.sort(picks):
            index = np.unravel_index(flat, p.shape)
            n, kinks = _central_difference(loss, p, index, eps)
            a = float(analytic[index])
            # Both below the round-off floor: indistinguishable from zero, so they agree.
            err = 0.0 if max(abs(a), abs(n)) < floor else abs(a - n) / max(abs(a), abs(n))
            row.coords.append(CoordinateCheck(name, tuple(map(int, index)), a, n, err, kinks))
        rows.append(row)
    return GradientCheckReport(rows, eps, float(out.data))


def _central_difference(
    loss: Callable[[], Tensor], p: Tensor, index: tuple[Any, ...], eps: float
) -> tuple[float, tuple[str, ...]]:
    """(L(p + h) - L(p - h)) / 2h at `index`, and the kink ops that changed side."""
    old = p.data[index]
    outs = []
    with grad_mode.enable_grad():  # record both graphs to compare their kink ops
        for step in (eps, -eps):
            p.data[index] = old + step
            outs.append(loss())
    p.data[index] = old
    hi, lo = outs
    n = (float(hi.data) - float(lo.data)) / (2 * eps)
    return n, _changed_kinks(_kink_sides(hi), _kink_sides(lo))


KinkSides = list[tuple[str, list[NDArray[Any] | None]]]


def _kink_sides(out: Tensor) -> KinkSides:
    """[(name, local derivatives)] of the kink ops in `out`'s graph, in graph order."""
    sides: KinkSides = []
    counts: dict[str, int] = {}
    with grad_mode.no_grad():
        for node in graph_nodes(out):
            if node.op not in KINK_OPS or node.is_leaf:
                continue
            counts[node.op] = counts.get(node.op, 0) + 1
            gxs = local_grads(node, np.ones_like(node.data))
            derivs = [None if g is None else np.asarray(g) for g in gxs]
            sides.append((f"{node.op}#{counts[node.op]}", derivs))
    return sides


def _changed_kinks(hi: KinkSides, lo: KinkSides) -> tuple[str, ...]:
    if [name for name, _ in hi] != [name for name, _ in lo]:
        return ("graph structure changed",)
    changed = []
    for (name, a), (_, b) in zip(hi, lo):
        if any(not _same(u, v) for u, v in zip(a, b)):
            changed.append(name)
    return tuple(changed)


def _same(u: NDArray[Any] | None, v: NDArray[Any] | None) -> bool:
    if u is None or v is None:
        return u is v
    return u.shape == v.shape and np.array_equal(u, v)


_HEAD = (
    *("parameter", "shape", "coords", "max rel error", "verdict", "worst at", "analytic"),
    *("numerical", "kinks crossed"),
)
# verdict -> (background, text) colours of the HTML table's verdict cell
_VERDICT_COLOURS = {
    "good": ("#d3f9d8", "#1b5e20"),
    "ok for kinks": ("#e6f4d7", "#3d6b00"),
    "suspicious": ("#ffe8cc", "#a34700"),
    "wrong": ("#ffd6d6", "#a30000"),
}


def _rows(report: GradientCheckReport) -> Iterator[tuple[str, ...]]:
    """The table's rows as strings, one per parameter, in `_HEAD`'s order."""
    for r in report.rows:
        w = r.worst
        at = a = n = "-"  # no coordinate checked (num_coords=0)
        if w is not None:
            at, a, n = str(list(w.index)), f"{w.analytic:.6g}", f"{w.numerical:.6g}"
        crossed = str(sum(1 for c in r.coords if c.kinks))
        err = f"{r.max_error:.2e}"
        yield (r.name, str(r.shape), str(len(r.coords)), err, r.verdict, at, a, n, crossed)


def _notes(report: GradientCheckReport) -> list[str]:
    """The lines under the table: the thresholds, then every kink crossing."""
    notes = [
        "relative error |a-n| / max(|a|,|n|): > 1e-2 wrong, 1e-4..1e-2 suspicious, "
        "1e-7..1e-4 ok for kinks, < 1e-7 good"
    ]
    for c in report.kink_crossings:
        notes.append(
            f"kink crossed at {c.param}{list(c.index)} by {', '.join(c.kinks)}: analytic "
            f"{c.analytic:.6g}, numerical {c.numerical:.6g} (not used in the verdict)"
        )
    return notes


def _title(report: GradientCheckReport) -> str:
    return f"gradient check in float64, eps={report.eps:g}, loss={report.loss:.6g}"


def _table(report: GradientCheckReport) -> str:
    lines = [_HEAD, *_rows(report)]
    widths = [max(len(row[i]) for row in lines) for i in range(len(_HEAD))]
    text = [_title(report)]
    text += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in lines]
    return "\n".join(text + _notes(report))


def _html_table(report: GradientCheckReport) -> str:
    """The table as HTML for Jupyter, each verdict cell coloured by cs231n's reading."""
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in _HEAD)
    body = []
    for row in _rows(report):
        back, fore = _VERDICT_COLOURS.get(row[4], ("#eeeeee", "#444444"))
        cells = [f"<td>{esc(c)}</td>" for c in row]
        cells[4] = f'<td style="background:{back};color:{fore};font-weight:bold">{esc(row[4])}</td>'
        body.append(f"<tr>{''.join(cells)}</tr>")
    notes = "".join(f"<div>{esc(n)}</div>" for n in _notes(report))
    return (
        f"<div><b>{esc(_title(report))}</b><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table><small>{notes}</small></div>"
    )
