"""minigrad.train.builders: every schedule with every optimizer, weight decay groups."""

import pytest
from train_helpers import small

from minigrad.train.builders import build_model, build_optimizer, build_scheduler
from minigrad.train.config import ACTIVATIONS, TrainConfig


@pytest.mark.parametrize("schedule", ["cosine", "step", "exponential", "onecycle", "constant"])
@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adagrad", "adadelta", "rmsprop", "adam"])
def test_every_schedule_runs_its_steps_with_every_optimizer(schedule, optimizer):
    cfg = small(schedule=schedule, optimizer=optimizer).resolved("digits")
    model = build_model(cfg, 4, 3)
    opt = build_optimizer(cfg, model)
    sched = build_scheduler(cfg, opt, total_steps=20)
    rates = []
    for _ in range(20):
        opt.step()
        sched.step()
        rates.append(opt.param_groups[0]["lr"])
    assert max(rates) <= cfg.lr * (1 + 1e-9) and all(r >= 0 for r in rates)


def test_weight_decay_applies_to_weight_matrices_only():
    cfg = small(hidden=(8,)).resolved("digits")
    groups = build_optimizer(cfg, build_model(cfg, 4, 3)).param_groups
    assert [p.ndim for p in groups[0]["params"]] == [2, 2] and groups[0]["weight_decay"] == 0.05
    assert all(p.ndim == 1 for p in groups[1]["params"]) and groups[1]["weight_decay"] == 0.0


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_choice_builds(activation):
    cfg = TrainConfig(activation=activation, hidden=(5,)).resolved("spiral")
    model = build_model(cfg, 2, 3)
    assert type(model[2]).__name__.lower().replace("leakyrelu", "leaky_relu") == activation
