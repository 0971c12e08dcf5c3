"""Learning-rate schedules against tables of expected rates, invalid arguments, and resume."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler as sched

COS = [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(9)]  # cosine over T_max = 4


def sgd(lr=1.0, momentum=0.0):
    return optim.SGD([mg.tensor(np.zeros(2), requires_grad=True)], lr=lr, momentum=momentum)


def rates(scheduler, steps):
    """The rate after construction and after each of `steps - 1` steps."""
    out = [scheduler.get_last_lr()[0]]
    for _ in range(steps - 1):
        scheduler.optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr()[0])
        assert scheduler.optimizer.param_groups[0]["lr"] == out[-1]
    return out


TABLES = {
    "step": (lambda o: sched.StepLR(o, 2, gamma=0.5), [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]),
    "exponential": (lambda o: sched.ExponentialLR(o, 0.5), [1, 0.5, 0.25, 0.125, 0.0625]),
    "cosine": (lambda o: sched.CosineAnnealingLR(o, T_max=4), COS),
    "cosine-eta-min": (
        lambda o: sched.CosineAnnealingLR(o, T_max=4, eta_min=0.2),
        [0.2 + 0.8 * c for c in COS],
    ),
    "linear-warmup": (
        lambda o: sched.LinearLR(o, start_factor=0.5, total_iters=4),
        [0.5, 0.625, 0.75, 0.875, 1, 1, 1],
    ),
    "linear-default": (lambda o: sched.LinearLR(o), [1 / 3 + 2 / 15 * t for t in range(6)] + [1]),
    "linear-decay": (
        lambda o: sched.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=2),
        [1, 0.5, 0, 0],
    ),
    "sequential": (
        lambda o: sched.SequentialLR(
            o, [sched.LinearLR(o, 0.5, total_iters=2), sched.ExponentialLR(o, 0.5)], [2]
        ),
        [0.5, 0.75, 1, 0.5, 0.25],
    ),
    "sequential-three": (
        lambda o: sched.SequentialLR(
            o,
            [sched.ExponentialLR(o, 0.5), sched.StepLR(o, 1, 0.1), sched.ExponentialLR(o, 0.9)],
            [2, 4],
        ),
        [1, 0.5, 1, 0.1, 1, 0.9, 0.81],
    ),
}


@pytest.mark.parametrize("name", list(TABLES))
def test_schedule_matches_table(name):
    make, expected = TABLES[name]
    np.testing.assert_allclose(rates(make(sgd()), len(expected)), expected, rtol=1e-12, atol=1e-15)


def test_scheduler_scales_every_group_from_its_own_rate():
    w, b = (mg.tensor(np.zeros(2), requires_grad=True) for _ in range(2))
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.1}], lr=1.0)
    scheduler = sched.ExponentialLR(opt, 0.5)
    opt.step()
    scheduler.step()
    assert scheduler.get_last_lr() == [0.5, 0.05]
    assert [g["initial_lr"] for g in opt.param_groups] == [1.0, 0.1]


def test_onecycle_linear_table_with_momentum():
    opt = sgd(momentum=0.9)
    scheduler = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="linear")
    momenta = [opt.param_groups[0]["momentum"]]
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(9):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
        momenta.append(opt.param_groups[0]["momentum"])
    # Warm-up ends at step pct_start * 10 - 1 = 2, then 7 steps down to 1 / (25 * 1e4).
    expected_lr = [0.04, 0.52, 1.0] + [1 + (4e-6 - 1) * k / 7 for k in range(1, 8)]
    expected_momentum = [0.95, 0.90, 0.85] + [0.85 + 0.1 * k / 7 for k in range(1, 8)]
    np.testing.assert_allclose(lrs, expected_lr, rtol=1e-12)
    np.testing.assert_allclose(momenta, expected_momentum, rtol=1e-12)
    scheduler.step()  # like torch, one step past the end is still allowed (extrapolated)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        scheduler.step()


def test_onecycle_cosine_cycles_adam_beta1():
    opt = optim.Adam([mg.tensor(np.zeros(2), requires_grad=True)], betas=(0.9, 0.99))
    scheduler = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    assert opt.param_groups[0]["betas"] == (0.95, 0.99)
    opt.step()
    scheduler.step()
    # Half-way through the warm-up: cosine gives the mean of the two ends.
    assert scheduler.get_last_lr()[0] == pytest.approx(0.52, rel=1e-12)
    assert opt.param_groups[0]["betas"] == (pytest.approx(0.9, rel=1e-12), 0.99)


def test_onecycle_three_phase_returns_to_the_start_before_annealing():
    scheduler = sched.OneCycleLR(
        sgd(momentum=0.9), 1.0, total_steps=10, pct_start=0.25, three_phase=True
    )
    lrs = rates(scheduler, 10)
    # Phases end at steps 1.5, 3 and 9: up to max_lr, back down to 0.04, then to 4e-6.
    assert lrs[0] == pytest.approx(0.04) and lrs[3] == pytest.approx(0.04)
    assert max(lrs) < 1.0 and lrs[-1] == pytest.approx(4e-6)


SCHEDULERS = {
    "step": lambda o: sched.StepLR(o, 3, gamma=0.5),
    "exponential": lambda o: sched.ExponentialLR(o, 0.9),
    "cosine": lambda o: sched.CosineAnnealingLR(o, 5, eta_min=0.01),
    "linear": lambda o: sched.LinearLR(o, 0.2, total_iters=6),
    "sequential": lambda o: sched.SequentialLR(
        o, [sched.LinearLR(o, 0.1, total_iters=3), sched.CosineAnnealingLR(o, 8)], [3]
    ),
    "onecycle": lambda o: sched.OneCycleLR(o, max_lr=0.5, total_steps=12),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_resume_from_state_dict(name):
    make = SCHEDULERS[name]
    straight = rates(make(sgd(momentum=0.9)), 12)

    opt = sgd(momentum=0.9)
    first = make(opt)
    before = rates(first, 5)
    opt_state, sched_state = opt.state_dict(), first.state_dict()
    opt2 = sgd(momentum=0.9)
    second = make(opt2)
    opt2.load_state_dict(opt_state)  # after building the scheduler, which resets the rates
    second.load_state_dict({k: _npz(v) for k, v in sched_state.items()})
    after = rates(second, 8)[1:]
    assert before + after == straight


def _npz(value):
    """Numbers as 0-d arrays, as after `mg.save`/`mg.load`."""
    return np.array(value) if isinstance(value, (int, float)) else value


INVALID = [
    (lambda o: sched.StepLR(o, 0), "step_size: 0"),
    (lambda o: sched.StepLR(o, -2), "step_size: -2"),
    (lambda o: sched.StepLR(o, 1.5), "step_size: 1.5"),
    (lambda o: sched.StepLR(o, 2, gamma=0.0), "gamma: 0.0"),
    (lambda o: sched.StepLR(o, 2, gamma=math.nan), "gamma: nan"),
    (lambda o: sched.ExponentialLR(o, -0.5), "gamma: -0.5"),
    (lambda o: sched.CosineAnnealingLR(o, 0), "T_max: 0"),
    (lambda o: sched.CosineAnnealingLR(o, 5, eta_min=-1.0), "eta_min: -1.0"),
    (lambda o: sched.LinearLR(o, start_factor=0.0), "start_factor: 0.0"),
    (lambda o: sched.LinearLR(o, start_factor=1.5), "start_factor: 1.5"),
    (lambda o: sched.LinearLR(o, end_factor=-0.1), "end_factor: -0.1"),
    (lambda o: sched.LinearLR(o, total_iters=0), "total_iters: 0"),
    (lambda o: sched.SequentialLR(o, [], []), "at least one scheduler"),
    (lambda o: sched.SequentialLR(o, [sched.StepLR(o, 2)], [3]), "len"),
    (lambda o: sched.SequentialLR(o, [sched.StepLR(sgd(), 2)], []), "same optimizer"),
    (lambda o: sched.OneCycleLR(o, 1.0, total_steps=0), "total_steps: 0"),
    (lambda o: sched.OneCycleLR(o, 1.0), "total_steps OR"),
    (lambda o: sched.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=0), "steps_per_epoch: 0"),
    (lambda o: sched.OneCycleLR(o, 1.0, 10, pct_start=1.5), "pct_start: 1.5"),
    (lambda o: sched.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"), "anneal_strategy: 'exp'"),
    (lambda o: sched.OneCycleLR(o, -1.0, 10), "max_lr: -1.0"),
    (lambda o: sched.OneCycleLR(o, [1.0, 2.0], 10), "one value per parameter group"),
    (lambda o: sched.OneCycleLR(o, 1.0, 10, div_factor=0), "div_factor: 0"),
]


@pytest.mark.parametrize("make, message", INVALID, ids=[m for _, m in INVALID])
def test_invalid_scheduler_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make(sgd())


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="not an Optimizer"):
        sched.StepLR(object(), 2)
    with pytest.raises(TypeError, match="not an Optimizer"):
        sched.OneCycleLR(object(), 1.0, 10)


def test_onecycle_momentum_needs_momentum_or_betas():
    opt = optim.Adagrad([mg.tensor(np.zeros(2), requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or beta1"):
        sched.OneCycleLR(opt, 1.0, 10)
    sched.OneCycleLR(opt, 1.0, 10, cycle_momentum=False)
