"""The `Optimizer` base class: parameter groups, lazy per-parameter state, checkpoints.

An optimizer owns a list of *parameter groups*. Each group is a dict holding its `"params"`
(a list of Tensors) and one value per hyperparameter (`"lr"`, `"momentum"`, ...), so a
scheduler or a user can change `group["lr"]` between steps. `state[p]` is a dict of NumPy
arrays (`"exp_avg"`, `"momentum_buffer"`, ...) created on the first step in which `p` has
a gradient; a parameter whose `.grad` is `None` is skipped and gets no state.

Updates write into `p.data` in place, in the parameter's dtype, and never touch
`p.grad.data` (a gradient array may be shared or read-only). They are plain NumPy, so no
graph is recorded; each one stamps `p` (`_mark_changed`) so that autograd notices a
saved array changed.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ..grad_mode import enable_grad
from ..tensor import Tensor

ParamGroup = dict[str, Any]
"""A parameter group: `"params"` (a list of Tensors) and one value per hyperparameter."""

State = dict[str, Any]
"""One parameter's optimizer state: name (`"exp_avg"`, `"step"`, ...) -> array or number."""

Params = Iterable[Tensor] | Iterable[ParamGroup]
"""What an optimizer takes: Tensors (one group), or parameter groups (dicts)."""


def check_nonnegative(name: str, value: float) -> None:
    """Raise `ValueError` naming `name` unless `value >= 0` (this rejects NaN too)."""
    if not value >= 0.0:
        raise ValueError(f"Invalid {name}: {value!r} (expected a number >= 0)")


def check_in_range(
    name: str, value: float, lo: float, hi: float, hi_inclusive: bool = False
) -> None:
    """Raise `ValueError` unless `lo <= value < hi` (`<= hi` if `hi_inclusive`)."""
    ok = lo <= value <= hi if hi_inclusive else lo <= value < hi
    if not ok:
        bracket = "]" if hi_inclusive else ")"
        raise ValueError(f"Invalid {name}: {value!r} (expected a number in [{lo}, {hi}{bracket})")


def check_betas(betas: Sequence[float]) -> None:
    """Adam's `betas`: a pair, each in [0, 1)."""
    if len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas!r} (expected a pair (beta1, beta2))")
    for i, beta in enumerate(betas):
        check_in_range(f"betas[{i}]", beta, 0.0, 1.0)


class Optimizer:
    """Base class: `params` is an iterable of Tensors or of dicts (parameter groups).

    Subclasses pass their hyperparameters as `defaults` and implement `validate(hparams)`,
    `init_state(w, group)` (the fresh state dict of a parameter with array `w`) and
    `update(w, g, state, group)` (one in-place step of array `w` given gradient `g`).
    """

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self.validate(defaults)
        self.defaults = dict(defaults)
        self.state: dict[Tensor, State] = {}
        self.param_groups: list[ParamGroup] = []
        self._scratch_buffers: dict[tuple[np.dtype[Any], int], NDArray[Any]] = {}
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Tensors or of dicts, but got a single Tensor; "
                "wrap it in a list"
            )
        if isinstance(params, set):
            raise TypeError("params must be an ordered collection (list), not a set")
        groups: list[Any] = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            hparams = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} params, {hparams}")
        return "\n".join(lines) + "\n)"

    def validate(self, hparams: dict[str, Any]) -> None:
        """Raise `ValueError` naming the first invalid hyperparameter. Subclasses override."""

    def add_param_group(self, param_group: ParamGroup) -> None:
        """Append a group; missing hyperparameters take the optimizer's defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("params must be an ordered collection (list), not a set")
        params = list(params)
        if len(params) == 0:
            raise ValueError("optimizer got an empty parameter list")
        self._check_params(params)
        group = {**self.defaults, **param_group, "params": params}
        self.validate(group)
        self.param_groups.append(group)

    def _check_params(self, params: list[Tensor]) -> None:
        seen: dict[int, int] = {}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but params[{i}] is {type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(f"can't optimize a non-leaf Tensor (params[{i}], op {p.op})")
            if id(p) in seen:
                raise ValueError(
                    f"parameter list contains the same parameter twice (at {seen[id(p)]} and {i})"
                )
            seen[id(p)] = i
        for group_index, group in enumerate(self.param_groups):
            if any(id(q) in seen for q in group["params"]):
                raise ValueError(
                    f"some parameters appear in more than one parameter group "
                    f"(already in group {group_index})"
                )

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: `p.grad = None` (or fresh zeros if `set_to_none=False`)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad = None if set_to_none else Tensor(np.zeros_like(p.data))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; `closure()` re-evaluates the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = self.init_state(p.data, group)
                self.update(p.data, p.grad.data, state, group)
                p._mark_changed()
        return loss

    def init_state(self, w: NDArray[Any], group: ParamGroup) -> State:
        """The state dict of a parameter on its first step. Subclasses override."""
        return {}

    def update(self, w: NDArray[Any], g: NDArray[Any], state: State, group: ParamGroup) -> None:
        """Update array `w` in place from gradient `g`. Subclasses override."""
        raise NotImplementedError

    def scratch(self, w: NDArray[Any], slot: int = 0) -> NDArray[Any]:
        """A reusable work array shaped and typed like `w` (not part of the state).

        Updates write their temporaries here with `out=` instead of allocating arrays the
        size of the parameter on every step; `slot` picks one of several such buffers.
        """
        key = (w.dtype, slot)
        buffer = self._scratch_buffers.get(key)
        if buffer is None or buffer.size < w.size:
            buffer = self._scratch_buffers[key] = np.empty(w.size, w.dtype)
        return buffer[: w.size].reshape(w.shape)

    def add_weight_decay(
        self, w: NDArray[Any], g: NDArray[Any], weight_decay: float
    ) -> NDArray[Any]:
        """`g + weight_decay * w` (the gradient of the L2 penalty added), or `g` if 0."""
        if weight_decay == 0:
            return g
        decayed = np.multiply(w, weight_decay, out=self.scratch(w, 1))
        return np.add(g, decayed, out=decayed)

    def state_dict(self) -> dict[str, Any]:
        """`{"state": {index: {name: array or number}}, "param_groups": [...]}`, like torch.

        Parameters are replaced by their index in the order of `param_groups`; arrays are
        copies, so the dict is a snapshot that later steps do not change.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy_nested(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: copy_nested(s) for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by `state_dict()` (copies the arrays).

        Also accepts a dict that went through `mg.save`/`mg.load`: 0-d arrays become
        numbers again and string keys become indices.
        """
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(groups)} parameter groups, "
                f"but the optimizer has {len(self.param_groups)}"
            )
        params: list[tuple[int, Tensor]] = []
        for i, (saved, group) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"loaded state dict's group {i} has {len(saved['params'])} parameters, "
                    f"but the optimizer's has {len(group['params'])}"
                )
            params.extend(zip((int(j) for j in from_npz(saved["params"])), group["params"]))
        by_index = dict(params)
        self.state = {}
        for key, saved_state in state_dict["state"].items():
            p = by_index[int(key)]
            self.state[p] = {k: _restore(k, v, p.data.dtype) for k, v in saved_state.items()}
        for saved, group in zip(groups, self.param_groups):
            for key, value in saved.items():
                if key != "params":
                    group[key] = from_npz(value, as_tuple=key == "betas")


def copy_nested(value: Any) -> Any:
    """A deep copy of arrays, lists, tuples and dicts; numbers and strings as they are (a
    `state_dict()` is a snapshot that later steps do not change)."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(copy_nested(v) for v in value)
    if isinstance(value, dict):
        return {k: copy_nested(v) for k, v in value.items()}
    return value


def from_npz(value: Any, as_tuple: bool = False) -> Any:
    """Undo a round trip through `mg.save`/`mg.load` (`.npz`), in lists and dicts too:
    0-d arrays become numbers, other arrays lists; `as_tuple` makes a list a tuple
    (Adam's `betas`)."""
    if isinstance(value, (np.ndarray, np.generic)):
        value = value.tolist()
    elif isinstance(value, list):
        value = [from_npz(v) for v in value]
    elif isinstance(value, dict):
        return {k: from_npz(v) for k, v in value.items()}
    if as_tuple and isinstance(value, list):
        value = tuple(value)
    return value


def _restore(key: str | None, value: Any, dtype: DTypeLike) -> Any:
    """Copy one saved state entry; float arrays are cast to the parameter's dtype like torch."""
    if key == "step":
        return int(from_npz(value))
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return value.item()
        if np.issubdtype(value.dtype, np.floating):
            return value.astype(dtype, copy=True)
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_restore(None, v, dtype) for v in value)
    return value
