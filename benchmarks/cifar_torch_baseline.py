"""The default `minigrad train` CIFAR-10 recipe in PyTorch (CPU), side by side at the same
time budget on the same machine.

Everything but the network's arithmetic is minigrad's, so the two runs differ only in the
framework: the data (`prepare_data`: the same split, ZCA whitening, and crop + flip
transform in the same prefetch thread), the recipe (the resolved CIFAR-10 defaults of
`TrainConfig`: widths, BatchNorm, AdamW with decay on weight matrices only, label smoothing,
batch size), the learning-rate schedule (minigrad's schedule, copied into torch's
parameter groups after every step), the time budget (the same planning margin and
`EpochBudget` re-planning) and the test-time views of the final score. PyTorch is imported only
here and is never a minigrad dependency.

The options of `minigrad train` that change the recipe have the same names and meanings
here: `--ema DECAY` (torch's `AveragedModel` with buffers, warmed up as minigrad's
`min(DECAY, (1+t)/(10+t))`), `--mixup ALPHA` / `--cutmix ALPHA` (minigrad's mixing of the
NumPy batches, drawn from the same `(seed, epoch)` generators, in the prefetch thread),
`--distill W` (the same snapshots of the scored model at 1/2 and 3/4 of the run, averaged
over the same views, and the same weighted loss) and `--tta VIEWS`. The final score is on
the 5,000 training images held out as the validation split (`--split val`, the default, as
`minigrad train --val-size 5000` holds them out) or on the official `test_batch` when the
data copy has one (`--split test`).

    python benchmarks/cifar_torch_baseline.py --data-dir DIR        # the default time limit
    python benchmarks/cifar_torch_baseline.py --data-dir DIR --epochs 5
    python benchmarks/cifar_torch_baseline.py --data-dir DIR --ema 0.999 --mixup 0.2 --split test
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

import minigrad.optim as optim
from minigrad import Tensor
from minigrad.data import DataLoader, TensorDataset
from minigrad.data.datasets import DatasetError
from minigrad.train import TTA, TrainConfig
from minigrad.train.data import prepare_data
from minigrad.train.defaults import CIFAR10_VAL_SIZE, with_defaults
from minigrad.train.loop import SNAPSHOTS, prefetch, snapshots_due, tta_views
from minigrad.train.mixing import MixedBatch, build_mixer, mixing_rng
from minigrad.train.planning import MARGIN, EpochBudget, Plan
from minigrad.train.schedule import RunSchedule


def build_model(torch, cfg, basis=None):
    """`cfg.hidden` x [Linear (no bias before BatchNorm) -> BatchNorm1d -> ReLU] -> Linear,
    after `--pca`'s fixed projection onto `basis` (`Preprocess.basis`) when `cfg.pca`."""
    nn, layers, width = torch.nn, [], 3072
    if cfg.pca:
        project = nn.Linear(width, cfg.pca, bias=False)
        project.weight = nn.Parameter(torch.from_numpy(basis), requires_grad=False)
        layers, width = [project], cfg.pca
    for h in cfg.hidden:
        layers += [nn.Linear(width, h, bias=not cfg.batch_norm)]
        layers += [nn.BatchNorm1d(h)] if cfg.batch_norm else []
        layers += [nn.ReLU()] + ([nn.Dropout(cfg.dropout)] if cfg.dropout else [])
        width = h
    return nn.Sequential(*layers, nn.Linear(width, 10))


def ema_multi_avg_fn(torch, decay: float):
    """torch's `get_ema_multi_avg_fn(decay)` with minigrad's warm-up: update `t` moves the
    average by `1 - min(decay, (1 + t) / (10 + t))`; integer buffers are copied."""

    @torch.no_grad()
    def update(averaged, current, num_averaged):
        if not torch.is_floating_point(averaged[0]):
            torch._foreach_copy_(averaged, current)
            return
        t = int(num_averaged)
        torch._foreach_lerp_(averaged, current, 1.0 - min(decay, (1 + t) / (10 + t)))

    return update


class Trainer:
    """The torch model, AdamW, and minigrad's schedule driving torch's learning rates; with
    `cfg.ema` the moving average of the weights and buffers, which then scores."""

    def __init__(self, torch, cfg, steps: int, basis=None):
        self.torch, self.cfg = torch, cfg
        self.model = build_model(torch, cfg, basis)
        params = [p for p in self.model.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in params if p.ndim == 2], "weight_decay": cfg.weight_decay},
            {"params": [p for p in params if p.ndim != 2], "weight_decay": 0.0},
        ]
        self.opt = torch.optim.AdamW(groups, lr=cfg.lr, betas=tuple(cfg.betas))
        stand_in = optim.AdamW(
            [{"params": [Tensor(np.zeros(1), requires_grad=True)]} for _ in groups],
            lr=cfg.lr,
            betas=tuple(cfg.betas),
        )
        self.schedule = RunSchedule(stand_in, cfg.schedule, cfg.warmup, steps)
        self.loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
        self.scored = self.model
        self.targets = None  # --distill's probabilities for every training image, once taken
        self.average = None
        if cfg.ema:
            swa = torch.optim.swa_utils
            fn = ema_multi_avg_fn(torch, cfg.ema)
            self.average = swa.AveragedModel(self.model, multi_avg_fn=fn, use_buffers=True)
            self.average.update_parameters(self.model)  # starts as a copy, as minigrad's
            self.scored = self.average.module
        self._copy_rates()

    def _copy_rates(self):
        for mine, theirs in zip(self.schedule.optimizer.param_groups, self.opt.param_groups):
            theirs["lr"] = mine["lr"]

    def step(self, batch) -> tuple[float, int]:
        """Train on `(x, y)` or a `MixedBatch`; the summed loss and the right predictions
        (against the label of the larger share of a mixed batch)."""
        torch = self.torch
        mixed = isinstance(batch, MixedBatch)
        xb, yb, *index = (batch.x, batch.main_labels) if mixed else batch
        x, y = torch.from_numpy(xb.reshape(len(xb), -1)), torch.from_numpy(yb)
        logits = self.model(x)
        if mixed:
            other = torch.from_numpy(batch.y_other)
            main = torch.from_numpy(batch.y)
            loss = batch.lam * self.loss_fn(logits, main)
            loss = loss + (1.0 - batch.lam) * self.loss_fn(logits, other)
        else:
            loss = self.loss_fn(logits, y)
        if self.targets is not None:
            soft = torch.nn.functional.cross_entropy(
                logits, torch.from_numpy(self.targets[index[0]])
            )
            loss = (1.0 - self.cfg.distill) * loss + self.cfg.distill * soft
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        if self.average is not None:
            self.average.update_parameters(self.model)
        self.schedule.step()
        self._copy_rates()
        return loss.item() * len(yb), int((logits.argmax(1) == y).sum())

    def probabilities(self, x, views=None, batch_size=1000) -> np.ndarray:
        """Softmax probabilities on ready inputs `x (N, D)`, averaged over `views`."""
        torch, model = self.torch, self.scored
        model.eval()
        out = []
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                batch = x[start : start + batch_size]
                probs = [
                    torch.softmax(model(torch.from_numpy(np.ascontiguousarray(v))), 1)
                    for v in (views(batch) if views else [batch])
                ]
                out.append(torch.stack(probs).mean(0).numpy())
        self.model.train()
        return np.concatenate(out)

    def accuracy(self, x, y, views=None) -> float:
        return float(np.mean(self.probabilities(x, views).argmax(1) == y))


def epoch_batches(loader, mixer, seed: int, epoch: int):
    """The loader's next epoch of batches, mixed as minigrad mixes them (with `mixer`)."""
    batches = loader.iter_arrays()
    return batches if mixer is None else mixer.batches(batches, mixing_rng(seed, epoch))


def snapshot_due(trainer, splits, views, epoch: int, epochs: int, taken: int) -> int:
    """`--distill` as `minigrad train` takes it: once the run passes the next of `SNAPSHOTS`,
    the scored model's view-averaged probabilities of the training images become the
    targets. Returns the snapshots taken so far."""
    due = snapshots_due(epoch, epochs)
    if not trainer.cfg.distill or due <= taken:
        return taken
    trainer.targets = trainer.probabilities(splits.train_inputs(), views).astype(np.float32)
    return due


def plan(torch, cfg, splits, loader, mixer, views, monitored, scored, budget: float) -> Plan:
    """Epochs fitting `budget` seconds, timed as `minigrad train` times them (the mixing
    inside the timed steps, as there)."""
    trial = Trainer(torch, cfg, 1000, splits.preprocess.basis)
    batches = iter(loader.iter_arrays())
    rng = np.random.default_rng(0)
    times = []
    for _ in range(14):
        batch = next(batches)
        start = time.perf_counter()
        trial.step(batch if mixer is None else mixer(*batch, rng))
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    trial.accuracy(*monitored)
    scoring = time.perf_counter() - start
    start = time.perf_counter()
    trial.accuracy(*scored, views)
    final = time.perf_counter() - start
    snapshot = 0.0
    if cfg.distill:  # timed on 2,000 training images, as minigrad's plan times it
        x = splits.train_inputs(2000)
        start = time.perf_counter()
        trial.probabilities(x, views)
        snapshot = (time.perf_counter() - start) * len(splits.x_train) / len(x)
    epoch = float(np.median(times[2:])) * len(loader) + scoring
    usable = budget * (1 - MARGIN)
    epochs = max(1, math.floor((usable - final - len(SNAPSHOTS) * snapshot) / epoch))
    print(f"time limit: {budget:.0f}s left -> {epochs} epochs at ~{epoch:.2f}s each")
    return Plan(epochs, epoch, final, time.time() + usable, snapshot)


def main(argv=None):
    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True)
    p.add_argument("--epochs", type=int, help="instead of the default time limit")
    p.add_argument("--time-limit", type=float, help="seconds (default: minigrad train's)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--ema", type=float, default=0.0, help="as minigrad train --ema (0: off)")
    p.add_argument("--mixup", type=float, default=0.0, help="as minigrad train --mixup")
    p.add_argument("--cutmix", type=float, default=0.0, help="as minigrad train --cutmix")
    p.add_argument("--distill", type=float, default=0.0, help="as minigrad train --distill")
    p.add_argument("--tta", choices=TTA, help="test-time views (default: minigrad train's)")
    p.add_argument("--pca", type=int, help="as minigrad train --pca (default: minigrad train's)")
    p.add_argument(
        "--matmul-precision",
        choices=("highest", "high", "medium"),
        help="torch.set_float32_matmul_precision, as minigrad train --matmul-precision "
        "(default: minigrad train's)",
    )
    p.add_argument(
        "--split",
        choices=("val", "test"),
        default="val",
        help="score the 5,000 held-out training images (val) or the official test_batch "
        "(test, when the data copy has one)",
    )
    args = p.parse_args(argv)
    started = time.time()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    cfg = TrainConfig(
        dataset="cifar10",
        data_dir=args.data_dir,
        epochs=args.epochs,
        ema=args.ema,
        mixup=args.mixup,
        cutmix=args.cutmix,
        distill=args.distill,
        tta=args.tta,
        pca=args.pca,
        matmul_precision=args.matmul_precision,
        val_size=CIFAR10_VAL_SIZE if args.split == "val" else 0,
    )
    if args.time_limit:
        cfg = cfg.with_overrides({"time_limit": args.time_limit})
    cfg.validate()
    cfg = with_defaults(cfg, "cifar10")
    torch.set_float32_matmul_precision(cfg.matmul_precision)
    try:
        splits = prepare_data(
            "cifar10", cfg.data_dir, cfg.val_size, cfg.augment, cfg.zca, pca=cfg.pca
        )
    except DatasetError:
        if args.split != "test":
            raise
        p.error(f"--split test: the copy in {args.data_dir} has no test_batch; use --split val")
    scored = splits.val if args.split == "val" else splits.test
    monitored = splits.val or splits.test  # the epoch lines' split, as minigrad train's
    arrays = [splits.x_train, splits.y_train]
    if cfg.distill:  # batches carry their samples' indices, as minigrad train's
        arrays.append(np.arange(len(splits.y_train)))
    dataset = TensorDataset(*arrays)
    loader = DataLoader(
        dataset, cfg.batch_size, shuffle=True, seed=cfg.seed, transform=splits.transform
    )
    mixer = build_mixer(cfg, splits.preprocess.input_shape)
    views = tta_views(cfg.tta, splits.preprocess.input_shape)
    budget = None
    epochs = cfg.epochs
    if epochs is None:
        left = cfg.time_limit - (time.time() - started)
        planned = plan(torch, cfg, splits, loader, mixer, views, monitored, scored, left)
        epochs, budget = planned.epochs, EpochBudget(planned)
    trainer = Trainer(torch, cfg, epochs * len(loader), splits.preprocess.basis)
    train_seconds, epoch, taken = 0.0, 0, 0
    while epoch < epochs:
        start, loss_sum, correct = time.perf_counter(), 0.0, 0
        taken = snapshot_due(trainer, splits, views, epoch, epochs, taken)
        for batch in prefetch(epoch_batches(loader, mixer, cfg.seed, epoch)):
            loss, right = trainer.step(batch)
            loss_sum += loss
            correct += right
        n = len(loader) * cfg.batch_size
        val = trainer.accuracy(*monitored)
        epoch += 1
        train_seconds += time.perf_counter() - start
        print(
            f"epoch {epoch:>3}/{epochs}  train loss {loss_sum / n:.4f} acc {100 * correct / n:.2f}%"
            f"  val acc {100 * val:.2f}%  {time.perf_counter() - start:.1f}s",
            flush=True,
        )
        if budget is not None:
            left = len(SNAPSHOTS) - taken if cfg.distill else 0
            replanned = budget.replan(epoch, epochs, left)
            if replanned > epoch and replanned != epochs:
                trainer.schedule.replan(replanned * len(loader))
            epochs = replanned
    final = trainer.accuracy(*scored, views)
    wall = time.time() - started
    what = "held-out" if args.split == "val" else "test"
    print(f"{what} accuracy {100 * final:.2f}% ({cfg.tta} views), {wall:.0f}s wall")
    summary = {
        "framework": f"torch {torch.__version__}",
        "epochs": epoch,
        "train_seconds": train_seconds,
        "wall_seconds": wall,
        "split": args.split,
        ("heldout_accuracy" if args.split == "val" else "test_accuracy"): final,
        "last_epoch_val_accuracy": val,
        "options": {
            "ema": cfg.ema,
            "mixup": cfg.mixup,
            "cutmix": cfg.cutmix,
            "distill": cfg.distill,
            "tta": cfg.tta,
            "matmul_precision": cfg.matmul_precision,
        },
    }
    print("RESULT " + json.dumps(summary))


if __name__ == "__main__":
    main()
