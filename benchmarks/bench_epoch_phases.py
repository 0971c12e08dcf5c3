"""Where a CIFAR-10 epoch of the default recipe goes, phase by phase, minigrad against PyTorch.

The default `minigrad train` recipe (the resolved CIFAR-10 `TrainConfig`: 1024-512 BatchNorm
ReLU MLP, AdamW, label smoothing, ZCA whitening, crop + flip batches) and the same recipe in
PyTorch (`cifar_torch_baseline.py`'s model, optimizer and schedule), each run for `--steps`
training steps with every phase timed on its own:

  data      the loader's next batch: shuffle, gather, random crop + flip
  forward   model, loss, and the batch's accuracy (as the training loop records it)
  backward  zero the gradients, backpropagate
  update    the optimizer step (AdamW) and the learning-rate schedule step
  evaluate  scoring the 5,000 validation images (once an epoch, without test-time views)

and then the same steps as training runs them (`train`: the next batch prepared in the
prefetch thread while the step runs; `epoch` is that plus one evaluation). Rows are seconds
per 45,000-image epoch (`--steps` scaled to the epoch's steps). Whitening is done once per
run, before training: its row is for all 45,000 training images. Each framework and thread
count runs in its own process (idle BLAS and OpenMP threads spin for a while after each call
and would take a core from the other), `--rounds` times in turn. Other jobs on a machine only
ever add time, so the table gives each figure's fastest round; the per-round lines show the
noise.

    python benchmarks/bench_epoch_phases.py --data-dir DIR                # 1 and 2 threads
    python benchmarks/bench_epoch_phases.py --data-dir DIR --threads 2 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PHASES = ("data", "forward", "backward", "update")
EPOCH_IMAGES = 45_000


class Clock:
    """Seconds of named phases, one entry per call."""

    def __init__(self):
        self.times: dict[str, list[float]] = {}
        self.start()

    def start(self):
        self._mark = time.perf_counter()

    def lap(self, phase: str):
        now = time.perf_counter()
        self.times.setdefault(phase, []).append(now - self._mark)
        self._mark = now

    def summary(self) -> dict:
        """phase -> median seconds per call."""
        return {k: statistics.median(v) for k, v in self.times.items()}


def load(cfg, data_dir, n: int):
    """`n` whitened training images with labels, the ready validation split, the loader's
    crop + flip transform, and the seconds the whitening of `n` images took."""
    from minigrad.data import transforms as T
    from minigrad.train.data import fit_preprocess, load_raw

    raw = load_raw("cifar10", data_dir, cfg.val_size)
    pre = fit_preprocess(raw, cfg.zca, log=lambda *_: None)
    x, y = raw.train[0][:n], raw.train[1][:n]
    start = time.perf_counter()
    xw = pre(x).reshape(x.shape)
    whiten = time.perf_counter() - start
    transform = T.Compose([T.RandomCrop(padding=4), T.RandomHorizontalFlip()])
    return xw, y, (pre(raw.val[0]), raw.val[1]), transform, whiten


def minigrad_trainer(cfg, steps: int):
    """`(phases, evaluate)`: `phases(xb, yb, clock)` runs one step lapping `clock` after the
    forward, backward and update phases; `evaluate(x, y)` scores a split."""
    from minigrad.tensor import Tensor
    from minigrad.train.builders import build_model, build_optimizer
    from minigrad.train.loop import loss_function, score
    from minigrad.train.schedule import RunSchedule

    model = build_model(cfg, 3072, 10)
    opt = build_optimizer(cfg, model)
    sched = RunSchedule(opt, cfg.schedule, cfg.warmup, steps)
    loss_fn = loss_function(cfg)

    def phases(xb, yb, clock):
        logits = model(Tensor(xb.reshape(len(xb), -1)))
        loss = loss_fn(logits, yb)
        loss.item(), int((logits.data.argmax(axis=1) == yb).sum())
        clock.lap("forward")
        opt.zero_grad()
        loss.backward()
        clock.lap("backward")
        opt.step()
        sched.step()
        clock.lap("update")

    return phases, lambda x, y: score(model, x, y, loss_fn)


def torch_trainer(cfg, steps: int):
    """As `minigrad_trainer`, for `cifar_torch_baseline.Trainer`."""
    import cifar_torch_baseline
    import torch

    trainer = cifar_torch_baseline.Trainer(torch, cfg, steps)

    def phases(xb, yb, clock):
        x, y = torch.from_numpy(xb.reshape(len(xb), -1)), torch.from_numpy(yb)
        logits = trainer.model(x)
        loss = trainer.loss_fn(logits, y)
        loss.item(), int((logits.argmax(1) == y).sum())
        clock.lap("forward")
        trainer.opt.zero_grad(set_to_none=True)
        loss.backward()
        clock.lap("backward")
        trainer.opt.step()
        trainer.schedule.step()
        trainer._copy_rates()
        clock.lap("update")

    return phases, trainer.accuracy


def measure(framework: str, threads: int, steps: int, data_dir) -> dict:
    """One process's figures: phase -> (wall s, CPU s) per step (`train`, the pipelined step),
    per evaluation, and per whitening of the whole training split."""
    from threadpoolctl import threadpool_limits

    from minigrad.data import DataLoader, TensorDataset
    from minigrad.train import TrainConfig
    from minigrad.train.defaults import with_defaults
    from minigrad.train.loop import prefetch

    make = torch_trainer if framework == "torch" else minigrad_trainer
    cfg = with_defaults(TrainConfig(dataset="cifar10", data_dir=data_dir), "cifar10")
    phases, evaluate = make(cfg, 10 * steps)
    threadpool_limits(threads)
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
    n = steps * cfg.batch_size
    x, y, val, transform, whiten = load(cfg, data_dir, n)
    loader = DataLoader(TensorDataset(x, y), cfg.batch_size, True, seed=0, transform=transform)
    clock = Clock()
    for xb, yb in list(loader.iter_arrays())[:5]:  # warm-up: allocations, BLAS buffers
        clock.start()
        phases(xb, yb, clock)
    clock = Clock()
    for _ in range(2):
        batches = loader.iter_arrays()
        clock.start()
        for xb, yb in batches:
            clock.lap("data")
            phases(xb, yb, clock)
            clock.start()
        evaluate(*val)
        clock.lap("evaluate")
    for _ in range(2):
        clock.start()
        for xb, yb in prefetch(loader.iter_arrays()):
            phases(xb, yb, Clock())
        clock.lap("train")
    figures = clock.summary()
    figures["train"] /= steps
    figures["whiten"] = whiten * EPOCH_IMAGES / n
    return figures


def run_child(framework, threads, steps, data_dir) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--data-dir", data_dir]
    cmd += ["--steps", str(steps), "--child", framework, str(threads)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def table(results: dict, steps_per_epoch: int) -> str:
    """Markdown rows: seconds per epoch (fastest round) for each phase and contender."""
    names = list(results)
    lines = [
        "| seconds per epoch | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    per_epoch = {"evaluate": 1, "epoch": 1, "whiten": 1}
    label = {
        "train": "train (data in the prefetch thread)",
        "epoch": "epoch (train + evaluate)",
        "whiten": "whiten (once a run)",
    }
    for row in [*PHASES, "sum of phases", "evaluate", "train", "epoch", "whiten"]:
        cells = []
        for name in names:
            fastest = {k: min(r[k] for r in results[name]) for k in results[name][0]}
            fastest["sum of phases"] = sum(fastest[p] for p in PHASES)
            fastest["epoch"] = fastest["train"] * steps_per_epoch + fastest["evaluate"]
            cells.append(f"{fastest[row] * per_epoch.get(row, steps_per_epoch):.2f}")
        lines.append(f"| {label.get(row, row)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, help="CIFAR-10 folder, as minigrad train's")
    parser.add_argument("--steps", type=int, default=30, help="training steps timed per pass")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--frameworks", nargs="+", default=["minigrad", "torch"])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        framework, threads = args.child[0], int(args.child[1])
        print(json.dumps(measure(framework, threads, args.steps, args.data_dir)))
        return
    from minigrad.train import TrainConfig
    from minigrad.train.defaults import with_defaults

    batch = with_defaults(TrainConfig(dataset="cifar10"), "cifar10").batch_size
    results = {
        f"{fw}, {t} thread{'s' * (t > 1)}": [] for t in args.threads for fw in args.frameworks
    }
    for k in range(args.rounds):
        for t in args.threads:
            for fw in args.frameworks:
                name = f"{fw}, {t} thread{'s' * (t > 1)}"
                results[name].append(run_child(fw, t, args.steps, args.data_dir))
                last = results[name][-1]
                ms = ", ".join(f"{p} {1000 * last[p]:.1f}" for p in (*PHASES, "train"))
                print(f"round {k + 1}: {name}: ms a step: {ms}", flush=True)
    print(f"\n{args.steps} steps of batch {batch} a pass, fastest of {args.rounds} rounds")
    print(table(results, -(-EPOCH_IMAGES // batch)))


if __name__ == "__main__":
    main()
