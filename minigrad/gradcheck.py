"""Numerical gradient checks: central differences against the analytic backward.

`gradcheck` compares, for every input that requires grad, the analytic gradient of a
random projection `L = sum(out * r)` of the function's output(s) with the central
difference `(L(x + h) - L(x - h)) / 2h`, one coordinate at a time. Run it in float64:
in float32 the differences carry ~1e-4 relative error of their own, so it warns.
"""

import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad import autograd, grad_mode
from minigrad.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the numerical one."""


def numerical_grad(
    f: Callable[..., Any], x: Tensor | NDArray[np.floating[Any]], eps: float = 1e-6
) -> NDArray[np.float64]:
    """Central differences of a scalar function at `x`, one coordinate at a time.

    `grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`, a float64 ndarray shaped like
    `x`. `x` is a Tensor or a floating NumPy array; its values (`x.data` for a Tensor)
    are perturbed in place and restored, so `f` sees each change wherever it reads them.
    `f` comes in either of two forms:

    - `f()`, closing over `x` (e.g. `lambda: loss_fn(model(x_batch), y)`);
    - `f(x)`, given `x` itself, as cs231n's `eval_numerical_gradient(f, x)` calls it
      (e.g. `lambda W: net.loss(X, y)[0]`).

    `f` returns a scalar: a one-element Tensor or array, or a number. It runs with
    recording off. In float32 the differences are dominated by rounding (use float64).
    """
    values = _perturbable(x)
    call = _caller(f, x)
    grad = np.zeros(values.shape, dtype=np.float64)
    with grad_mode.no_grad():
        for i in np.ndindex(values.shape):
            old = values[i]  # a full index gives a scalar copy, not a view
            try:
                values[i] = old + eps
                hi = _scalar(call())
                values[i] = old - eps
                lo = _scalar(call())
            finally:
                values[i] = old
            grad[i] = (hi - lo) / (2 * eps)
    return grad


def _perturbable(x: object) -> NDArray[np.floating[Any]]:
    """The writable floating array that `numerical_grad` perturbs: `x.data` or `x`."""
    values = x.data if isinstance(x, Tensor) else x
    if not isinstance(values, np.ndarray):
        raise TypeError(
            f"numerical_grad: x must be a Tensor or a NumPy array, got {type(x).__name__}; "
            "it is perturbed in place so that f sees the change (e.g. "
            "x = np.array(values, dtype=np.float64))"
        )
    if values.dtype.kind != "f":
        raise TypeError(
            f"numerical_grad: x has dtype {values.dtype}; central differences need floating "
            "values (convert with x.astype(np.float64))"
        )
    if not values.flags.writeable:
        raise ValueError(
            "numerical_grad: x is read-only and cannot be perturbed in place; pass a "
            "writable copy (x.copy()) that f reads"
        )
    return values


def _caller(f: Callable[..., Any], x: object) -> Callable[[], Any]:
    """A no-argument function evaluating `f` in its form: `f(x)` or `f()`."""
    if not callable(f):
        raise TypeError(f"numerical_grad: f must be callable, got {type(f).__name__}")
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # a builtin without a signature: it needs its argument
        return lambda: f(x)
    for args in ((x,), ()):
        try:
            signature.bind(*args)
        except TypeError:
            continue
        return (lambda: f(x)) if args else f
    raise TypeError(
        f"numerical_grad: f must take no arguments (closing over x) or one (x itself); "
        f"its signature is {signature}"
    )


def _scalar(v: object) -> float:
    if isinstance(v, (tuple, list, dict)):
        raise TypeError(
            f"numerical_grad: f must return one scalar, got a {type(v).__name__}; pick the "
            "loss out of it (e.g. lambda W: net.loss(X, y)[0])"
        )
    a = v.data if isinstance(v, Tensor) else np.asarray(v)
    if a.size != 1:
        raise ValueError(f"numerical_grad: f must return a scalar, got shape {a.shape}")
    return float(a.reshape(()))


def _outputs(out: Tensor | Sequence[Tensor | None]) -> list[Tensor]:
    return [out] if isinstance(out, Tensor) else [o for o in out if o is not None]


def _projector(
    fn: Callable[..., Any], inputs: Sequence[object], seed: int = 0
) -> Callable[[], Tensor]:
    """L(inputs) = sum_k sum(out_k * r_k) with fixed random weights r_k."""
    with grad_mode.no_grad():
        outs = _outputs(fn(*inputs))
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(0.5, 1.5, o.shape) * rng.choice([-1.0, 1.0], o.shape) for o in outs]

    def loss() -> Tensor:
        total = Tensor(np.zeros((), dtype=np.float64))
        for o, w in zip(_outputs(fn(*inputs)), weights):
            total = total + (o * Tensor(w.astype(o.dtype))).sum()
        return total

    return loss


def _rel_error(a: NDArray[np.float64], n: NDArray[np.float64]) -> NDArray[np.float64]:
    scale = np.maximum(np.abs(a), np.abs(n))
    return np.where(scale > 0, np.abs(a - n) / np.where(scale > 0, scale, 1), 0.0)


def _compare(
    name: str, analytic: NDArray[np.float64], numeric: NDArray[np.float64], atol: float, rtol: float
) -> str | None:
    bad = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
    if not bad.any():
        return None
    err = _rel_error(analytic, numeric)
    worst = np.unravel_index(np.argmax(np.where(bad, err, -1)), analytic.shape)
    return (
        f"{name}: analytic and numerical gradients differ at index {tuple(int(i) for i in worst)}"
        f": analytic {analytic[worst]:.8g}, numerical {numeric[worst]:.8g}, relative error "
        f"|a-n|/max(|a|,|n|) = {err[worst]:.3g} (atol={atol}, rtol={rtol}); "
        f"{int(bad.sum())} of {bad.size} entries out of tolerance"
    )


def gradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[object],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check the analytic gradients of `fn(*inputs)` against central differences.

    Returns True when every input that requires grad agrees; otherwise raises
    `GradcheckError` (or returns False with `raise_exception=False`) naming the input,
    the worst index, both values and the relative error `|a-n| / max(|a|, |n|)`.
    """
    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    wrt = [(i, x) for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError("gradcheck: no input requires grad")
    if any(x.dtype != np.float64 for _, x in wrt):
        warnings.warn(
            "gradcheck: inputs are not float64; central differences in float32 are not "
            "trustworthy, cast the inputs to float64",
            UserWarning,
            stacklevel=2,
        )
    loss = _projector(fn, inputs)
    out = loss()
    grads = autograd.grad(out, [x for _, x in wrt]) if out.requires_grad else [None] * len(wrt)
    problems = []
    for (i, x), g in zip(wrt, grads):
        analytic = np.zeros(x.shape) if g is None else g.data.astype(np.float64)
        numeric = numerical_grad(loss, x, eps)
        msg = _compare(f"input {i} (shape {x.shape})", analytic, numeric, atol, rtol)
        if msg:
            problems.append(msg)
    if problems:
        if raise_exception:
            raise GradcheckError("gradcheck failed:\n  " + "\n  ".join(problems))
        return False
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Tensor | Sequence[object],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: gradcheck of the map inputs -> d(projected fn)/d(inputs),
    whose analytic gradient runs backward through the recorded backward
    (`create_graph=True`)."""
    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    loss = _projector(fn, inputs, seed=1)

    def first_grads(*_: object) -> Sequence[Tensor | None]:
        with grad_mode.enable_grad():  # gradients are needed even while differencing
            out = loss()
            if not out.requires_grad:
                return []
            return autograd.grad(out, wrt, create_graph=True)

    try:
        return gradcheck(first_grads, inputs, eps, atol, rtol, raise_exception=True)
    except GradcheckError as e:
        if raise_exception:
            raise GradcheckError("gradgradcheck (second order) " + str(e)) from None
        return False
