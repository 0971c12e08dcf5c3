"""The strong-Wolfe line search used by L-BFGS (a port of torch's, itself from minFunc).

Along a descent direction `d` from `x` (`phi(t) = f(x + t d)`, `phi'(t) = g(x + t d).d`)
find a step `t` with

    sufficient decrease:  phi(t) <= phi(0) + c1 * t * phi'(0)
    curvature:            |phi'(t)| <= -c2 * phi'(0)

in two phases (Nocedal & Wright, Algorithms 3.5 and 3.6): *bracketing* grows `t` by cubic
extrapolation until an interval is known to hold such a step, then *zoom* shrinks the interval
by safeguarded cubic interpolation until the conditions hold.

A point of the search is a tuple `(t, f, g, gtd)`: step, loss, flat gradient, `g.d`.
"""

import math
from collections.abc import Callable, Sequence
from typing import Any

from numpy.typing import NDArray

Point = tuple[float, float, NDArray[Any], float]
"""A point of the search: step `t`, loss `f`, flat gradient `g`, and `g.d`."""

Phi = Callable[[Sequence[NDArray[Any]], float, NDArray[Any]], tuple[float, NDArray[Any]]]
"""`phi(x, t, d)`: the loss and flat gradient at `x + t*d` (parameters left at `x`)."""


def cubic_interpolate(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """Minimiser of the cubic through `(x1, f1, f'=g1)` and `(x2, f2, f'=g2)`, clipped.

    Falls back to the middle of the bounds when the cubic has no minimum
    (Nocedal & Wright, eq. 3.59).
    """
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, lo), hi)


def strong_wolfe(
    phi: Phi,
    x: Sequence[NDArray[Any]],
    t: float,
    d: NDArray[Any],
    f: float,
    g: NDArray[Any],
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, NDArray[Any], float, int]:
    """Search along `d`; return `(f_new, g_new, t, closure_calls)`.

    `phi(x, t, d)` returns the loss and flat gradient at `x + t*d` (and leaves the
    parameters at `x`); `f, g, gtd` are those at `t = 0`.
    """
    start: Point = (0, f, g.copy(), gtd)
    bracket, done, ls_iter, evals = _bracket(phi, x, t, d, start, c1, c2, max_ls)
    low = 0 if bracket[0][1] <= bracket[-1][1] else 1
    if not done and ls_iter < max_ls:
        low, zoom_evals = _zoom(
            phi, x, d, start, bracket, c1, c2, tolerance_change, max_ls - ls_iter
        )
        evals += zoom_evals
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals


def _evaluate(phi: Phi, x: Sequence[NDArray[Any]], t: float, d: NDArray[Any]) -> Point:
    f_new, g_new = phi(x, t, d)
    return (t, f_new, g_new, float(g_new @ d))


def _bracket(
    phi: Phi,
    x: Sequence[NDArray[Any]],
    t: float,
    d: NDArray[Any],
    start: Point,
    c1: float,
    c2: float,
    max_ls: int,
) -> tuple[list[Point], bool, int, int]:
    """Grow `t` until `[prev, new]` brackets a Wolfe step, or `new` is one itself.

    Returns the bracket (a list of one or two points), whether a Wolfe point was found, the
    iterations used and the closure calls made.
    """
    _, f, _, gtd = start
    prev, new = start, _evaluate(phi, x, t, d)
    evals, ls_iter = 1, 0
    while ls_iter < max_ls:
        t, f_new, g_new, gtd_new = new
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= prev[1]):
            return [prev, _copy_point(new)], False, ls_iter, evals
        if abs(gtd_new) <= -c2 * gtd:
            return [new], True, ls_iter, evals
        if gtd_new >= 0:
            return [prev, _copy_point(new)], False, ls_iter, evals
        t_prev = prev[0]
        t_next = cubic_interpolate(
            t_prev, prev[1], prev[3], t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10)
        )
        prev, new = _copy_point(new), _evaluate(phi, x, t_next, d)
        evals += 1
        ls_iter += 1
    return [start, new], False, ls_iter, evals


def _zoom(
    phi: Phi,
    x: Sequence[NDArray[Any]],
    d: NDArray[Any],
    start: Point,
    bracket: list[Point],
    c1: float,
    c2: float,
    tolerance_change: float,
    max_ls: int,
) -> tuple[int, int]:
    """Shrink the two-point `bracket` (in place) until its low end is a Wolfe point.

    Returns the index of the low end (the lower loss) and the closure calls made.
    """
    _, f, _, gtd = start
    d_norm = float(abs(d).max())
    insuf_progress, ls_iter = False, 0
    low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
    while ls_iter < max_ls:
        t_lo, t_hi = min(bracket[0][0], bracket[1][0]), max(bracket[0][0], bracket[1][0])
        if (t_hi - t_lo) * d_norm < tolerance_change:
            break
        (t0, f0, _, gtd0), (t1, f1, _, gtd1) = bracket
        t = cubic_interpolate(t0, f0, gtd0, t1, f1, gtd1)
        t, insuf_progress = _safeguard(t, t_lo, t_hi, insuf_progress)
        new = _evaluate(phi, x, t, d)
        ls_iter += 1
        if new[1] > f + c1 * t * gtd or new[1] >= bracket[low][1]:
            bracket[high] = _copy_point(new)
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
            continue
        if abs(new[3]) <= -c2 * gtd:
            bracket[low] = _copy_point(new)
            break
        if new[3] * (bracket[high][0] - bracket[low][0]) >= 0:
            bracket[high] = bracket[low]
        bracket[low] = _copy_point(new)
    return low, ls_iter


def _safeguard(t: float, t_lo: float, t_hi: float, insuf_progress: bool) -> tuple[float, bool]:
    """Keep an interpolated `t` away from the ends of `[t_lo, t_hi]`.

    If `t` lands within 10% of the interval of an end twice in a row (or outside), move it to
    10% inside that end. Returns the new `t` and the updated "insufficient progress" flag.
    """
    eps = 0.1 * (t_hi - t_lo)
    if min(t_hi - t, t - t_lo) >= eps:
        return t, False
    if insuf_progress or t >= t_hi or t <= t_lo:
        t = t_hi - eps if abs(t - t_hi) < abs(t - t_lo) else t_lo + eps
        return t, False
    return t, True


def _copy_point(point: Point) -> Point:
    t, f, g, gtd = point
    return (t, f, g.copy(), gtd)
