"""`Module` (parameter discovery, modes, state_dict), `Parameter`, `Sequential`,
`ModuleList`.

Names and order follow PyTorch, so a PyTorch `state_dict` (as arrays) loads unchanged:
dotted attribute paths, children of containers named "0", "1", ..., registration order,
and within a module its parameters, then its buffers, then its children.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from minigrad.dtypes import as_array
from minigrad.tensor import Tensor

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Module", "ModuleList", "Parameter", "Sequential", "StateDictError"]


class Parameter(Tensor):
    """A leaf Tensor that a Module registers as trainable (requires grad by default)."""

    __slots__ = ()

    def __init__(self, data: Tensor | ArrayLike, requires_grad: bool = True) -> None:
        if isinstance(data, Tensor):
            data = data.data
        super().__init__(as_array(data), requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class StateDictError(RuntimeError, ValueError):
    """`load_state_dict` found missing, unexpected or wrongly shaped keys."""


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict` returns: the keys it did not find and the keys it did not use."""

    missing_keys: list[str]
    unexpected_keys: list[str]


# Every Module alive, held weakly (keyed by id: a subclass may define __eq__ and no hash).
_LIVE: weakref.WeakValueDictionary[int, Module] = weakref.WeakValueDictionary()


def live_modules() -> list[Module]:
    """Every `Module` alive now, oldest first (held weakly: this keeps none alive). How a
    drawing of a graph finds the models its parameters belong to, to name them."""
    return list(_LIVE.values())


class Module:
    """Base class of layers and models: subclasses set parameters, buffers and submodules as
    attributes in `__init__` (after `super().__init__()`) and define `forward`."""

    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent: set[str]
    _modules: dict[str, Module | None]
    training: bool

    def __new__(cls, *args: object, **kwargs: object) -> Self:
        self = super().__new__(cls)
        _LIVE[id(self)] = self
        return self

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # registration

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(
                    f"cannot assign {type(value).__name__} '{name}' before "
                    "Module.__init__() is called (call super().__init__() first)"
                )
            object.__setattr__(self, name, value)
            return
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, Parameter):
            buffers.pop(name, None)
            modules.pop(name, None)
            params[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            modules[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module '{name}'")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer '{name}'")
            buffers[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent.discard(name)
        object.__delattr__(self, name)

    def register_buffer(
        self, name: str, tensor: Tensor | ArrayLike | None, persistent: bool = True
    ) -> None:
        """Add a non-trainable state tensor (e.g. running statistics) that `state_dict`
        saves (unless `persistent=False`)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(np.asarray(tensor))
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` as the child `name` (like setting an attribute)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # traversal

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct child, in registration order."""
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct children, in registration order."""
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant, pre-order, each
        module once."""
        seen = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """This module and every descendant, pre-order, each once."""
        for _, m in self.named_modules():
            yield m

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) in PyTorch's order; a shared parameter appears once."""
        seen = set()
        mods = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mname, m in mods:
            for k, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mname}.{k}" if mname else k), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The Parameters of `named_parameters`, without their names."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) in PyTorch's order, persistent or not."""
        mods = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mname, m in mods:
            for k, b in m._buffers.items():
                if b is not None:
                    yield (f"{mname}.{k}" if mname else k), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers of `named_buffers`, without their names."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self, fn: Callable[[Module], object]) -> Self:
        """Call `fn(m)` on every submodule (children first) and on self; return self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # modes and gradients

    def train(self, mode: bool = True) -> Self:
        """Set training mode (Dropout drops, BatchNorm1d uses batch stats) recursively."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Self:
        """Set evaluation mode recursively (same as `train(False)`)."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear `.grad` of every parameter (to None, or to zeros)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor(np.zeros_like(p.data))

    # state

    def _state_tensors(self, prefix: str = "") -> dict[str, Tensor]:
        """name -> tensor for parameters and persistent buffers, in state_dict order."""
        out: dict[str, Tensor] = {}
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                out[prefix + name] = b
        for name, m in self._modules.items():
            if m is not None:
                out.update(m._state_tensors(f"{prefix}{name}."))
        return out

    def state_dict(self) -> dict[str, NDArray[Any]]:
        """name -> ndarray copy of every parameter and persistent buffer, in PyTorch's
        naming and order. Copies: later training does not change a saved state_dict."""
        return {k: t.data.copy() for k, t in self._state_tensors().items()}

    def load_state_dict(
        self, state_dict: Mapping[str, Tensor | ArrayLike], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy arrays (or Tensors) from `state_dict` into the parameters and buffers.

        All or nothing: any wrongly shaped key (and, with `strict`, any missing or
        unexpected key) raises `StateDictError` naming every problem, and nothing is
        changed. Values are cast to each parameter's dtype. Returns
        `(missing_keys, unexpected_keys)`.
        """
        own = self._state_tensors()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems: list[str] = []
        arrays: dict[str, NDArray[Any]] = {}
        for k, t in own.items():
            if k not in state_dict:
                continue
            v = state_dict[k]
            a = np.asarray(v.data if isinstance(v, Tensor) else v)
            if a.dtype.kind not in "biuf":
                problems.append(f"'{k}': cannot load an array of dtype {a.dtype}")
            elif a.shape != t.shape:
                problems.append(f"'{k}': shape {a.shape} in the state_dict, {t.shape} in the model")
            arrays[k] = a
        if strict:
            problems += [f"missing key '{k}'" for k in missing]
            problems += [f"unexpected key '{k}'" for k in unexpected]
        if problems:
            raise StateDictError(
                f"load_state_dict into {type(self).__name__}: nothing was loaded because of "
                f"{len(problems)} problem(s):\n  " + "\n  ".join(problems)
            )
        for k, a in arrays.items():
            t = own[k]
            if t.data.flags.writeable:
                np.copyto(t.data, a, casting="unsafe")
            else:
                t.data = a.astype(t.data.dtype, copy=True)
            t._mark_changed()
        return IncompatibleKeys(missing, unexpected)

    # printing

    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr (its settings)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        kids = [f"({k}): " + repr(m).replace("\n", "\n  ") for k, m in self.named_children()]
        if not kids:
            return f"{type(self).__name__}({extra})"
        body = ([extra] if extra else []) + kids
        return f"{type(self).__name__}(\n  " + "\n  ".join(body) + "\n)"


class ModuleList(Module):
    """A list of modules, registered as children "0", "1", ... (no forward of its own)."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> Self:
        """Add `module` as the next child ("0", "1", ...)."""
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Self:
        """Append each of `modules` in turn."""
        for m in modules:
            self.append(m)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())  # type: ignore[arg-type]  # a child set to None stays

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return type(self)._from_items(items[index])
        return items[_index(index, len(items), type(self).__name__)][1]

    @classmethod
    def _from_items(cls, items: Iterable[tuple[str, Module | None]]) -> Self:
        out = cls()
        for name, m in items:
            out.add_module(name, m)
        return out


def _index(i: int, n: int, name: str) -> int:
    i = int(i)
    if not -n <= i < n:
        raise IndexError(f"{name} index {i} is out of range for {n} modules")
    return i % n


class Sequential(ModuleList):
    """Modules applied in order: `Sequential(a, b, c)(x) == c(b(a(x)))`.

    Indexable (`model[0]`, `model[1:]` keeps the children's names, as PyTorch does)
    and iterable. A single dict argument names the children.
    """

    def __init__(self, *modules: Module | dict[str, Module]) -> None:
        if len(modules) == 1 and isinstance(modules[0], dict):
            super().__init__()
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            super().__init__(cast("tuple[Module, ...]", modules))

    def forward(self, x: Any) -> Any:
        for m in self:
            x = m(x)
        return x
