"""`minigrad.nn.functional` (imported as `F`): stateless layers, activations and losses.

Every function here is differentiable to any order (`create_graph=True`); the hot ones
(`linear`, `cross_entropy`, `svm_loss`, `softmax`, `log_softmax`, `batch_norm`,
`batch_norm_relu`) are fused into one graph node each with a closed-form backward.
"""

from minigrad.nn.functional.activation import (
    leaky_relu,
    log_softmax,
    one_hot,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from minigrad.nn.functional.layer import batch_norm, batch_norm_relu, dropout, linear
from minigrad.nn.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
    nll_loss,
    svm_loss,
)

__all__ = [
    "batch_norm",
    "batch_norm_relu",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "l1_loss",
    "l1_penalty",
    "l2_penalty",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "relu",
    "sigmoid",
    "softmax",
    "svm_loss",
    "tanh",
]
