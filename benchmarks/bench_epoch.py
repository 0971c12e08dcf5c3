"""Does the data pipeline slow training? Epoch time with the loader vs pure compute.

Times the same training batches two ways, alternating, several rounds:
  pipeline: `DataLoader` (shuffle, gather, random crop + flip, normalise) feeding the steps
            through `prefetch` (next batch prepared in a thread), as `minigrad train` does,
  compute:  the batches prepared beforehand, only forward/backward/update timed.
The pipeline should cost at most 10% over compute. Uses CIFAR-10 from `--data-dir`
if given, else random uint8 images of CIFAR-10's shape.

    python benchmarks/bench_epoch.py --data-dir ~/data --batches 60 --rounds 3
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from minigrad.data import DataLoader, TensorDataset
from minigrad.data import transforms as T
from minigrad.tensor import Tensor
from minigrad.train import TrainConfig
from minigrad.train.builders import build_model, build_optimizer
from minigrad.train.defaults import with_defaults
from minigrad.train.loop import loss_function, prefetch
from minigrad.train.schedule import RunSchedule


def images(data_dir, n):
    if data_dir:
        from minigrad.data.datasets import load_cifar10

        data = load_cifar10(data_dir, download=False)
        return data.x_train[:n], data.y_train[:n]
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, n)


def make_trainer(cfg, steps):
    model = build_model(cfg, 3072, 10)
    opt = build_optimizer(cfg, model)
    sched = RunSchedule(opt, cfg.schedule, cfg.warmup, steps)
    loss_fn = loss_function(cfg)

    def step(xb, yb):
        loss = loss_fn(model(Tensor(xb.reshape(len(xb), -1))), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        return loss.item()

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # per-channel normalisation, as below (so no --pca projection, which needs the whitening)
    cfg = with_defaults(TrainConfig(dataset="cifar10", zca=0.0), "cifar10")
    n = args.batches * cfg.batch_size
    x, y = images(args.data_dir, n)
    mean, std = T.channel_stats(x)
    augment = T.Compose([T.RandomCrop(4), T.RandomHorizontalFlip(), T.Normalize(mean, std)])
    loader = DataLoader(
        TensorDataset(x, y), cfg.batch_size, shuffle=True, seed=0, transform=augment
    )
    prepared = list(loader.iter_arrays())
    steps = 2 * args.rounds * args.batches + 10
    step = make_trainer(cfg, steps)
    for xb, yb in prepared[:5]:
        step(xb, yb)
    pipeline, compute, data_only = [], [], []
    cpu_pipeline, cpu_compute = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for _batch in loader.iter_arrays():
            pass
        data_only.append(time.perf_counter() - start)
        start, cpu = time.perf_counter(), time.process_time()
        for xb, yb in prefetch(loader.iter_arrays()):
            step(xb, yb)
        pipeline.append(time.perf_counter() - start)
        cpu_pipeline.append(time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        for xb, yb in prepared:
            step(xb, yb)
        compute.append(time.perf_counter() - start)
        cpu_compute.append(time.process_time() - cpu)
    p, c, d = (float(np.median(t)) for t in (pipeline, compute, data_only))
    cpu_p, cpu_c = float(np.median(cpu_pipeline)), float(np.median(cpu_compute))
    per_epoch = 45000 / n
    print(f"{args.batches} batches of {cfg.batch_size}, median of {args.rounds} rounds")
    print(f"compute only : {c:.3f} s ({1000 * c / args.batches:.1f} ms/step)")
    print(f"with pipeline: {p:.3f} s ({1000 * p / args.batches:.1f} ms/step)")
    print(f"data only    : {d:.3f} s ({1000 * d / args.batches:.1f} ms/batch, {100 * d / c:.1f}%)")
    print(f"CPU time (all threads): compute {cpu_c:.3f} s, pipeline {cpu_p:.3f} s")
    print(f"pipeline overhead: {100 * (p / c - 1):+.1f}%  (45k-image epoch ~{p * per_epoch:.1f} s)")
    print(f"pipeline overhead in CPU time: {100 * (cpu_p / cpu_c - 1):+.1f}%")
    # On a shared machine other jobs only ever add time: the fastest round is the cleanest.
    best_p, best_c = min(pipeline), min(compute)
    print(
        f"fastest rounds: compute {best_c:.3f} s, pipeline {best_p:.3f} s, "
        f"overhead {100 * (best_p / best_c - 1):+.1f}%"
    )


if __name__ == "__main__":
    main()
