"""Training helpers: `clip_grad_norm_`."""

from collections.abc import Iterable

import numpy as np

from minigrad.tensor import Tensor

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(
    params: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale the gradients of `params` together so that their joint norm is at most
    `max_norm`, as PyTorch: every grad is multiplied by min(1, max_norm / (norm + 1e-6)).

    `norm_type`: 2.0 (the norm of all gradients concatenated), any p > 0, or `inf`.
    Returns the total norm before clipping, as a 0-d float64 Tensor.
    """
    params = [params] if isinstance(params, Tensor) else list(params)
    grads = [p.grad for p in params if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return Tensor(np.zeros(()))
    if norm_type == np.inf:
        total = max(float(np.max(np.abs(g.data))) if g.data.size else 0.0 for g in grads)
    else:
        parts = [np.linalg.norm(g.data.reshape(-1).astype(np.float64), norm_type) for g in grads]
        total = float(np.linalg.norm(np.array(parts), norm_type))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} is {total}; "
            "pass error_if_nonfinite=False to clip anyway"
        )
    coef = min(1.0, max_norm / (total + 1e-6))
    if coef < 1.0:
        for p in params:
            g = p.grad
            if g is None:
                continue
            if g.data.flags.writeable:
                g.data *= coef
            else:
                p.grad = Tensor(g.data * np.asarray(coef, g.data.dtype))
    return Tensor(np.asarray(total, dtype=np.float64))
