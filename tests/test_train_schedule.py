"""minigrad.train.schedule: the rate is a function of the run's progress, set in the
optimizer's groups; a re-plan moves the end without a jump; the state restores bit for bit."""

import math

import numpy as np
import pytest
from train_helpers import small

from minigrad.optim import lr_scheduler
from minigrad.train.builders import build_model, build_optimizer
from minigrad.train.config import SCHEDULES
from minigrad.train.defaults import with_defaults
from minigrad.train.schedule import RunSchedule, lr_factor


def _optimizer(**kw):
    cfg = with_defaults(small(**kw), "digits")
    return cfg, build_optimizer(cfg, build_model(cfg, 4, 3))


def _rates(schedule, opt, steps, replans=()):
    rates = []
    for step in range(steps):
        for at, total in replans:
            if step == at:
                schedule.replan(total)
        rates.append(opt.param_groups[0]["lr"])
        schedule.step()
    return np.array(rates)


def test_warmup_climbs_to_the_peak_and_cosine_ends_near_zero():
    cfg, opt = _optimizer(warmup=0.1)
    rates = _rates(RunSchedule(opt, "cosine", 0.1, 100), opt, 100)
    np.testing.assert_allclose(rates[:10], cfg.lr * np.arange(1, 11) / 10)
    assert rates.max() == cfg.lr and np.all(np.diff(rates[9:]) <= 0)
    assert rates[-1] < 1e-3 * cfg.lr
    assert [g["lr"] for g in opt.param_groups] == [0.0, 0.0]  # every group, after the end


def test_after_the_warmup_cosine_matches_pytorchs_cosine_annealing():
    cfg, mine = _optimizer()
    _, torchlike = _optimizer()
    ours = _rates(RunSchedule(mine, "cosine", 0.0, 50), mine, 50)
    theirs = _rates(lr_scheduler.CosineAnnealingLR(torchlike, T_max=50), torchlike, 50)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_every_schedule_stays_within_the_peak_and_reaches_it(schedule):
    cfg, opt = _optimizer(schedule=schedule)
    rates = _rates(RunSchedule(opt, schedule, 0.05, 60), opt, 60)
    assert rates.max() == pytest.approx(cfg.lr) and rates.min() >= 0.0


def test_step_and_exponential_end_at_a_hundredth_of_the_peak():
    assert lr_factor("step", 0.0, 0.99, 1.0) == pytest.approx(0.01)
    assert lr_factor("exponential", 0.0, 1.0, 1.0) == pytest.approx(0.01)
    assert lr_factor("constant", 0.5, 0.25, 0.3) == pytest.approx(0.6)  # warming up


def test_onecycle_is_pytorchs_shape_and_cycles_beta1():
    cfg, opt = _optimizer(schedule="onecycle", optimizer="adam")
    schedule = RunSchedule(opt, "onecycle", 0.0, 100)
    assert opt.param_groups[0]["lr"] == pytest.approx(cfg.lr / 25)
    assert opt.param_groups[0]["betas"] == (pytest.approx(0.95), 0.999)
    for _ in range(30):
        schedule.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(cfg.lr)
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.85)
    for _ in range(70):
        schedule.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(cfg.lr / 25e4)


def test_onecycle_leaves_plain_sgd_without_momentum():
    _, opt = _optimizer(schedule="onecycle", optimizer="sgd")
    RunSchedule(opt, "onecycle", 0.0, 10).step()
    assert opt.param_groups[0]["momentum"] == 0.0


def test_a_replan_continues_the_rate_and_ends_the_cosine_at_the_new_total():
    cfg, opt = _optimizer()
    schedule = RunSchedule(opt, "cosine", 0.05, 100)
    rates = _rates(schedule, opt, 70, replans=[(50, 70)])
    assert schedule.total_steps == 70
    assert np.all(np.diff(rates[5:]) <= 0)  # still falling after the warm-up, no jump up
    before = abs(rates[50] - rates[49])
    assert abs(rates[51] - rates[50]) < 3 * before  # continuous: no jump at the re-plan
    assert rates[-1] < 0.01 * cfg.lr and opt.param_groups[0]["lr"] == 0.0


def test_a_replan_can_stretch_the_run_too():
    cfg, opt = _optimizer()
    schedule = RunSchedule(opt, "cosine", 0.05, 40)
    rates = _rates(schedule, opt, 80, replans=[(20, 80)])
    assert np.all(np.diff(rates[2:]) <= 0) and rates[-1] < 0.01 * cfg.lr


def test_state_dict_restores_the_replans_bit_for_bit():
    _, opt = _optimizer(schedule="onecycle")
    schedule = RunSchedule(opt, "onecycle", 0.05, 60)
    _rates(schedule, opt, 30, replans=[(10, 50), (20, 40)])
    state = schedule.state_dict()
    ahead = _rates(schedule, opt, 10)

    _, other = _optimizer(schedule="onecycle")
    restored = RunSchedule(other, "onecycle", 0.05, 999)
    restored.load_state_dict(state)
    assert restored.total_steps == 40 and np.array_equal(_rates(restored, other, 10), ahead)


def test_a_replan_must_end_after_the_current_step():
    _, opt = _optimizer()
    schedule = RunSchedule(opt, "cosine", 0.0, 10)
    for _ in range(5):
        schedule.step()
    with pytest.raises(ValueError, match="must end later"):
        schedule.replan(5)
    assert math.isclose(schedule.progress(5), 0.5)
