"""Whether operations record a graph: `no_grad`, `enable_grad` and `set_grad_enabled`.

The flag is one module attribute read by every op, so the check costs a single lookup.
Every switch restores the previous mode in `finally`, so an exception inside a
`with mg.no_grad():` block cannot leave recording off.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

enabled = True


def is_grad_enabled() -> bool:
    """Return True when operations record the graph for backward."""
    return enabled


class set_grad_enabled:
    """Context manager (and decorator) that turns recording on or off, then restores it."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev: list[bool] = []

    def __enter__(self) -> set_grad_enabled:
        global enabled
        self.prev.append(enabled)
        enabled = self.mode
        return self

    def __exit__(self, *exc: object) -> None:
        global enabled
        enabled = self.prev.pop()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(self.mode):
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(set_grad_enabled):
    """`with mg.no_grad():` runs its block without recording a graph (inference, updates)."""

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """`with mg.enable_grad():` records a graph even inside `no_grad`."""

    def __init__(self) -> None:
        super().__init__(True)
