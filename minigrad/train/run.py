"""`fit`: one training run, top to bottom.

1. decide what to train: a new run's settings are checked, a resumed run's come from its
   checkpoint (`resume`); check the run folder (never overwriting a run by accident),
   resolve and load the data, and only then make the folder;
2. build the model, optimizer and schedule (`builders`), planning the epochs from a time
   limit if there is one (`planning`);
3. train epoch by epoch (`loop`), after each one writing `checkpoint.npz` (lean: the fixed
   preprocessing sits beside it once, in `preprocess.npz`), `metrics.json` and
   `history.csv`, printing the epoch line and calling the callbacks;
4. score the final model, print the per-class table, draw the figures (`evaluate`) unless
   `config.figures` is off.

A resumed run continues with results identical to an uninterrupted one: shuffles,
augmentations and dropout masks are drawn from `(seed, epoch)`, and everything else that
changes during training is in the checkpoint.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

import numpy as np

import minigrad as mg
from minigrad.data import DataLoader, TensorDataset
from minigrad.data.datasets import DownloadError
from minigrad.train.averaging import WeightAverage
from minigrad.train.builders import build_model, build_optimizer, freeze_fixed, reseed_dropout
from minigrad.train.checkpoint import save_checkpoint
from minigrad.train.config import ConfigError, TrainConfig
from minigrad.train.data import Splits, prepare_data, resolve_dataset
from minigrad.train.defaults import filled, with_defaults
from minigrad.train.evaluate import class_report, draw_figures, run_drawings
from minigrad.train.loop import (
    SNAPSHOTS,
    VIEW_WORDS,
    Distillation,
    DivergedError,
    Mixing,
    loss_function,
    score,
    snapshots_due,
    teacher_probabilities,
    train_epoch,
    tta_views,
)
from minigrad.train.mixing import build_mixer, mixing_rng
from minigrad.train.model import TrainedModel
from minigrad.train.planning import EpochBudget, plan_epochs
from minigrad.train.report import EpochProgress, epoch_line
from minigrad.train.resume import resume_run
from minigrad.train.rundir import (
    CHECKPOINT,
    CONFIG,
    DATA_FILE,
    FIGURES,
    check_new_run_dir,
    clear_run_dir,
    default_run_dir,
    write_history_csv,
    write_json,
)
from minigrad.train.schedule import RunSchedule

__all__ = ["fit"]

Log = Callable[[str], object]
Callback = Callable[[dict[str, Any]], object]


def fit(
    config: TrainConfig,
    out_dir: str | os.PathLike | None = None,
    *,
    resume: bool = False,
    force: bool = False,
    callbacks: Iterable[Callback] = (),
    stop_after: int | None = None,
    log: Log = print,
    stream: TextIO | None = None,
    given: Mapping[str, Any] | None = None,
) -> TrainedModel:
    """Train as `config` says, writing the run into `out_dir`; return the trained model.

    Args:
        config: the settings; `None` fields take the dataset's defaults (`defaults`).
        out_dir: the run folder (default `runs/<dataset>-<date>-<time>`). A folder that
            already holds a run raises `RunExistsError` unless `resume` or `force`.
        resume: continue the run saved in `out_dir`, with its saved settings (see
            `resume.resume_run`): the fields of `config` changed from their defaults must
            agree with them (else `ValueError` listing them), except `data_dir`, which says
            where the data is now, and `figures`, which `config` sets.
        force: delete the run in `out_dir` and start a new one.
        callbacks: each called as `callback(entry)` after every epoch, once its checkpoint
            and metrics are written, with that epoch's history dict (`epoch`, `train_loss`,
            `train_accuracy`, `val_loss`/`val_accuracy` with a validation split, `lr_start`,
            `epoch_seconds`, ...). A true return value stops training after that epoch (the
            run then finishes normally, `"stopped_early": true` in metrics.json); an
            exception propagates out of `fit`.
        stop_after: train at most this many epochs in this call (continue with `resume`).
        log: prints a line; the first names the run folder, the next the dataset and why.
        stream: where progress goes (default stderr).
        given: with `resume`, the settings to hold against the saved run instead of the
            changed fields of `config` (the command line passes every option typed).

    Returns:
        a `TrainedModel`: `.model` (eval mode), `.metrics` (as in metrics.json), `.run_dir`,
        `.config` (with the defaults filled in), `.predict(x)`.

    Raises:
        DivergedError: the training loss became NaN or infinite (the previous epoch's
            checkpoint stays).
        KeyboardInterrupt: with `.run_dir` and `.epochs_saved` set, after logging them.
    """
    previous = mg.get_float32_matmul_precision()  # the run sets its own, then puts it back
    try:
        return _fit(config, out_dir, resume, force, callbacks, stop_after, log, stream, given)
    finally:
        mg.set_float32_matmul_precision(previous)


def _fit(
    config: TrainConfig,
    out_dir: str | os.PathLike | None,
    resume: bool,
    force: bool,
    callbacks: Iterable[Callback],
    stop_after: int | None,
    log: Log,
    stream: TextIO | None,
    given: Mapping[str, Any] | None,
) -> TrainedModel:
    """`fit`, with the run's float32 matmul precision set once its settings are known."""
    started = time.time()
    if resume and force:
        raise ValueError("give resume (--resume) or force (--force), not both")
    state = None
    if resume:
        if out_dir is None:
            raise ValueError("resume needs out_dir, the folder of the run to continue")
        out = Path(out_dir)
        if given is None:
            given = config.changed_fields() | {"figures": config.figures}
        config, state = resume_run(out, given)
    else:
        config.validate()
    _check_data_dir(config)
    name, sentence = resolve_dataset(config.dataset, config.data_dir)
    if state is not None:
        log(f"run folder: {out} (resuming after epoch {state['epoch']} of {state['epochs']})")
    else:
        out = Path(out_dir) if out_dir is not None else default_run_dir(name)
        earlier = check_new_run_dir(out, force)
        log(f"run folder: {out}")
    log(sentence)
    run = None
    try:
        cfg, splits = _load(config, name, log)
        mg.set_float32_matmul_precision(filled(cfg.matmul_precision))
        if state is None:  # the folder is made once the data is there
            write_json(cfg.to_dict(), clear_run_dir(out, earlier) / CONFIG)
        run = _Run(cfg, splits, log, started, None if state is None else state["epochs"])
        if state is not None:
            run.restore(state)
        _describe(run, log)
        stopped = _train(run, out, callbacks, stop_after, stream)
    except DivergedError as err:
        err.run_dir = out
        raise
    except KeyboardInterrupt as err:
        err.run_dir = out  # type: ignore[attr-defined]
        saved = run.epoch if run is not None else (state or {}).get("epoch", 0)
        err.epochs_saved = saved  # type: ignore[attr-defined]
        log(f"interrupted: {saved} finished epoch(s) saved in {out}")
        raise
    return _finish(run, out, log, started, stopped)


def _check_data_dir(config: TrainConfig) -> None:
    """A given data folder must exist: a mistyped path is an error, never a new folder."""
    if config.data_dir is not None and not Path(config.data_dir).expanduser().exists():
        raise ConfigError(
            "data_dir",
            f"is {config.data_dir}, which does not exist: give the folder that holds "
            "cifar-10-batches-py/ or cifar-10-python.tar.gz (create it first to download "
            "CIFAR-10 into it), or leave it out to use the default data folder",
        )


def _load(config: TrainConfig, name: str, log: Log) -> tuple[TrainConfig, Splits]:
    """`(config with defaults, splits)`; a failed download under `dataset="auto"` falls
    back to the bundled digits. The config records the validation size the data used."""
    cfg = with_defaults(config, name)
    try:
        splits = prepare_data(
            name, cfg.data_dir, cfg.val_size, cfg.augment, cfg.zca, log, cfg.affine, filled(cfg.pca)
        )
    except DownloadError as err:
        if config.dataset != "auto":
            raise
        log(f"CIFAR-10 download failed ({str(err).splitlines()[0]}); using the bundled digits")
        cfg = with_defaults(config, "digits")
        splits = prepare_data(
            "digits", cfg.data_dir, cfg.val_size, cfg.augment, cfg.zca, log, cfg.affine
        )
    return dataclasses.replace(cfg, val_size=splits.val_size), splits


class _Run:
    """Everything one training run holds: data, model, optimizer, schedule, history."""

    def __init__(
        self, cfg: TrainConfig, splits: Splits, log: Log, started: float, epochs: int | None
    ):
        self.cfg, self.splits, self.log = cfg, splits, log
        arrays = [splits.x_train, splits.y_train]
        if cfg.distill:  # batches carry their samples' indices, to look up their targets
            arrays.append(np.arange(len(splits.y_train)))
        self.loader = DataLoader(
            TensorDataset(*arrays),
            filled(cfg.batch_size),
            shuffle=True,
            seed=cfg.seed,
            transform=splits.transform,
        )
        self.budget: EpochBudget | None = None  # a resumed run keeps its checkpoint's plan
        if epochs is None and cfg.epochs is None:
            budget = filled(cfg.time_limit) - (time.time() - started)
            plan = plan_epochs(cfg, self.loader, splits, budget, log)
            epochs, self.budget = plan.epochs, EpochBudget(plan)
        self.epochs: int = filled(epochs or cfg.epochs)
        self.model = build_model(
            cfg, splits.in_features, splits.num_classes, splits.preprocess.basis
        )
        self.average: WeightAverage | None = None
        if cfg.ema:
            self.average = WeightAverage(self.model, cfg.ema)
        # What the run scores, predicts with and saves as its model: the average, with --ema.
        self.scored = self.model if self.average is None else self.average.model
        self.opt = build_optimizer(cfg, self.model)
        self.schedule = RunSchedule(
            self.opt, cfg.schedule, cfg.warmup, self.epochs * len(self.loader)
        )
        self.loss_fn = loss_function(cfg)
        self.mixer = build_mixer(cfg, splits.preprocess.input_shape)
        self.views = tta_views(filled(cfg.tta), splits.preprocess.input_shape)
        self.distill: Distillation | None = None  # --distill's targets, once taken
        self.snapshots = 0  # of SNAPSHOTS taken so far
        self.history: list[dict] = []
        self.epoch = 0
        self.train_seconds = 0.0
        self.monitor = "val" if splits.val is not None else "test" if splits.test else None

    def state(self) -> dict:
        return {
            "config": self.cfg.to_dict(),
            "data": {
                "preprocess": self.splits.preprocess.state(),
                "class_names": list(self.splits.class_names),
            },
            "model": self.model.state_dict(),
            **({} if self.average is None else {"ema": self.average.state_dict()}),
            **({} if self.distill is None else {"distill": self._distill_state()}),
            "optimizer": self.opt.state_dict(),
            "schedule": self.schedule.state_dict(),
            "loader": self.loader.state_dict(),
            "epoch": self.epoch,
            "epochs": self.epochs,
            "history": self.history,
            "train_seconds": self.train_seconds,
        }

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        freeze_fixed(self.model)
        if self.average is not None:
            self.average.load_state_dict(state["ema"])
        if "distill" in state:
            self.snapshots = int(state["distill"]["snapshots"])
            self.distill = Distillation(state["distill"]["targets"], self.cfg.distill)
        self.opt.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.loader.load_state_dict(state["loader"])
        self.epoch = int(state["epoch"])
        self.history = list(state["history"])
        self.train_seconds = float(state["train_seconds"])

    def run_epoch(self, stream: TextIO | None) -> dict:
        """Train one epoch, score the monitored split, return the history entry."""
        cfg, start = self.cfg, time.perf_counter()
        reseed_dropout(self.model, cfg.seed, self.epoch)
        desc = f"epoch {self.epoch + 1}/{self.epochs}"
        progress = EpochProgress(len(self.loader), desc, stream or sys.stderr)
        lr = self.opt.param_groups[0]["lr"]
        self._snapshot()
        try:
            waited = train_epoch(
                self.model,
                self.loader,
                self.opt,
                self.schedule,
                self.loss_fn,
                progress,
                self.epoch + 1,
                self.average,
                self._mixing(),
                self.distill,
            )
        finally:
            progress.close()
        entry = {
            "epoch": self.epoch + 1,
            "train_loss": progress.loss,
            "train_accuracy": progress.accuracy,
            "lr_start": lr,
            "samples_per_second": progress.samples_per_second,
            "data_wait_seconds": waited,
        }
        if self.monitor is not None:
            x, y = getattr(self.splits, self.monitor)
            scores = score(self.scored, x, y, self.loss_fn)  # monitoring: no --tta views
            entry[f"{self.monitor}_loss"] = scores.loss
            entry[f"{self.monitor}_accuracy"] = scores.accuracy
        entry["epoch_seconds"] = time.perf_counter() - start
        return entry

    def _distill_state(self) -> dict:
        assert self.distill is not None
        return {"targets": self.distill.targets, "snapshots": self.snapshots}

    def _snapshot(self) -> None:
        """`--distill`: once the run passes the next of `SNAPSHOTS`, score the training
        images with the scored model and the `--tta` views: the targets from then on."""
        due = snapshots_due(self.epoch, self.epochs)
        if not self.cfg.distill or due <= self.snapshots:
            return
        start = time.perf_counter()
        targets = teacher_probabilities(self.scored, self.splits.train_inputs(), self.views)
        self.distill, self.snapshots = Distillation(targets, self.cfg.distill), due
        right = float(np.mean(targets.argmax(axis=1) == self.splits.y_train))
        self.log(
            f"distillation targets from the model after epoch {self.epoch}: "
            f"{100 * right:.2f}% of the training images right, "
            f"{time.perf_counter() - start:.1f}s"
        )

    def _mixing(self) -> Mixing | None:
        """This epoch's mixing, drawn from `(seed, epoch)`, or None without it."""
        if self.mixer is None:
            return None
        return functools.partial(self.mixer.batches, rng=mixing_rng(self.cfg.seed, self.epoch))

    def replan(self, entry: dict) -> str | None:
        """Fit the epochs still to run into the time left (`EpochBudget`). A change moves the
        schedule's end, is noted in `entry` as `replanned_epochs`, and is described by the
        returned line. Runs without a time limit have no budget and are never re-planned."""
        if self.budget is None:
            return None
        left = len(SNAPSHOTS) - self.snapshots if self.cfg.distill else 0
        epochs = self.budget.replan(self.epoch, self.epochs, left)
        if epochs == self.epochs:
            return None
        if epochs > self.epoch:
            self.schedule.replan(epochs * len(self.loader))
        behind = "behind" if epochs < self.epochs else "ahead of"
        line = f"time limit: {behind} plan, re-planned from {self.epochs} to {epochs} epochs"
        entry["replanned_epochs"] = self.epochs = epochs
        return line

    def metrics(self) -> dict:
        return {
            "dataset": self.cfg.dataset,
            "epochs_completed": self.epoch,
            "epochs": self.epochs,
            "train_seconds": self.train_seconds,
            "history": self.history,
        }


def _train(
    run: _Run,
    out: Path,
    callbacks: Iterable[Callback],
    stop_after: int | None,
    stream: TextIO | None,
) -> bool:
    """Train up to the last epoch of this call; True if a callback stopped it early."""
    stop = math.inf if stop_after is None else run.epoch + stop_after
    while run.epoch < min(run.epochs, stop):
        entry = run.run_epoch(stream)
        run.history.append(entry)
        run.epoch += 1
        run.train_seconds += entry["epoch_seconds"]
        line = epoch_line(entry, run.epochs)  # "epoch 5/30" with the plan it ran under
        replanned = run.replan(entry)
        save_checkpoint(run.state(), out / CHECKPOINT, lean=True)
        write_json(run.metrics(), out / "metrics.json")
        write_history_csv(run.history, out / "history.csv")
        run.log(line)
        if replanned:
            run.log(replanned)
        answers = [callback(dict(entry)) for callback in callbacks]
        if any(answer is not None and bool(answer) for answer in answers):
            run.log(f"stopped after epoch {run.epoch} by a callback")
            return True
    return False


def _describe(run: _Run, log: Log) -> None:
    cfg, s = run.cfg, run.splits
    sizes = f"{len(s.y_train)} train"
    for part in ("val", "test"):
        if getattr(s, part) is not None:
            sizes += f", {len(getattr(s, part)[1])} {part}"
    pca = [f"{cfg.pca}(pca)"] if cfg.pca else []
    widths = "-".join(str(w) for w in (s.in_features, *pca, *filled(cfg.hidden), s.num_classes))
    extras = [f"{name} {getattr(cfg, name):g}" for name in ("ema", "mixup", "cutmix")]
    if any(cfg.affine):
        extras.append("affine {:g} degrees, scale {:g}".format(*cfg.affine))
    log(
        f"{sizes}; MLP {widths} ({cfg.activation}{', batchnorm' if cfg.batch_norm else ''}); "
        f"{cfg.optimizer} lr {cfg.lr:g}, {cfg.schedule} schedule, {run.epochs} epochs of "
        f"{len(run.loader)} batches of {cfg.batch_size}"
        + "".join(f", {extra}" for extra in extras if not extra.endswith(" 0"))
    )
    if cfg.matmul_precision != "highest":
        log(f"matrix products: --matmul-precision {cfg.matmul_precision}: {mg.matmul_backend()}")


def _finish(run: _Run, out: Path, log: Log, started: float, stopped: bool) -> TrainedModel:
    """Score the final model, write metrics.json and (unless `figures` is off) the figures,
    print the result. The wall time this run runs from `started` to the final score."""
    run.scored.eval()
    metrics = {**run.metrics(), "stopped_early": stopped}
    trained = TrainedModel(
        run.scored, run.cfg, run.splits.preprocess, run.splits.class_names, out, metrics, run.epoch
    )
    done = stopped or run.epoch >= run.epochs
    if done:  # the finished run's checkpoint holds everything: it travels alone
        save_checkpoint(run.state(), out / CHECKPOINT)
        (out / DATA_FILE).unlink(missing_ok=True)
    report = _final_scores(run, metrics, log) if done else None
    wall = metrics["wall_seconds_this_run"] = time.time() - started
    write_json(metrics, out / "metrics.json")
    if run.cfg.figures:
        drawn = draw_figures(run_drawings(trained, report, run.history), out, log)
        if drawn:
            log(f"figures: {', '.join(p.name for p in drawn)}")
    else:  # pictures an earlier part of a resumed run drew would no longer match it
        stale = [out / name for name in FIGURES if (out / name).is_file()]
        for path in stale:
            path.unlink()
        if stale:
            names = ", ".join(p.name for p in stale)
            log(f"removed {names}: drawn by an earlier part of this run, figures are off now")
    status = "finished" if done else f"stopped after epoch {run.epoch} of {run.epochs}"
    log(f"{status}: {run.train_seconds:.1f}s training, {wall:.1f}s wall this run; results in {out}")
    if not done:
        log(f"continue it with: minigrad train --resume --out {out} (fit(..., resume=True))")
    return trained


def _final_scores(run: _Run, metrics: dict[str, Any], log: Log) -> dict[str, Any] | None:
    """Score the test split (or CIFAR-10's held-out split when it has no test batch) into
    `metrics`, with the per-class table; the report's numbers, or None without a split."""
    s = run.splits
    if s.test is not None:
        split, (x, y), key = "test", s.test, "test"
    elif s.test_is_heldout and s.val is not None:
        split, (x, y), key = "val", s.val, "heldout"
    else:
        return None
    scores = score(run.scored, x, y, run.loss_fn, views=run.views)
    metrics.update({f"{key}_loss": scores.loss, f"{key}_accuracy": scores.accuracy})
    views = ""
    if run.cfg.tta in VIEW_WORDS:
        views = (
            f", each scored as the average of {VIEW_WORDS[run.cfg.tta]} (--tta {run.cfg.tta}; "
            f"the epoch lines score the images alone)"
        )
    if key == "test":
        log(f"test accuracy {100 * scores.accuracy:.2f}% ({len(y)} test samples{views})")
    else:
        metrics["heldout_split"] = "val"
        log(
            f"held-out accuracy {100 * scores.accuracy:.2f}% on {len(y)} training images kept "
            f"out of training{views} (this CIFAR-10 copy has no test_batch, so there is no "
            "official test accuracy)"
        )
    report = class_report(y, scores.predicted, s.class_names, split, log)
    metrics.update(report)
    return report
