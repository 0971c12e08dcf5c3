"""What a sweep's workers and pruner buy: trials per minute and epochs saved.

    python benchmarks/bench_sweep.py                                   # digits, ~3 minutes
    python benchmarks/bench_sweep.py --dataset cifar10 --data-dir DIR --trials 6 --epochs 2

1. Throughput: one sweep over learning rate and weight decay (every trial costs the same)
   run as 2 worker processes x 1 BLAS thread and as 1 worker x 2 BLAS threads, taking turns
   `--rounds` times; trials per minute of wall time, medians.
2. Pruning: the same sampled configurations (one worker, one sampler seed, so both runs draw
   the same sequence) with the median pruner and without; epochs trained, wall time and the
   best validation accuracy each found.
Run it under the CPU lock: it keeps both cores busy.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from _common import blas_report

from minigrad.sweep import build_config, run_sweep

SPACE = {
    "lr": {"low": 1e-4, "high": 1e-1, "log": True},
    "weight_decay": {"low": 1e-5, "high": 1e-1, "log": True},
}


def sweep(args, folder, **settings):
    """Run one sweep in a fresh folder; (wall seconds, SweepResult)."""
    fixed = {"dataset": args.dataset, "epochs": args.epochs}
    if args.data_dir:
        fixed["data_dir"] = args.data_dir
    config = build_config(
        fixed=fixed, space=SPACE, settings={"trials": args.trials, "sampler_seed": 0} | settings
    )
    start = time.perf_counter()
    result = run_sweep(config, folder, log=lambda line: None)
    return time.perf_counter() - start, result


def throughput(args) -> None:
    layouts = {"2 workers x 1 thread": (2, 1), "1 worker x 2 threads": (1, 2)}
    minutes = {name: [] for name in layouts}
    for _ in range(args.rounds):
        for name, (workers, threads) in layouts.items():
            with tempfile.TemporaryDirectory() as folder:
                wall, _ = sweep(args, folder, workers=workers, threads=threads, pruner="none")
            minutes[name].append(args.trials / (wall / 60))
    print(f"\nthroughput: {args.trials} trials of {args.epochs} epochs, median of {args.rounds}")
    print("| layout | trials per minute | runs |\n|---|---|---|")
    for name, values in minutes.items():
        runs = ", ".join(f"{v:.1f}" for v in values)
        print(f"| {name} | {statistics.median(values):.1f} | {runs} |")


def pruning(args) -> None:
    print(f"\npruning: {args.trials} trials of up to {args.epochs} epochs, 1 worker x 2 threads")
    print("| pruner | epochs trained | wall seconds | best val accuracy | pruned trials |")
    print("|---|---|---|---|---|")
    for pruner in ("none", "median"):
        with tempfile.TemporaryDirectory() as folder:
            wall, result = sweep(args, folder, workers=1, threads=2, pruner=pruner)
        rows = result.rows
        epochs = sum(r["epochs"] or 0 for r in rows)
        best = max(r["val_accuracy"] for r in rows if r["state"] == "complete")
        pruned = sum(r["state"] == "pruned" for r in rows)
        print(f"| {pruner} | {epochs} | {wall:.1f} | {100 * best:.2f}% | {pruned} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="digits", choices=("digits", "spiral", "cifar10"))
    p.add_argument("--data-dir")
    p.add_argument("--trials", type=int, default=16)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--part", default="all", choices=("all", "throughput", "pruning"))
    args = p.parse_args()
    print("\n".join(blas_report()))
    if args.part in ("all", "throughput"):
        throughput(args)
    if args.part in ("all", "pruning"):
        pruning(args)


if __name__ == "__main__":
    main()
