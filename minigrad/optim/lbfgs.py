"""L-BFGS with an optional strong-Wolfe line search, step for step as `torch.optim.LBFGS`."""

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..grad_mode import enable_grad
from ..tensor import Tensor
from .line_search import strong_wolfe
from .optimizer import Optimizer, ParamGroup, Params, State, check_nonnegative

Closure = Callable[[], Any]
"""Zeroes the gradients, computes the loss, calls `backward()` and returns the loss."""


class LBFGS(Optimizer):
    """Limited-memory BFGS; `step(closure)` runs up to `max_iter` iterations.

    Each iteration, with `g` the flattened gradient and the last `history_size` pairs
    `s_i = w_{i+1} - w_i`, `y_i = g_{i+1} - g_i` (a pair is kept only if `y.s > 1e-10`):

        d = -H g            # two-loop recursion, H0 = (y.s / y.y) * I from the newest pair
        t = min(1, 1 / sum|g|) * lr  on the very first iteration, else  t = lr
        w += t * d          # or t from the strong-Wolfe line search along d

    and stops early when `max|g| <= tolerance_grad`, when `g.d > -tolerance_change` (not a
    descent direction), when `max|t*d|` or the change in loss is below `tolerance_change`,
    or after `max_eval` closure calls. The closure must zero the gradients, compute the loss,
    call `backward()` and return the loss. All parameters form one group.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_iter * 5 // 4 if max_eval is None else max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]

    def validate(self, hparams: dict[str, Any]) -> None:
        check_nonnegative("lr", hparams["lr"])
        for name in ("max_iter", "history_size"):
            if not (isinstance(hparams[name], int) and hparams[name] >= 1):
                raise ValueError(f"Invalid {name}: {hparams[name]!r} (expected an int >= 1)")
        if hparams["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(
                f"Invalid line_search_fn: {hparams['line_search_fn']!r} "
                "(expected None or 'strong_wolfe')"
            )

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a `state_dict()`; the history comes back as lists even from arrays."""
        super().load_state_dict(state_dict)
        state = self.state.get(self._params[0], {})
        for key in ("old_dirs", "old_stps"):
            if key in state:
                state[key] = [np.array(v) for v in state[key]]
        if "ro" in state:
            state["ro"] = [float(r) for r in state["ro"]]

    def _flat_grad(self) -> NDArray[Any]:
        """All gradients as one fresh 1-d array (zeros for a parameter without a gradient)."""
        parts = [
            np.zeros(p.data.size, p.data.dtype) if p.grad is None else p.grad.data.reshape(-1)
            for p in self._params
        ]
        return np.concatenate(parts)

    def _add_to_params(self, t: float, d: NDArray[Any]) -> None:
        """`w += t * d` with the flat direction `d` split back into the parameters."""
        offset = 0
        for p in self._params:
            n = p.data.size
            p.data += t * d[offset : offset + n].reshape(p.data.shape)
            p._mark_changed()
            offset += n

    def _set_params(self, arrays: Sequence[NDArray[Any]]) -> None:
        for p, x in zip(self._params, arrays):
            p.data[...] = x
            p._mark_changed()

    def _evaluate(self, closure: Closure) -> tuple[float, NDArray[Any]]:
        with enable_grad():
            loss = closure()
        return _as_float(loss), self._flat_grad()

    def _directional_evaluate(
        self, closure: Closure, x: Sequence[NDArray[Any]], t: float, d: NDArray[Any]
    ) -> tuple[float, NDArray[Any]]:
        """Loss and flat gradient at `x + t*d`; the parameters are put back to `x`."""
        self._add_to_params(t, d)
        loss, flat_grad = self._evaluate(closure)
        self._set_params(x)
        return loss, flat_grad

    def step(self, closure: Closure) -> Any:  # type: ignore[override]  # closure required
        """Run up to `max_iter` L-BFGS iterations; return the loss from the first closure call."""
        group = self.param_groups[0]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            orig_loss = closure()
        loss, flat_grad = _as_float(orig_loss), self._flat_grad()
        state["func_evals"] += 1
        if np.abs(flat_grad).max() <= group["tolerance_grad"]:
            return orig_loss
        self._iterate(closure, group, state, loss, flat_grad)
        return orig_loss

    def _iterate(
        self,
        closure: Closure,
        group: ParamGroup,
        state: State,
        loss: float,
        flat_grad: NDArray[Any],
    ) -> None:
        """The iteration loop of `step`; leaves the direction and history in `state`."""
        tol_change = group["tolerance_change"]
        current_evals, n_iter = 1, 0
        while n_iter < group["max_iter"]:
            n_iter += 1
            state["n_iter"] += 1
            d = self._direction(state, flat_grad, group["history_size"])
            state["prev_flat_grad"], state["prev_loss"] = flat_grad.copy(), loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * group["lr"]
            else:
                t = group["lr"]
            state["d"], state["t"] = d, t
            gtd = float(flat_grad @ d)
            if gtd > -tol_change:
                break
            loss, flat_grad, t, evals = self._move(
                closure, group, loss, flat_grad, t, d, gtd, current_evals, n_iter
            )
            state["t"] = t
            current_evals += evals
            state["func_evals"] += evals
            if n_iter == group["max_iter"] or current_evals >= group["max_eval"]:
                break
            if np.abs(flat_grad).max() <= group["tolerance_grad"]:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - state["prev_loss"]) < tol_change:
                break

    def _move(
        self,
        closure: Closure,
        group: ParamGroup,
        loss: float,
        flat_grad: NDArray[Any],
        t: float,
        d: NDArray[Any],
        gtd: float,
        current_evals: int,
        n_iter: int,
    ) -> tuple[float, NDArray[Any], float, int]:
        """Step along `d`; return the new loss, gradient, step length and closure calls."""
        if group["line_search_fn"] == "strong_wolfe":
            x_init = [p.data.copy() for p in self._params]

            def phi(
                x: Sequence[NDArray[Any]], t: float, d: NDArray[Any]
            ) -> tuple[float, NDArray[Any]]:
                return self._directional_evaluate(closure, x, t, d)

            max_ls = group["max_eval"] - current_evals
            loss, flat_grad, t, evals = strong_wolfe(
                phi, x_init, t, d, loss, flat_grad, gtd, max_ls=max_ls
            )
            self._add_to_params(t, d)
            return loss, flat_grad, t, evals
        self._add_to_params(t, d)
        if n_iter == group["max_iter"]:
            return loss, flat_grad, t, 0
        loss, flat_grad = self._evaluate(closure)
        return loss, flat_grad, t, 1

    def _direction(self, state: State, flat_grad: NDArray[Any], history_size: int) -> NDArray[Any]:
        """Update the curvature pairs and return `d = -H g` by the two-loop recursion."""
        if state["n_iter"] == 1:
            state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1.0)
            return -flat_grad
        y = flat_grad - state["prev_flat_grad"]
        s = state["d"] * state["t"]
        ys = float(y @ s)
        if ys > 1e-10:
            if len(state["old_dirs"]) == history_size:
                for key in ("old_dirs", "old_stps", "ro"):
                    state[key].pop(0)
            state["old_dirs"].append(y)
            state["old_stps"].append(s)
            state["ro"].append(1.0 / ys)
            state["H_diag"] = ys / float(y @ y)
        return two_loop(
            -flat_grad, state["old_dirs"], state["old_stps"], state["ro"], state["H_diag"]
        )


def two_loop(
    q: NDArray[Any],
    ys: Sequence[NDArray[Any]],
    ss: Sequence[NDArray[Any]],
    rhos: Sequence[float],
    h_diag: float,
) -> NDArray[Any]:
    """`H @ q` for the L-BFGS inverse-Hessian estimate built from pairs `(s_i, y_i)`.

    `rho_i = 1 / (y_i . s_i)`. Backward: `a_i = rho_i s_i.q; q -= a_i y_i`. Then
    `r = h_diag * q` and forward: `b_i = rho_i y_i.r; r += (a_i - b_i) s_i`. `q` is
    overwritten.
    """
    alphas = [0.0] * len(ys)
    for i in range(len(ys) - 1, -1, -1):
        alphas[i] = float(ss[i] @ q) * rhos[i]
        q += -alphas[i] * ys[i]
    r = q * h_diag
    for i in range(len(ys)):
        beta = float(ys[i] @ r) * rhos[i]
        r += (alphas[i] - beta) * ss[i]
    return r


def _as_float(loss: Tensor | float) -> float:
    return float(loss.item()) if isinstance(loss, Tensor) else float(loss)
