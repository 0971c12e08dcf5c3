"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from functools import partial
from typing import Any

import numpy as np
from numpy.typing import NDArray

from minigrad.ops.fast import SGD_BLOCK, in_blocks

from .optimizer import Optimizer, ParamGroup, Params, State, check_nonnegative


class SGD(Optimizer):
    """Stochastic gradient descent, step for step as `torch.optim.SGD`.

    Implemented update, with `b` the momentum buffer (`state["momentum_buffer"]`):

        g = g + weight_decay * w                      # L2 penalty folded into the gradient
        b = g                  on the first step      # no dampening on the first step
        b = momentum * b + (1 - dampening) * g        afterwards
        d = g + momentum * b   if nesterov  else  b   (d = g when momentum == 0)
        w -= lr * d

    Course notation (cs231n) writes momentum with a velocity that already contains the
    learning rate:

        v = rho * v - lr * g
        w += v

    With a constant `lr` the two are the same sequence of weights (`v = -lr * b`). They
    differ once `lr` changes between steps: the velocity form keeps the old rates inside
    `v`, the implemented form rescales the whole buffer by the new rate. Nesterov momentum
    `v = rho*v - lr*g(w + rho*v)` is implemented in its change-of-variables form
    `w -= lr * (g + rho * b)`, which needs the gradient at `w` only.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            nesterov=nesterov,
            weight_decay=weight_decay,
        )
        super().__init__(params, defaults)

    def validate(self, hparams: dict[str, Any]) -> None:
        check_nonnegative("lr", hparams["lr"])
        check_nonnegative("momentum", hparams["momentum"])
        check_nonnegative("weight_decay", hparams["weight_decay"])
        if hparams["nesterov"] and (hparams["momentum"] <= 0 or hparams["dampening"] != 0):
            raise ValueError(
                "Nesterov momentum requires momentum > 0 and dampening == 0, but got "
                f"momentum={hparams['momentum']!r}, dampening={hparams['dampening']!r}"
            )

    def update(self, w: NDArray[Any], g: NDArray[Any], state: State, group: ParamGroup) -> None:
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        g = self.add_weight_decay(w, g, weight_decay)
        if momentum != 0:
            g = self._momentum(w, g, state, group)
        in_blocks(partial(_subtract_scaled, lr), [w, g], self.scratch(w), SGD_BLOCK)

    def _momentum(
        self, w: NDArray[Any], g: NDArray[Any], state: State, group: ParamGroup
    ) -> NDArray[Any]:
        """Update the buffer `b`; return the direction (`b`, or `g + momentum*b`)."""
        momentum, dampening = group["momentum"], group["dampening"]
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = np.array(g, dtype=w.dtype)
        else:
            buf *= momentum
            if dampening == 0:
                buf += g
            else:
                buf += np.multiply(g, 1 - dampening, out=self.scratch(w))
        if not group["nesterov"]:
            return buf
        direction = np.multiply(buf, momentum, out=self.scratch(w))
        direction += g
        return direction


def _subtract_scaled(lr: float, w: NDArray[Any], g: NDArray[Any], scratch: NDArray[Any]) -> None:
    """`w -= lr * g` in place, through the work array `scratch` (shaped like `w`)."""
    w -= np.multiply(g, lr, out=scratch)
