"""minigrad.train.builders: every optimizer at the peak rate, weight decay groups, every
activation."""

import pytest
from train_helpers import small

from minigrad.train.builders import build_model, build_optimizer
from minigrad.train.config import ACTIVATIONS, OPTIMIZERS, TrainConfig
from minigrad.train.defaults import DEFAULT_LR, with_defaults


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_is_built_at_its_default_peak_rate(optimizer):
    cfg = with_defaults(small(optimizer=optimizer), "digits")
    opt = build_optimizer(cfg, build_model(cfg, 4, 3))
    assert [g["lr"] for g in opt.param_groups] == [DEFAULT_LR[optimizer]] * 2
    momentum = opt.param_groups[0].get("momentum", 0.0)
    assert momentum == (0.9 if optimizer in ("momentum", "nesterov") else momentum)


def test_weight_decay_applies_to_weight_matrices_only():
    cfg = with_defaults(small(hidden=(8,)), "digits")
    groups = build_optimizer(cfg, build_model(cfg, 4, 3)).param_groups
    assert [p.ndim for p in groups[0]["params"]] == [2, 2] and groups[0]["weight_decay"] == 0.05
    assert all(p.ndim == 1 for p in groups[1]["params"]) and groups[1]["weight_decay"] == 0.0


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_choice_builds(activation):
    cfg = with_defaults(TrainConfig(activation=activation, hidden=(5,)), "spiral")
    model = build_model(cfg, 2, 3)
    assert type(model[2]).__name__.lower().replace("leakyrelu", "leaky_relu") == activation
