"""Loss modules: thin wrappers that keep the functional's keyword arguments."""

from collections.abc import Callable

from numpy.typing import ArrayLike

from minigrad.nn import functional as F
from minigrad.nn.functional.loss import check_reduction
from minigrad.nn.module import Module
from minigrad.tensor import Tensor

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "SVMLoss",
]


class CrossEntropyLoss(Module):
    """`F.cross_entropy(logits, target, reduction, label_smoothing)` as a module."""

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__()
        check_reduction(reduction, "CrossEntropyLoss")
        self.reduction = reduction
        self.label_smoothing = label_smoothing

    def forward(self, logits: Tensor, target: Tensor | ArrayLike) -> Tensor:
        return F.cross_entropy(logits, target, self.reduction, self.label_smoothing)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}, label_smoothing={self.label_smoothing}"


class SVMLoss(Module):
    """`F.svm_loss(scores, target, margin, reduction)` (multiclass hinge) as a module."""

    def __init__(self, margin: float = 1.0, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction(reduction, "SVMLoss")
        self.margin = margin
        self.reduction = reduction

    def forward(self, scores: Tensor, target: Tensor | ArrayLike) -> Tensor:
        return F.svm_loss(scores, target, self.margin, self.reduction)

    def extra_repr(self) -> str:
        return f"margin={self.margin}, reduction={self.reduction!r}"


class _ReducedLoss(Module):
    """A loss whose only option is `reduction`: `function(input, target, reduction)` as
    a module."""

    function: Callable[..., Tensor]  # the functional, set by each subclass

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor | ArrayLike) -> Tensor:
        return type(self).function(input, target, self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class MSELoss(_ReducedLoss):
    """`F.mse_loss(input, target, reduction)` as a module."""

    function = staticmethod(F.mse_loss)


class L1Loss(_ReducedLoss):
    """`F.l1_loss(input, target, reduction)` as a module."""

    function = staticmethod(F.l1_loss)


class NLLLoss(_ReducedLoss):
    """`F.nll_loss(log_probs, target, reduction)` as a module."""

    function = staticmethod(F.nll_loss)


class BCELoss(_ReducedLoss):
    """`F.binary_cross_entropy(probs, target, reduction)` as a module."""

    function = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_ReducedLoss):
    """`F.binary_cross_entropy_with_logits(logits, target, reduction)` as a module."""

    function = staticmethod(F.binary_cross_entropy_with_logits)
