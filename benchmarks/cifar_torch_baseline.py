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

    python benchmarks/cifar_torch_baseline.py --data-dir DIR        # the default time limit
    python benchmarks/cifar_torch_baseline.py --data-dir DIR --epochs 5
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
from minigrad.train import TrainConfig
from minigrad.train.data import prepare_data
from minigrad.train.defaults import with_defaults
from minigrad.train.loop import prefetch, tta_views
from minigrad.train.planning import MARGIN, EpochBudget, Plan
from minigrad.train.schedule import RunSchedule


def build_model(torch, cfg):
    """`cfg.hidden` x [Linear (no bias before BatchNorm) -> BatchNorm1d -> ReLU] -> Linear."""
    nn, layers, width = torch.nn, [], 3072
    for h in cfg.hidden:
        layers += [nn.Linear(width, h, bias=not cfg.batch_norm)]
        layers += [nn.BatchNorm1d(h)] if cfg.batch_norm else []
        layers += [nn.ReLU()] + ([nn.Dropout(cfg.dropout)] if cfg.dropout else [])
        width = h
    return nn.Sequential(*layers, nn.Linear(width, 10))


class Trainer:
    """The torch model, AdamW, and minigrad's schedule driving torch's learning rates."""

    def __init__(self, torch, cfg, steps: int):
        self.torch, self.cfg = torch, cfg
        self.model = build_model(torch, cfg)
        params = list(self.model.parameters())
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
        self._copy_rates()

    def _copy_rates(self):
        for mine, theirs in zip(self.schedule.optimizer.param_groups, self.opt.param_groups):
            theirs["lr"] = mine["lr"]

    def step(self, xb, yb) -> tuple[float, int]:
        torch = self.torch
        x, y = torch.from_numpy(xb.reshape(len(xb), -1)), torch.from_numpy(yb)
        logits = self.model(x)
        loss = self.loss_fn(logits, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.schedule.step()
        self._copy_rates()
        return loss.item() * len(yb), int((logits.argmax(1) == y).sum())

    def probabilities(self, x, views=None, batch_size=1000) -> np.ndarray:
        """Softmax probabilities on ready inputs `x (N, D)`, averaged over `views`."""
        torch = self.torch
        self.model.eval()
        out = []
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                batch = x[start : start + batch_size]
                probs = [
                    torch.softmax(self.model(torch.from_numpy(np.ascontiguousarray(v))), 1)
                    for v in (views(batch) if views else [batch])
                ]
                out.append(torch.stack(probs).mean(0).numpy())
        self.model.train()
        return np.concatenate(out)

    def accuracy(self, x, y, views=None) -> float:
        return float(np.mean(self.probabilities(x, views).argmax(1) == y))


def plan(torch, cfg, splits, loader, views, budget: float) -> Plan:
    """Epochs fitting `budget` seconds, timed as `minigrad train` times them."""
    trial = Trainer(torch, cfg, 1000)
    batches = iter(loader.iter_arrays())
    times = []
    for _ in range(14):
        xb, yb = next(batches)
        start = time.perf_counter()
        trial.step(xb, yb)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    trial.accuracy(*splits.val)
    scoring = time.perf_counter() - start
    start = time.perf_counter()
    trial.accuracy(*splits.val, views)
    final = time.perf_counter() - start
    epoch = float(np.median(times[2:])) * len(loader) + scoring
    usable = budget * (1 - MARGIN)
    epochs = max(1, math.floor((usable - final) / epoch))
    print(f"time limit: {budget:.0f}s left -> {epochs} epochs at ~{epoch:.2f}s each")
    return Plan(epochs, epoch, final, time.time() + usable)


def main(argv=None):
    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True)
    p.add_argument("--epochs", type=int, help="instead of the default time limit")
    p.add_argument("--time-limit", type=float, help="seconds (default: minigrad train's)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    args = p.parse_args(argv)
    started = time.time()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    cfg = TrainConfig(dataset="cifar10", data_dir=args.data_dir, epochs=args.epochs)
    if args.time_limit:
        cfg = cfg.with_overrides({"time_limit": args.time_limit})
    cfg = with_defaults(cfg, "cifar10")
    splits = prepare_data("cifar10", cfg.data_dir, cfg.val_size, cfg.augment, cfg.zca)
    dataset = TensorDataset(splits.x_train, splits.y_train)
    loader = DataLoader(
        dataset, cfg.batch_size, shuffle=True, seed=cfg.seed, transform=splits.transform
    )
    views = tta_views(cfg.tta, splits.preprocess.input_shape)
    budget = None
    epochs = cfg.epochs
    if epochs is None:
        planned = plan(torch, cfg, splits, loader, views, cfg.time_limit - (time.time() - started))
        epochs, budget = planned.epochs, EpochBudget(planned)
    trainer = Trainer(torch, cfg, epochs * len(loader))
    train_seconds, epoch = 0.0, 0
    while epoch < epochs:
        start, loss_sum, correct = time.perf_counter(), 0.0, 0
        for xb, yb in prefetch(loader.iter_arrays()):
            loss, right = trainer.step(xb, yb)
            loss_sum += loss
            correct += right
        n = len(loader) * cfg.batch_size
        val = trainer.accuracy(*splits.val)
        epoch += 1
        train_seconds += time.perf_counter() - start
        print(
            f"epoch {epoch:>3}/{epochs}  train loss {loss_sum / n:.4f} acc {100 * correct / n:.2f}%"
            f"  val acc {100 * val:.2f}%  {time.perf_counter() - start:.1f}s",
            flush=True,
        )
        if budget is not None:
            replanned = budget.replan(epoch, epochs)
            if replanned > epoch and replanned != epochs:
                trainer.schedule.replan(replanned * len(loader))
            epochs = replanned
    final = trainer.accuracy(*splits.val, views)
    wall = time.time() - started
    print(f"held-out accuracy {100 * final:.2f}% ({cfg.tta} views), {wall:.0f}s wall")
    summary = {
        "framework": f"torch {torch.__version__}",
        "epochs": epoch,
        "train_seconds": train_seconds,
        "wall_seconds": wall,
        "heldout_accuracy": final,
        "last_epoch_val_accuracy": val,
    }
    print("RESULT " + json.dumps(summary))


if __name__ == "__main__":
    main()
