"""The local derivative rule of a graph node, read from its op's docstring.

Every op documents what it computes and its derivative (`y = a * b; dy/da = b, dy/db =
a`), so the rule the explorer shows is the op's own text, never a second copy that could
drift. The op function is found from the node's backward closure (`mul.<locals>.backward`
names `mul`, so a user's custom op written the same way is found too), else by the node's
op name among `minigrad.ops` and `minigrad.nn.functional`.
"""

import re
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from minigrad.autograd import op_backward
from minigrad.tensor import Tensor

_BACKWARD = re.compile(r"\b[Bb]ackward\b")
_DERIVATIVE = re.compile(r"\bd\w*/d\w+|\bd[A-Za-z]\w* = |\bdy\b")  # dy/dx, dx = ..., dy


def op_function(node: Tensor) -> Callable[..., Any] | None:
    """The Python function that made `node`, or None for a leaf or an unknown op."""
    backward = op_backward(node)
    if backward is None:
        return None
    outer, sep, _ = getattr(backward, "__qualname__", "").rpartition(".<locals>.")
    module = sys.modules.get(getattr(backward, "__module__", None) or "")
    if sep and "<locals>" not in outer and module is not None:
        fn = _attribute(module, outer)
        if callable(fn) and rule_of(fn):
            return fn
    return _by_name(node.op) or (backward if rule_of(backward) else None)


def rule_of(fn: Callable[..., Any]) -> str:
    """The derivative paragraph of `fn`'s docstring, whitespace collapsed: the first that
    writes a derivative, else the first that names the backward ('' if none does)."""
    paragraphs = _paragraphs(fn)
    for pattern in (_DERIVATIVE, _BACKWARD):
        for paragraph in paragraphs:
            if pattern.search(paragraph):
                return paragraph
    return ""


def summary_of(fn: Callable[..., Any]) -> str:
    """The first sentence of `fn`'s docstring ('' if it has none)."""
    paragraphs = _paragraphs(fn)
    return paragraphs[0].split(". ")[0].rstrip(".") + "." if paragraphs else ""


def _paragraphs(fn: Callable[..., Any]) -> list[str]:
    doc = (getattr(fn, "__doc__", None) or "").replace("`", "")  # Markdown code quotes, for text
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", doc) if p.strip()]


def _attribute(module: ModuleType, dotted: str) -> Any:
    obj: Any = module
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
    return obj


def _by_name(op: str) -> Callable[..., Any] | None:
    from minigrad import ops
    from minigrad.nn import functional

    for namespace in (ops, functional):
        fn = getattr(namespace, op, None)
        if callable(fn) and rule_of(fn):
            return fn
    return None
