"""Per-coordinate adaptive learning rates: Adagrad, Adadelta and RMSprop."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .optimizer import Optimizer, ParamGroup, Params, State, check_in_range, check_nonnegative


def lerp_(a: NDArray[Any], b: NDArray[Any], weight: float, tmp: NDArray[Any]) -> None:
    """`a = a + weight * (b - a)` in place, i.e. `a = (1 - weight) * a + weight * b`.

    Written the way torch's `lerp_` rounds: from `a` for a small weight and from `b`
    otherwise, so the result stays exact at `weight = 0` and `weight = 1`. `tmp` is a
    work array shaped like `a`.
    """
    np.subtract(b, a, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        a += tmp
    else:
        tmp *= 1 - weight
        np.subtract(b, tmp, out=a)


def add_product_(
    a: NDArray[Any], x: NDArray[Any], y: NDArray[Any], value: float, tmp: NDArray[Any]
) -> None:
    """`a += value * x * y` in place (torch's `addcmul_`), using the work array `tmp`."""
    np.multiply(x, value, out=tmp)
    tmp *= y
    a += tmp


class Adagrad(Optimizer):
    """Adagrad, step for step as `torch.optim.Adagrad`.

    Implemented update, with `G` the running sum of squared gradients (`state["sum"]`,
    starting at `initial_accumulator_value`) and `t` the step count from 1:

        g = g + weight_decay * w
        clr = lr / (1 + (t - 1) * lr_decay)
        G += g * g
        w -= clr * g / (sqrt(G) + eps)

    Course notation: `cache += g**2; w -= lr * g / (sqrt(cache) + eps)`; the same thing
    with `lr_decay = 0` and a zero initial accumulator. `eps` is added outside the square
    root in both.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 0.01,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(params, defaults)

    def validate(self, hparams: dict[str, Any]) -> None:
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_nonnegative(name, hparams[name])

    def init_state(self, w: NDArray[Any], group: ParamGroup) -> State:
        return {"step": 0, "sum": np.full_like(w, group["initial_accumulator_value"])}

    def update(self, w: NDArray[Any], g: NDArray[Any], state: State, group: ParamGroup) -> None:
        state["step"] += 1
        g = self.add_weight_decay(w, g, group["weight_decay"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        tmp = self.scratch(w)
        add_product_(state["sum"], g, g, 1, tmp)
        np.sqrt(state["sum"], out=tmp)
        tmp += group["eps"]
        np.divide(g, tmp, out=tmp)
        tmp *= clr
        w -= tmp


class Adadelta(Optimizer):
    """Adadelta, step for step as `torch.optim.Adadelta`.

    Implemented update, with `E[g^2]` in `state["square_avg"]` and `E[dx^2]` in
    `state["acc_delta"]`, both starting at zero:

        g = g + weight_decay * w
        E[g^2] = rho * E[g^2] + (1 - rho) * g * g
        dx = sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) * g
        E[dx^2] = rho * E[dx^2] + (1 - rho) * dx * dx
        w -= lr * dx

    This is Zeiler's (2012) algorithm with `eps` inside both square roots; the paper has no
    learning rate, which is `lr = 1` (the default).
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def validate(self, hparams: dict[str, Any]) -> None:
        check_nonnegative("lr", hparams["lr"])
        check_in_range("rho", hparams["rho"], 0.0, 1.0, hi_inclusive=True)
        check_nonnegative("eps", hparams["eps"])
        check_nonnegative("weight_decay", hparams["weight_decay"])

    def init_state(self, w: NDArray[Any], group: ParamGroup) -> State:
        return {"step": 0, "square_avg": np.zeros_like(w), "acc_delta": np.zeros_like(w)}

    def update(self, w: NDArray[Any], g: NDArray[Any], state: State, group: ParamGroup) -> None:
        rho, eps = group["rho"], group["eps"]
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        state["step"] += 1
        g = self.add_weight_decay(w, g, group["weight_decay"])
        tmp, delta = self.scratch(w), self.scratch(w, 2)
        square_avg *= rho
        add_product_(square_avg, g, g, 1 - rho, tmp)
        np.add(acc_delta, eps, out=delta)
        np.sqrt(delta, out=delta)
        np.add(square_avg, eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        delta /= tmp
        delta *= g
        acc_delta *= rho
        add_product_(acc_delta, delta, delta, 1 - rho, tmp)
        delta *= group["lr"]
        w -= delta


class RMSprop(Optimizer):
    """RMSprop, step for step as `torch.optim.RMSprop`.

    Implemented update, with `E[g^2]` in `state["square_avg"]`, `E[g]` in
    `state["grad_avg"]` (centered only) and `b` in `state["momentum_buffer"]`
    (momentum only), all starting at zero:

        g = g + weight_decay * w
        E[g^2] = alpha * E[g^2] + (1 - alpha) * g * g
        E[g] = alpha * E[g] + (1 - alpha) * g                  if centered
        s = sqrt(E[g^2] - E[g]**2) + eps   if centered  else  sqrt(E[g^2]) + eps
        b = momentum * b + g / s;  w -= lr * b                 if momentum > 0
        w -= lr * g / s                                        otherwise

    Course notation: `cache = decay_rate * cache + (1 - decay_rate) * g**2;
    w -= lr * g / (sqrt(cache) + eps)`, identical for the plain variant. Hinton's slides and
    TensorFlow put `eps` inside the square root (`sqrt(cache + eps)`), which differs
    slightly. The centered variant (Graves, 2013) divides by an estimate of the gradient's
    standard deviation instead of its root mean square.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
        )
        super().__init__(params, defaults)

    def validate(self, hparams: dict[str, Any]) -> None:
        for name in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            check_nonnegative(name, hparams[name])

    def init_state(self, w: NDArray[Any], group: ParamGroup) -> State:
        state = {"step": 0, "square_avg": np.zeros_like(w)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(w)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(w)
        return state

    def update(self, w: NDArray[Any], g: NDArray[Any], state: State, group: ParamGroup) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        state["step"] += 1
        g = self.add_weight_decay(w, g, group["weight_decay"])
        tmp, avg = self.scratch(w), self.scratch(w, 2)
        state["square_avg"] *= alpha
        add_product_(state["square_avg"], g, g, 1 - alpha, tmp)
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", np.zeros_like(w))
            lerp_(grad_avg, g, 1 - alpha, tmp)
            np.multiply(grad_avg, grad_avg, out=tmp)
            np.subtract(state["square_avg"], tmp, out=avg)
            np.sqrt(avg, out=avg)
        else:
            np.sqrt(state["square_avg"], out=avg)
        avg += group["eps"]
        np.divide(g, avg, out=avg)
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", np.zeros_like(w))
            buf *= momentum
            buf += avg
            avg = np.multiply(buf, group["lr"], out=avg)
        else:
            avg *= group["lr"]
        w -= avg
