"""The same CIFAR-10 MLP recipe in PyTorch (CPU), fed by minigrad's NumPy data pipeline.

For comparing `minigrad train` with PyTorch at an equal wall-clock budget on this machine:
same splits, normalisation, crop + flip augmentation, model (3072-1024-512-10, BatchNorm1d,
no bias before BN, ReLU), label-smoothed cross-entropy, AdamW with decay on weight matrices
only, per-step linear warm-up then cosine. PyTorch is imported only here and is never a
minigrad dependency.

    python benchmarks/cifar_torch_baseline.py --data-dir /work/cifar --time-limit 840
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from minigrad.data import DataLoader, TensorDataset
from minigrad.train.data import prepare_data
from minigrad.train.loop import prefetch


def build(torch, hidden, lr, weight_decay, total_steps, warmup):
    nn = torch.nn
    layers, width = [], 3072
    for h in hidden:
        layers += [nn.Linear(width, h, bias=False), nn.BatchNorm1d(h), nn.ReLU()]
        width = h
    model = nn.Sequential(*layers, nn.Linear(width, 10))
    params = list(model.parameters())
    groups = [
        {"params": [p for p in params if p.ndim == 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim != 2], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.999))
    warm = max(1, round(warmup * total_steps))
    sched = torch.optim.lr_scheduler.SequentialLR(
        opt,
        [
            torch.optim.lr_scheduler.LinearLR(opt, 1.0 / warm, 1.0, total_iters=warm),
            torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps - warm),
        ],
        milestones=[warm],
    )
    return model, opt, sched


def step_fn(torch, model, opt, sched):
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)

    def step(xb, yb):
        x = torch.from_numpy(xb.reshape(len(xb), -1))
        y = torch.from_numpy(yb)
        logits = model(x)
        loss = loss_fn(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        return loss.item() * len(yb), int((logits.argmax(1) == y).sum())

    return step


def accuracy(torch, model, x, y):
    model.eval()
    with torch.no_grad():
        logits = torch.cat(
            [model(torch.from_numpy(x[i : i + 1000])) for i in range(0, len(x), 1000)]
        )
    model.train()
    return float((logits.argmax(1).numpy() == y).mean())


def plan(torch, args, splits, loader, budget):
    model, opt, sched = build(torch, args.hidden, args.lr, args.weight_decay, 1000, 0.05)
    step = step_fn(torch, model, opt, sched)
    batches = iter(loader.iter_arrays())
    times = []
    for _ in range(14):
        xb, yb = next(batches)
        start = time.perf_counter()
        step(xb, yb)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    accuracy(torch, model, *splits.val)
    epoch = float(np.median(times[2:])) * len(loader) + time.perf_counter() - start
    return max(1, math.floor(budget * 0.97 / epoch)), epoch


def main():
    import torch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True)
    p.add_argument("--epochs", type=int)
    p.add_argument("--time-limit", type=float, default=840.0)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=0.05)
    p.add_argument("--hidden", default="1024,512")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    args.hidden = tuple(int(h) for h in args.hidden.split(","))
    started = time.time()
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    splits = prepare_data("cifar10", args.data_dir, None, augment=True)
    ds = TensorDataset(splits.x_train, splits.y_train)
    loader = DataLoader(ds, 256, shuffle=True, seed=0, transform=splits.transform)
    epochs = args.epochs
    if epochs is None:
        epochs, per_epoch = plan(
            torch, args, splits, loader, args.time_limit - (time.time() - started)
        )
        print(f"time limit {args.time_limit:.0f}s: {epochs} epochs at ~{per_epoch:.2f}s each")
    model, opt, sched = build(
        torch, args.hidden, args.lr, args.weight_decay, epochs * len(loader), 0.05
    )
    step = step_fn(torch, model, opt, sched)
    for epoch in range(1, epochs + 1):
        start, loss_sum, correct = time.perf_counter(), 0.0, 0
        for xb, yb in prefetch(loader.iter_arrays()):
            loss, right = step(xb, yb)
            loss_sum += loss
            correct += right
        n = len(splits.y_train)
        val = accuracy(torch, model, *splits.val)
        print(
            f"epoch {epoch:>3}/{epochs}  train loss {loss_sum / n:.4f} acc {100 * correct / n:.2f}%"
            f"  val acc {100 * val:.2f}%  {time.perf_counter() - start:.1f}s",
            flush=True,
        )
    print(f"final validation accuracy {100 * val:.2f}%, wall {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
