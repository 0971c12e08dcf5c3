"""Adam (with the AMSGrad option) and AdamW, its variant with decoupled weight decay."""

from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad.ops.fast import in_blocks

from .adaptive import add_product_, lerp_
from .optimizer import Optimizer, ParamGroup, Params, State, check_betas, check_nonnegative


class Adam(Optimizer):
    """Adam, step for step as `torch.optim.Adam`.

    Implemented update, with `m` in `state["exp_avg"]`, `v` in `state["exp_avg_sq"]`
    (both starting at zero) and `t` the step count from 1:

        g = g + weight_decay * w                    # L2 penalty in the gradient (see AdamW)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                       # amsgrad only; then v_max replaces v below
        denom = sqrt(v) / sqrt(1 - beta2**t) + eps
        w -= lr / (1 - beta1**t) * m / denom

    Course notation, with the bias correction written out:

        m = beta1*m + (1-beta1)*g;   mt = m / (1 - beta1**t)
        v = beta2*v + (1-beta2)*g**2; vt = v / (1 - beta2**t)
        w -= lr * mt / (sqrt(vt) + eps)

    Both are the same update: `sqrt(vt) = sqrt(v) / sqrt(1 - beta2**t)`, and `eps` is added
    after the square root and after the bias correction in both. (The paper's "efficient"
    form, `lr_t = lr * sqrt(1-beta2**t) / (1-beta1**t)` with `eps` added to `sqrt(v)`
    *before* correction, uses a slightly different effective `eps`.) AMSGrad here keeps the
    maximum of the uncorrected `v` and still divides by `sqrt(1 - beta2**t)`, as torch does;
    the AMSGrad paper has no bias correction.
    """

    decoupled_weight_decay = False

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )
        super().__init__(params, defaults)

    def validate(self, hparams: dict[str, Any]) -> None:
        check_nonnegative("lr", hparams["lr"])
        check_nonnegative("eps", hparams["eps"])
        check_betas(hparams["betas"])
        check_nonnegative("weight_decay", hparams["weight_decay"])

    def init_state(self, w: NDArray[Any], group: ParamGroup) -> State:
        state = {"step": 0, "exp_avg": np.zeros_like(w), "exp_avg_sq": np.zeros_like(w)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(w)
        return state

    def update(self, w: NDArray[Any], g: NDArray[Any], state: State, group: ParamGroup) -> None:
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        state["step"] += 1
        step = state["step"]
        decay = None
        if not self.decoupled_weight_decay:
            g = self.add_weight_decay(w, g, weight_decay)
        elif weight_decay != 0:
            decay = 1 - lr * weight_decay
        arrays = [w, g, state["exp_avg"], state["exp_avg_sq"]]
        if group["amsgrad"]:
            arrays.append(state.setdefault("max_exp_avg_sq", np.zeros_like(w)))
        bias2 = (1 - beta2**step) ** 0.5
        rates = (decay, beta1, beta2, bias2, group["eps"], lr / (1 - beta1**step))
        in_blocks(partial(_adam_block, *rates, group["amsgrad"]), arrays, self.scratch(w))


def _adam_block(
    decay: float | None,
    beta1: float,
    beta2: float,
    bias2: float,
    eps: float,
    step_size: float,
    amsgrad: bool,
    w: NDArray[Any],
    g: NDArray[Any],
    m: NDArray[Any],
    v: NDArray[Any],
    *rest: NDArray[Any],
) -> None:
    """One block of the update in `Adam`'s docstring, in place (`in_blocks` runs the blocks):
    `bias2 = sqrt(1 - beta2**t)`, `step_size = lr / (1 - beta1**t)`; `rest` is
    `(v_max, tmp)` with `amsgrad`, else `(tmp,)`, `tmp` a work block."""
    tmp = rest[-1]
    if decay is not None:
        w *= decay
    lerp_(m, g, 1 - beta1, tmp)
    v *= beta2
    add_product_(v, g, g, 1 - beta2, tmp)
    if amsgrad:
        v = np.maximum(rest[0], v, out=rest[0])
    denom = np.sqrt(v, out=tmp)
    denom /= bias2
    denom += eps
    step_dir = np.divide(m, denom, out=tmp)
    step_dir *= step_size
    w -= step_dir


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, step for step as `torch.optim.AdamW`.

    Implemented update: first shrink the weights, then take a plain Adam step (above) with
    `weight_decay = 0`:

        w *= 1 - lr * weight_decay
        w -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Unlike Adam's L2 penalty, the decay never enters `m` and `v`, so it is not rescaled by
    the adaptive denominator. Loshchilov & Hutter write `w -= eta_t * (alpha * mt / (sqrt(vt)
    + eps) + lambda * w)` with a separate schedule multiplier `eta_t`; torch (and minigrad)
    scale the decay by `lr` instead, so `weight_decay` here is `lambda / alpha` there.
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
