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
prefetch thread while the step runs; `epoch` is that plus one evaluation). Forward and
backward are then split by kind of work, each kind timed alone on the recipe's shapes, in
each framework, back to back as a step runs them (fastest of `KERNEL_REPEATS`):

  matrix products        the step's 8: 3 forward, 5 backward (no input gradient for data)
  BatchNorm + ReLU       both hidden layers' BatchNorm1d and ReLU, forward and backward
                         (fused into one op where the checkout's BatchNorm1d can)
  loss                   the recipe's loss on the logits, forward and backward

and what forward and backward take beyond those three (the graph, Python, the accuracy) is
the row `everything else`. Rows are seconds per 45,000-image epoch (`--steps` scaled to the
epoch's steps). Whitening is done once per run, before training: its row is for all 45,000
training images. Each framework and thread count runs in its own process (idle BLAS and
OpenMP threads spin for a while after each call and would take a core from the other),
`--rounds` times in turn. Other jobs on a machine only
ever add time, so the table gives each figure's fastest round; the per-round lines show the
noise.

    python benchmarks/bench_epoch_phases.py --data-dir DIR                # 1 and 2 threads
    python benchmarks/bench_epoch_phases.py --data-dir DIR --threads 2 --rounds 5
    python benchmarks/bench_epoch_phases.py --data-dir DIR --frameworks minigrad minigrad:OLD torch

(`minigrad:OLD` is the minigrad of another checkout, folder OLD: a before/after column.
`minigrad@medium` and `torch@medium` run with `set_float32_matmul_precision("medium")`:
bfloat16 matrix products where the CPU has them.)
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
KERNELS = ("matrix products", "BatchNorm + ReLU", "loss")
KERNEL_REPEATS = 15
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
    crop + flip transform, the seconds the whitening of `n` images took, and `--pca`'s
    basis (None without)."""
    from minigrad.data import transforms as T
    from minigrad.train.data import fit_preprocess, load_raw

    raw = load_raw("cifar10", data_dir, cfg.val_size)
    pre = fit_preprocess(raw, cfg.zca, log=lambda *_: None, pca=cfg.pca)
    x, y = raw.train[0][:n], raw.train[1][:n]
    start = time.perf_counter()
    xw = pre(x).reshape(x.shape)
    whiten = time.perf_counter() - start
    transform = T.Compose([T.RandomCrop(padding=4), T.RandomHorizontalFlip()])
    return xw, y, (pre(raw.val[0]), raw.val[1]), transform, whiten, pre.basis


def minigrad_trainer(cfg, steps: int, basis=None):
    """`(phases, evaluate)`: `phases(xb, yb, clock)` runs one step lapping `clock` after the
    forward, backward and update phases; `evaluate(x, y)` scores a split."""
    from minigrad.tensor import Tensor
    from minigrad.train.builders import build_model, build_optimizer
    from minigrad.train.loop import loss_function, score
    from minigrad.train.schedule import RunSchedule

    model = build_model(cfg, 3072, 10, basis)
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


def torch_trainer(cfg, steps: int, basis=None):
    """As `minigrad_trainer`, for `cifar_torch_baseline.Trainer`."""
    import cifar_torch_baseline
    import torch

    trainer = cifar_torch_baseline.Trainer(torch, cfg, steps, basis)

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


def step_arrays(cfg, batch: int, seed: int = 0):
    """Random float32 arrays of one step's shapes: input `x`, weights `(out, in)` (with
    `--pca`, the fixed projection's first), each layer's output `h` and the gradient `g`
    flowing into it, class labels `y`."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sizes = (3072, *([cfg.pca] if cfg.pca else []), *cfg.hidden, 10)
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    ws = [0.02 * rng.standard_normal((o, i), dtype=np.float32) for i, o in zip(sizes, sizes[1:])]
    hs = [rng.standard_normal((batch, o), dtype=np.float32) for o in sizes[1:]]
    gs = [rng.standard_normal((batch, o), dtype=np.float32) for o in sizes[1:]]
    return x, ws, hs, gs, rng.integers(0, 10, batch)


def products(x, ws, hs, gs, fixed: int, mm):
    """The step's matrix products `mm(a, b)`, on NumPy arrays or torch tensors alike: no
    gradient for the `fixed` first layers (`--pca`'s projection) nor for the data."""
    inputs = [x, *hs[:-1]]
    for a, w in zip(inputs, ws):
        mm(a, w.T)
    for i in range(len(ws) - 1, fixed - 1, -1):
        mm(gs[i].T, inputs[i])
        if i > fixed:
            mm(gs[i], ws[i])


def minigrad_kernels(cfg, batch: int) -> dict:
    """Kind of work -> a function doing one step's worth of it, in minigrad."""
    from minigrad import nn, precision
    from minigrad.nn import functional as F
    from minigrad.tensor import Tensor
    from minigrad.train.loop import loss_function

    x, ws, hs, gs, y = step_arrays(cfg, batch)
    norms = [
        (nn.BatchNorm1d(h.shape[1]), Tensor(h, requires_grad=True), g)
        for h, g in zip(hs[bool(cfg.pca) : -1], gs[bool(cfg.pca) : -1])
    ]
    logits, loss_fn = Tensor(hs[-1], requires_grad=True), loss_function(cfg)

    def bn_relu():
        for bn, h, g in norms:
            fused = getattr(bn, "forward_relu", None)  # as the run's model does, where it can
            (fused(h) if fused else F.relu(bn(h))).backward(g)

    return {
        "matrix products": lambda: products(x, ws, hs, gs, bool(cfg.pca), precision.matmul),
        "BatchNorm + ReLU": bn_relu,
        "loss": lambda: loss_fn(logits, y).backward(),
    }


def torch_kernels(cfg, batch: int) -> dict:
    """As `minigrad_kernels`, in PyTorch (the modules `cifar_torch_baseline` builds)."""
    import torch

    x, ws, hs, gs, y = (
        [torch.from_numpy(a) for a in v] if isinstance(v, list) else torch.from_numpy(v)
        for v in step_arrays(cfg, batch)
    )
    norms = [
        (torch.nn.BatchNorm1d(h.shape[1]), h.clone().requires_grad_(), g)
        for h, g in zip(hs[bool(cfg.pca) : -1], gs[bool(cfg.pca) : -1])
    ]
    logits = hs[-1].clone().requires_grad_()
    smoothing = cfg.label_smoothing

    def bn_relu():
        for bn, h, g in norms:
            torch.relu(bn(h)).backward(g)

    def loss():
        torch.nn.functional.cross_entropy(logits, y, label_smoothing=smoothing).backward()

    return {
        "matrix products": lambda: products(x, ws, hs, gs, bool(cfg.pca), torch.matmul),
        "BatchNorm + ReLU": bn_relu,
        "loss": loss,
    }


def time_kernels(kernels: dict) -> dict:
    """Kind of work -> fastest seconds per step, the kinds run back to back in turns."""
    times = {name: [] for name in kernels}
    for _ in range(KERNEL_REPEATS + 2):
        for name, fn in kernels.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: min(t[2:]) for name, t in times.items()}


def measure(framework: str, threads: int, steps: int, data_dir) -> dict:
    """One process's figures: phase -> (wall s, CPU s) per step (`train`, the pipelined step),
    per evaluation, and per whitening of the whole training split."""
    from threadpoolctl import threadpool_limits

    from minigrad.data import DataLoader, TensorDataset
    from minigrad.train import TrainConfig
    from minigrad.train.defaults import with_defaults
    from minigrad.train.loop import prefetch

    framework, _, matmul_precision = framework.partition("@")
    make = torch_trainer if framework == "torch" else minigrad_trainer
    cfg = with_defaults(TrainConfig(dataset="cifar10", data_dir=data_dir), "cifar10")
    if framework == "torch":
        import torch

        torch.set_float32_matmul_precision(matmul_precision or "highest")
    else:
        import minigrad

        minigrad.set_float32_matmul_precision(matmul_precision or "highest")
        minigrad.precision.matmul_backend()  # loads MKL for "medium", before the limit below
    threadpool_limits(threads)
    if framework == "torch":
        torch.set_num_threads(threads)
    n = steps * cfg.batch_size
    x, y, val, transform, whiten, basis = load(cfg, data_dir, n)
    phases, evaluate = make(cfg, 10 * steps, basis)
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
    kernels = (torch_kernels if framework == "torch" else minigrad_kernels)(cfg, cfg.batch_size)
    figures.update(time_kernels(kernels))
    figures["train"] /= steps
    figures["whiten"] = whiten * EPOCH_IMAGES / n
    return figures


def run_child(framework, threads, steps, data_dir) -> dict:
    """One process's `measure`; `minigrad:PATH` runs the minigrad found in checkout PATH."""
    cmd = [sys.executable, os.path.abspath(__file__), "--data-dir", data_dir]
    name, _, matmul_precision = framework.partition("@")
    child = name.split(":")[0] + (f"@{matmul_precision}" if matmul_precision else "")
    cmd += ["--steps", str(steps), "--child", child, str(threads)]
    env = dict(os.environ)
    if ":" in name:
        path = os.path.abspath(os.path.expanduser(name.split(":", 1)[1]))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (path, env.get("PYTHONPATH")) if p)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def table(results: dict, steps_per_epoch: int) -> str:
    """Markdown rows: seconds per epoch (fastest round) for each phase and contender."""
    names = list(results)
    lines = [
        "| seconds per epoch | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    rest = "rest of forward + backward"
    per_epoch = {"evaluate": 1, "epoch": 1, "whiten": 1}
    label = {
        "train": "train (data in the prefetch thread)",
        "epoch": "epoch (train + evaluate)",
        "whiten": "whiten (once a run)",
        **{k: f"forward + backward: {k} (timed alone)" for k in KERNELS},
        rest: "forward + backward: everything else",
    }
    for row in [*PHASES, "sum of phases", *KERNELS, rest, "evaluate", "train", "epoch", "whiten"]:
        cells = []
        for name in names:
            fastest = {k: min(r[k] for r in results[name]) for k in results[name][0]}
            fastest["sum of phases"] = sum(fastest[p] for p in PHASES)
            fastest[rest] = fastest["forward"] + fastest["backward"]
            fastest[rest] -= sum(fastest[k] for k in KERNELS)
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
                ms = ", ".join(f"{p} {1000 * last[p]:.1f}" for p in (*PHASES, *KERNELS, "train"))
                print(f"round {k + 1}: {name}: ms a step: {ms}", flush=True)
    print(f"\n{args.steps} steps of batch {batch} a pass, fastest of {args.rounds} rounds")
    print(table(results, -(-EPOCH_IMAGES // batch)))


if __name__ == "__main__":
    main()
