"""Parity with torch.optim.lr_scheduler: the same sequence of rates (and momenta), exactly.

Both compute with Python floats in the same order, so the rates must be bit-identical.
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad import optim

torch = pytest.importorskip("torch")

STEPS = 25


def _sgd(module, tensor):
    w, b = tensor(np.ones(3)), tensor(np.zeros(2))
    groups = [{"params": [w]}, {"params": [b], "lr": 0.05}]
    return module.SGD(groups, lr=0.1, momentum=0.9)


def _adam(module, tensor):
    return module.Adam([tensor(np.ones(3))], lr=0.01, betas=(0.9, 0.99))


def _mg_tensor(a):
    return mg.tensor(a, requires_grad=True)


def _torch_tensor(a):
    return torch.tensor(a, requires_grad=True)


SCHEDULER_CASES = {
    "step": (_sgd, lambda s, o: s.StepLR(o, step_size=3, gamma=0.5)),
    "exponential": (_sgd, lambda s, o: s.ExponentialLR(o, gamma=0.9)),
    "cosine": (_sgd, lambda s, o: s.CosineAnnealingLR(o, T_max=7, eta_min=0.01)),
    "cosine-no-floor": (_sgd, lambda s, o: s.CosineAnnealingLR(o, T_max=5)),
    "linear-default": (_sgd, lambda s, o: s.LinearLR(o)),
    "linear-warmup": (_sgd, lambda s, o: s.LinearLR(o, start_factor=0.25, total_iters=6)),
    "linear-decay": (
        _sgd,
        lambda s, o: s.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=4),
    ),
    "sequential-warmup-cosine": (
        _sgd,
        lambda s, o: s.SequentialLR(
            o, [s.LinearLR(o, start_factor=0.1, total_iters=4), s.CosineAnnealingLR(o, 10)], [4]
        ),
    ),
    "sequential-three": (
        _sgd,
        lambda s, o: s.SequentialLR(
            o,
            [s.ExponentialLR(o, 0.9), s.StepLR(o, 3, 0.5), s.LinearLR(o, 0.5, total_iters=3)],
            [5, 12],
        ),
    ),
    "onecycle-sgd": (_sgd, lambda s, o: s.OneCycleLR(o, max_lr=0.1, total_steps=STEPS)),
    "onecycle-adam": (_adam, lambda s, o: s.OneCycleLR(o, max_lr=0.01, total_steps=STEPS + 5)),
    "onecycle-three-phase-linear": (
        _sgd,
        lambda s, o: s.OneCycleLR(
            o, max_lr=[0.1, 0.2], total_steps=STEPS, three_phase=True, anneal_strategy="linear"
        ),
    ),
    "onecycle-no-momentum": (
        _adam,
        lambda s, o: s.OneCycleLR(
            o, 0.02, epochs=5, steps_per_epoch=5, pct_start=0.4, cycle_momentum=False
        ),
    ),
}


def _trace(module, tensor, make_opt, make_sched):
    opt = make_opt(module, tensor)
    sched = make_sched(module.lr_scheduler, opt)
    trace = [_snapshot(opt, sched)]
    for _ in range(STEPS - 1):
        opt.step()
        sched.step()
        trace.append(_snapshot(opt, sched))
    return trace


def _snapshot(opt, sched):
    groups = opt.param_groups
    momenta = [g["momentum"] if "momentum" in g else g["betas"][0] for g in groups]
    return [float(x) for x in sched.get_last_lr()], [g["lr"] for g in groups], momenta


@pytest.mark.parametrize("name", list(SCHEDULER_CASES))
def test_scheduler_matches_torch_exactly(name):
    make_opt, make_sched = SCHEDULER_CASES[name]
    ours = _trace(optim, _mg_tensor, make_opt, make_sched)
    theirs = _trace(torch.optim, _torch_tensor, make_opt, make_sched)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"step {step}: {a} != {b}"
