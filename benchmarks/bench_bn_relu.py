"""BatchNorm + ReLU of the CIFAR-10 recipe's two hidden layers, minigrad against PyTorch.

Forward and backward of `BatchNorm1d` then `ReLU` on float32 batches of 512 x 1024 and
512 x 512 (the default recipe's shapes), through the modules, as the training app's model
runs them: fused into one op (`BatchNorm1d.forward_relu`) where the checkout has it, else
`relu(bn(x))`. Each framework and thread count runs in its own process, `--rounds` times in
turn; each process reports its fastest of `--repeats` steps, and the table the fastest
round (other jobs on a machine only ever add time).

    python benchmarks/bench_bn_relu.py
    python benchmarks/bench_bn_relu.py --rounds 4 --threads 1 2 \
        --frameworks minigrad minigrad:OLD torch

(`minigrad:OLD` is the minigrad of another checkout, folder OLD: a before/after column.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

SHAPES = ((512, 1024), (512, 512))


def step_function(framework: str):
    """One step's BatchNorm + ReLU of both layers, forward and backward, in `framework`."""
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s, np.float32) for s in SHAPES]
    gs = [rng.standard_normal(s, np.float32) for s in SHAPES]
    if framework == "torch":
        import torch

        layers = [
            (torch.nn.BatchNorm1d(x.shape[1]), torch.from_numpy(x).requires_grad_(), g)
            for x, g in zip(xs, gs)
        ]

        def torch_step():
            for bn, x, g in layers:
                torch.relu(bn(x)).backward(torch.from_numpy(g))

        return torch_step
    from minigrad import Tensor, nn
    from minigrad.nn import functional as F

    norms = [(nn.BatchNorm1d(x.shape[1]), Tensor(x, requires_grad=True), g) for x, g in zip(xs, gs)]

    def minigrad_step():
        for bn, x, g in norms:
            fused = getattr(bn, "forward_relu", None)
            (fused(x) if fused else F.relu(bn(x))).backward(g)

    return minigrad_step


def child(framework: str, threads: int, repeats: int) -> None:
    if framework == "torch":
        import torch

        torch.set_num_threads(threads)
    step = step_function(framework)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    print(min(times) * 1e3)


def run_child(framework: str, threads: int, repeats: int) -> float:
    """Fastest ms a step in a fresh process; `minigrad:PATH` runs checkout PATH's minigrad."""
    name, _, path = framework.partition(":")
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    if path:
        path = os.path.abspath(os.path.expanduser(path))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (path, env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name, str(threads)]
    cmd += ["--repeats", str(repeats)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frameworks", nargs="+", default=["minigrad", "torch"])
    parser.add_argument("--threads", nargs="+", type=int, default=[2, 1])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=150)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.repeats)
        return
    best: dict[tuple[str, int], float] = {}
    for r in range(args.rounds):
        for threads in args.threads:
            for fw in args.frameworks:
                ms = run_child(fw, threads, args.repeats)
                print(f"round {r + 1}: {fw}, {threads} thread(s): {ms:.2f} ms", flush=True)
                best[fw, threads] = min(ms, best.get((fw, threads), ms))
    print("\n| ms a step, BatchNorm + ReLU of both layers | " + " | ".join(args.frameworks) + " |")
    print("|---" * (len(args.frameworks) + 1) + "|")
    for threads in args.threads:
        row = " | ".join(f"{best[fw, threads]:.2f}" for fw in args.frameworks)
        print(f"| {threads} thread{'s' if threads > 1 else ''} | {row} |")


if __name__ == "__main__":
    main()
