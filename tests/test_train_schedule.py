"""minigrad.train.schedule: the recorded schedule plays the scheduler's exact values, and a
re-plan squeezes or stretches its tail without a jump."""

import numpy as np
import pytest
from train_helpers import small

from minigrad.train.builders import build_model, build_optimizer, build_scheduler
from minigrad.train.schedule import PlannedSchedule

SCHEDULED = ("lr", "betas", "momentum")


def _pair(**kw):
    cfg = small(**kw).resolved("digits")
    live = build_optimizer(cfg, build_model(cfg, 4, 3))
    played = build_optimizer(cfg, build_model(cfg, 4, 3))
    return cfg, live, played


def _values(opt):
    return [{k: g[k] for k in SCHEDULED if k in g} for g in opt.param_groups]


@pytest.mark.parametrize("schedule", ["cosine", "step", "exponential", "onecycle", "constant"])
@pytest.mark.parametrize("optimizer", ["adamw", "nesterov", "sgd"])
def test_without_replan_it_sets_exactly_the_schedulers_values(schedule, optimizer):
    cfg, live, played = _pair(schedule=schedule, optimizer=optimizer)
    scheduler, planned = build_scheduler(cfg, live, 50), PlannedSchedule(cfg, played, 50)
    for _ in range(50):
        assert _values(played) == _values(live)
        scheduler.step()
        planned.step()


def _run(planned, opt, steps, replans=()):
    rates = []
    for step in range(steps):
        for at, total in replans:
            if step == at:
                planned.replan(at, total)
        rates.append(opt.param_groups[0]["lr"])
        planned.step()
    return np.array(rates)


def test_a_replan_squeezes_the_cosine_tail_into_the_remaining_steps():
    cfg, _, opt = _pair()
    planned = PlannedSchedule(cfg, opt, 100)
    rates = _run(planned, opt, 70, replans=[(50, 70)])
    assert planned.total_steps == 70
    assert np.all(np.diff(rates[5:]) <= 0)  # still falling after the warm-up, no jump up
    steps_before = abs(rates[50] - rates[49])
    assert abs(rates[51] - rates[50]) < 3 * steps_before  # continuous: no jump at the re-plan
    assert rates[-1] < 0.01 * cfg.lr  # and it still ends at (nearly) zero
    assert opt.param_groups[0]["lr"] == 0.0  # the position after the last step: the end


def test_a_replan_can_stretch_the_tail_too():
    cfg, _, opt = _pair()
    planned = PlannedSchedule(cfg, opt, 40)
    rates = _run(planned, opt, 80, replans=[(20, 80)])
    assert np.all(np.diff(rates[2:]) <= 0) and rates[-1] < 0.01 * cfg.lr


def test_state_dict_restores_the_replans_bit_for_bit():
    cfg, _, opt = _pair(schedule="onecycle")
    planned = PlannedSchedule(cfg, opt, 60)
    _run(planned, opt, 30, replans=[(10, 50), (20, 40)])
    state = planned.state_dict()
    ahead = _run(planned, opt, 10)

    cfg, _, other = _pair(schedule="onecycle")
    restored = PlannedSchedule(cfg, other, 40)  # the re-planned length, as a resumed run has
    restored.load_state_dict(state)
    assert restored.total_steps == 40 and np.array_equal(_run(restored, other, 10), ahead)


def test_a_replan_must_end_after_the_step_it_is_made_at():
    cfg, _, opt = _pair()
    with pytest.raises(ValueError, match="must end later"):
        PlannedSchedule(cfg, opt, 10).replan(5, 5)
