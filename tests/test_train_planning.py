"""minigrad.train.planning: the time budget holds when the machine slows down midway."""

import json

import numpy as np
from train_helpers import no_network, quiet, small  # noqa: F401

from minigrad.train import figures, fit, planning
from minigrad.train import run as run_module
from minigrad.train.checkpoint import load_checkpoint
from minigrad.train.loop import loss_function
from minigrad.train.planning import EpochBudget, Plan


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _budget(epochs=10, epoch_seconds=1.0, final=0.5):
    clock = Clock()
    deadline = epochs * epoch_seconds + final + 0.2
    return EpochBudget(Plan(epochs, epoch_seconds, final, deadline), clock), clock


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


def test_distillation_snapshots_still_to_come_are_kept_time_for():
    def after_one_epoch(snapshots):
        clock = Clock()
        plan = Plan(10, 1.0, 0.5, 10.7 + 2 * 1.5, snapshot_seconds=1.5)
        budget = EpochBudget(plan, clock)
        clock.now += 1.0
        return budget.replan(1, 10, snapshots)

    assert after_one_epoch(2) == 10  # the plan that kept 3 s for two snapshots
    assert after_one_epoch(1) == 10  # 1.5 s more: not the two more epochs a change needs
    assert after_one_epoch(0) == 1 + int(13.7 - 1.0 - 0.5)


def test_no_time_left_stops_after_the_current_epoch():
    assert _epochs(*_budget(), [1.0, 12.0]) == 2


class SlowingMachine:
    """The clock of a machine on which only loss computations (training and scoring steps)
    take time: `seconds` each, twice that once `halfway` seconds have passed. It stands in for
    `time` in the training modules, so what the run decides does not depend on how busy the
    machine running the test is."""

    def __init__(self, seconds: float, halfway: float):
        self.now, self.seconds, self.halfway = 1000.0, seconds, halfway
        self.start = self.now

    def time(self) -> float:
        return self.now

    perf_counter = time

    def loss_function(self, cfg):
        loss = loss_function(cfg)

        def slowed(logits, y):
            slow = self.now - self.start > self.halfway
            self.now += self.seconds * (2 if slow else 1)
            return loss(logits, y)

        return slowed


def test_a_run_whose_steps_become_twice_as_slow_midway_ends_within_its_budget(
    tmp_path, monkeypatch
):
    limit = 8.0
    machine = SlowingMachine(seconds=0.008, halfway=limit / 2)
    for module in (run_module, planning):  # the plan times the same steps as the run
        monkeypatch.setattr(module, "time", machine)
        monkeypatch.setattr(module, "loss_function", machine.loss_function)
    monkeypatch.setattr(figures, "matplotlib_missing", lambda: True)  # drawn after the budget
    lines = []
    fit(small(epochs=None, time_limit=limit, batch_size=64), tmp_path, log=lines.append)
    elapsed = machine.now - machine.start

    assert limit / 2 < elapsed <= 1.05 * limit, lines
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    plan_line = next(line for line in lines if line.startswith("time limit:") and "->" in line)
    planned = int(plan_line.split("-> ")[1].split()[0])
    assert metrics["epochs_completed"] == metrics["epochs"] < planned
    assert any("behind plan" in line for line in lines)
    assert any("replanned_epochs" in entry for entry in metrics["history"])
    state = load_checkpoint(tmp_path / "checkpoint.npz")
    assert state["schedule"]["replanned_at"][0] > 0  # re-planned after some step
    last_lr = metrics["history"][-1]["lr_start"]
    assert last_lr < 0.1 * max(entry["lr_start"] for entry in metrics["history"])


def test_fixed_epoch_runs_are_never_replanned(tmp_path, monkeypatch):
    machine = SlowingMachine(seconds=0.002, halfway=0.2)
    monkeypatch.setattr(run_module, "time", machine)
    monkeypatch.setattr(run_module, "loss_function", machine.loss_function)
    result = fit(small(epochs=4), tmp_path, log=quiet)
    assert result.metrics["epochs"] == 4
    assert np.all(["replanned_epochs" not in e for e in result.metrics["history"]])
