"""minigrad.train.planning: the time budget holds when the machine slows down midway."""

import json
import time

import numpy as np
from train_helpers import no_network, quiet, small  # noqa: F401

from minigrad.train import figures, fit, planning
from minigrad.train import run as run_module
from minigrad.train.checkpoint import load_checkpoint
from minigrad.train.loop import loss_function
from minigrad.train.planning import Budget, Plan


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _budget(epochs=10, epoch_seconds=1.0, final=0.5):
    clock = Clock()
    deadline = epochs * epoch_seconds + final + 0.2
    return Budget(Plan(epochs, epoch_seconds, final, deadline), clock), clock


def _epochs(budget, clock, durations, planned=10):
    for done, seconds in enumerate(durations, 1):
        clock.now += seconds
        planned = budget.replan(done, planned)
    return planned


def test_epochs_at_the_planned_pace_keep_the_plan():
    assert _epochs(*_budget(), [1.0] * 9) == 10


def test_one_slow_epoch_costs_only_its_own_time():
    # 3 s lost: 2 epochs fewer, not the 6 a pace of 3 s per epoch would cut
    assert _epochs(*_budget(), [1.0, 1.0, 3.0]) == 8


def test_a_lasting_slowdown_cuts_the_epochs_to_what_fits():
    budget, clock = _budget()
    planned = _epochs(budget, clock, [1.0, 1.0, 2.0, 2.0])
    assert planned == 4 + int((10.2 - 6.0) / 2.0)


def test_a_faster_machine_gets_more_epochs_only_when_two_more_fit():
    assert _epochs(*_budget(), [0.9, 0.9]) == 10
    assert _epochs(*_budget(), [0.5, 0.5]) == 2 + int((10.2 - 1.0) / 0.5)


def test_no_time_left_stops_after_the_current_epoch():
    assert _epochs(*_budget(), [1.0, 12.0]) == 2


def _slowed_down_loss(start: float, halfway: float, seconds: float):
    """`loss_function` whose every call sleeps `seconds`, twice that after `halfway` s: a
    machine whose training steps become twice as slow midway."""

    def make(cfg):
        loss = loss_function(cfg)

        def slowed(logits, y):
            time.sleep(seconds * (2 if time.time() - start > halfway else 1))
            return loss(logits, y)

        return slowed

    return make


def test_a_run_whose_steps_become_twice_as_slow_midway_ends_within_its_budget(
    tmp_path, monkeypatch
):
    limit = 8.0
    start = time.time()
    slowed = _slowed_down_loss(start, limit / 2, seconds=0.008)
    monkeypatch.setattr(run_module, "loss_function", slowed)
    monkeypatch.setattr(planning, "loss_function", slowed)  # the plan times the same steps
    monkeypatch.setattr(figures, "matplotlib_missing", lambda: True)  # drawn after the budget
    lines = []
    fit(small(epochs=None, time_limit=limit, batch_size=64), tmp_path, log=lines.append)
    elapsed = time.time() - start

    assert elapsed <= 1.05 * limit, lines
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    plan_line = next(line for line in lines if line.startswith("time limit:") and "->" in line)
    planned = int(plan_line.split("-> ")[1].split()[0])
    assert metrics["epochs_completed"] == metrics["epochs"] < planned
    assert any("behind plan" in line for line in lines)
    assert any("replanned_epochs" in entry for entry in metrics["history"])
    state = load_checkpoint(tmp_path / "checkpoint.npz")
    assert state["scheduler"]["replans"]
    last_lr = metrics["history"][-1]["lr_start"]
    assert last_lr < 0.1 * max(entry["lr_start"] for entry in metrics["history"])


def test_fixed_epoch_runs_are_never_replanned(tmp_path, monkeypatch):
    slowed = _slowed_down_loss(time.time(), 0.2, seconds=0.002)
    monkeypatch.setattr(run_module, "loss_function", slowed)
    result = fit(small(epochs=4), tmp_path, log=quiet)
    assert result.metrics["epochs"] == 4
    assert np.all(["replanned_epochs" not in e for e in result.metrics["history"]])
