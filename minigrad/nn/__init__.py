"""`minigrad.nn`: modules, layers, losses, initialisers and training helpers.

`import minigrad.nn as nn` and `import minigrad.nn.functional as F`.
"""

from minigrad.nn import functional, init, utils
from minigrad.nn.layers import (
    BatchNorm1d,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from minigrad.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SVMLoss,
)
from minigrad.nn.model_summary import ModelSummary, summary
from minigrad.nn.module import Module, ModuleList, Parameter, Sequential, StateDictError

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Identity",
    "L1Loss",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "ModelSummary",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "SVMLoss",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "StateDictError",
    "Tanh",
    "functional",
    "init",
    "summary",
    "utils",
]
