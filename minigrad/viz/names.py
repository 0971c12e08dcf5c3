"""What the drawings and the explorer call each leaf of a graph.

- A leaf that requires grad is a parameter. It is named by its dotted path in the outermost
  `nn.Module` alive that holds it (`0.weight`, as `model.named_parameters()` names it), so
  `explore(loss)` on a model's output needs no `params=`. A name given in `params=` wins;
  a leaf that neither names (a tensor made with `requires_grad=True`) is "parameter".
- A leaf that does not require grad is data (the input batch, a mask): no gradient flows
  into it.
"""

from collections.abc import Iterable, Mapping, Sequence

from minigrad.nn.module import Module, Parameter, live_modules
from minigrad.tensor import Tensor

__all__ = ["UNNAMED_NOTE", "Params", "kind_and_title", "leaf_names"]

Params = Module | Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None

UNNAMED_NOTE = (
    '"parameter": a leaf that requires grad and belongs to no nn.Module; '
    'name it with params={"w": w}'
)


def leaf_names(order: Sequence[Tensor], params: Params = None) -> dict[int, str]:
    """id(tensor) -> name, for the tensors of `order` that have one: parameters of a live
    module, then every tensor that `params` names (a module, a dict name -> tensor, or
    (name, tensor) pairs), which wins."""
    names = _module_names(order)
    if params is not None:
        pairs = params.named_parameters() if isinstance(params, Module) else params
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        names.update((id(t), str(name)) for name, t in items)
    return names


def kind_and_title(t: Tensor, name: str | None = None) -> tuple[str, str]:
    """("op" | "param" | "data", the node's title) for a tensor named `name` (or None)."""
    if not t.is_leaf:
        return "op", t.op
    if t.requires_grad:
        return "param", name or "parameter"
    title = f"data (from {t.op})" if t.op else "data"
    return "data", f"{name} ({title})" if name else title


def _module_names(order: Sequence[Tensor]) -> dict[int, str]:
    """id(parameter) -> its name in the outermost live module holding it (the first made,
    when two models share a layer)."""
    wanted = {id(t) for t in order if isinstance(t, Parameter)}
    if not wanted:
        return {}
    modules = [m for m in live_modules() if "_modules" in vars(m)]  # past Module.__init__
    inner = {id(child) for m in modules for child in m.children()}
    names: dict[int, str] = {}
    for m in modules:
        if id(m) not in inner:
            for name, p in m.named_parameters():
                if id(p) in wanted:
                    names.setdefault(id(p), name)
    return names
