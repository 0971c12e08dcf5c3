"""Optimizers and learning-rate schedules with the semantics of `torch.optim`, step for step.

`optim.SGD`, `Adagrad`, `Adadelta`, `RMSprop`, `Adam`, `AdamW` and `LBFGS` update
parameters in place from their `.grad`; `optim.lr_scheduler` changes their rates over time;
`optim.swa_utils.AveragedModel` keeps an average of a model's weights (SWA, EMA).
"""

from . import lr_scheduler, swa_utils
from .adam import Adam, AdamW
from .adaptive import Adadelta, Adagrad, RMSprop
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "AdamW",
    "LBFGS",
    "lr_scheduler",
    "swa_utils",
]
