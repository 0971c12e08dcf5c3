"""float32 against bfloat16 matrix products (`set_float32_matmul_precision`), minigrad and PyTorch.

Two tables, each figure the fastest of `--rounds` rounds of `--repeats` calls:

1. Rounding float32 to bfloat16, as `minigrad.precision` does it (one pass compiled by
   numba) against NumPy's passes over cache-sized blocks (its way before) and over whole
   arrays, for the CIFAR-10 step's input batch (512 x 3072) and a hidden layer's
   activations (512 x 1024).
2. The matrix products of one CIFAR-10 training step of the default recipe (the fixed
   projection 3072 -> 512, then 512 -> 1024 -> 512 -> 10; forward, and backward without
   gradients for the data or the projection), through `F.linear` as the model runs them:
   minigrad under "highest" and "medium", and PyTorch's `F.linear` under the same settings.

Each framework and precision runs in its own process, at each `--threads` count.

    python benchmarks/bench_matmul_precision.py [--threads 2 1] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

SIZES = (3072, 512, 1024, 512, 10)  # input, projection, hidden layers, classes
BATCH = 512


def fastest(fn, rounds: int, repeats: int) -> float:
    """Fastest mean seconds per call over `rounds` rounds of `repeats` calls."""
    fn()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        best = min(best, (time.perf_counter() - start) / repeats)
    return best


def rounding(rounds: int, repeats: int) -> dict:
    """ms per rounding of each shape: minigrad's compiled pass, NumPy's passes in blocks of
    32k numbers and over whole arrays (the same bits, checked)."""
    import numpy as np

    from minigrad import precision

    def whole(x):
        bits = x.view(np.uint32)
        t = bits >> 16
        t &= 1
        t += 0x7FFF
        t += bits
        return np.ascontiguousarray(t.view(np.uint16)[:, 1::2])

    def blocks(x, block=1 << 15):
        bits = x.view(np.uint32).reshape(-1)
        out = np.empty(x.shape, np.uint16)
        flat, work = out.reshape(-1), np.empty(block, np.uint32)
        for i in range(0, bits.size, block):
            b = bits[i : i + block]
            t = work[: b.size]
            np.right_shift(b, 16, out=t)
            np.bitwise_and(t, 1, out=t)
            np.add(t, 0x7FFF, out=t)
            np.add(t, b, out=t)
            flat[i : i + b.size] = t.view(np.uint16)[1::2]
        return out

    rng = np.random.default_rng(0)
    out = {}
    for shape in ((BATCH, 3072), (BATCH, 1024)):
        xs = [rng.standard_normal(shape, dtype=np.float32) for _ in range(8)]  # not in cache
        compiled = lambda x: precision._round(x).bits  # noqa: E731
        assert (compiled(xs[0]) == whole(xs[0])).all() and (blocks(xs[0]) == whole(xs[0])).all()
        for name, fn in (("numba", compiled), ("NumPy, blocks", blocks), ("NumPy, whole", whole)):
            t = fastest(lambda fn=fn, xs=xs: [fn(x) for x in xs], rounds, repeats)
            out[f"{shape[0]} x {shape[1]}, {name}"] = 1000 * t / len(xs)
    return out


def step_products(framework: str, precision_name: str, rounds: int, repeats: int) -> float:
    """ms per step of the recipe's products through `F.linear`, forward and backward."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0]), dtype=np.float32)
    ws = [0.02 * rng.standard_normal((o, i), dtype=np.float32) for i, o in zip(SIZES, SIZES[1:])]
    if framework == "torch":
        import torch

        torch.set_float32_matmul_precision(precision_name)
        xt = torch.from_numpy(x)
        wt = [torch.from_numpy(w).requires_grad_(k > 0) for k, w in enumerate(ws)]

        def step():
            h = xt
            for w in wt:
                h = torch.nn.functional.linear(h, w)
            h.sum().backward()

        return 1000 * fastest(step, rounds, repeats)
    import minigrad as mg
    from minigrad.nn import functional as F

    mg.set_float32_matmul_precision(precision_name)
    ws[0].flags.writeable = False  # the fixed projection, as the training app leaves it
    wm = [mg.tensor(w, requires_grad=k > 0) for k, w in enumerate(ws)]
    xm = mg.tensor(x)

    def step():
        h = xm
        for w in wm:
            h = F.linear(h, w)
        h.sum().backward()

    return 1000 * fastest(step, rounds, repeats)


def child(args) -> dict:
    from threadpoolctl import threadpool_limits

    framework, precision_name = args.child[0], args.child[1]
    if framework == "minigrad":
        import minigrad as mg

        mg.set_float32_matmul_precision(precision_name)
        backend = mg.matmul_backend()  # loads MKL before the limit below, which then holds it
    else:
        import torch

        torch.set_num_threads(args.threads[0])
        backend = f"torch {torch.__version__}"
    threadpool_limits(args.threads[0])
    out = {"backend": backend}
    out["step"] = step_products(framework, precision_name, args.rounds, args.repeats)
    if framework == "minigrad" and precision_name == "medium":
        out["rounding"] = rounding(args.rounds, args.repeats)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    contenders = [("minigrad", "highest"), ("minigrad", "medium")]
    contenders += [("torch", "highest"), ("torch", "medium")]
    results, rounding_rows = {}, {}
    for threads in args.threads:
        for framework, name in contenders:
            cmd = [sys.executable, os.path.abspath(__file__), "--threads", str(threads)]
            cmd += ["--rounds", str(args.rounds), "--repeats", str(args.repeats)]
            cmd += ["--child", framework, name]
            done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
            if done.returncode:
                print(f"{framework} {name}: failed (is it installed?)", flush=True)
                continue
            out = json.loads(done.stdout.strip().splitlines()[-1])
            results[(threads, framework, name)] = out["step"]
            rounding_rows.update({(threads, k): v for k, v in out.get("rounding", {}).items()})
            print(f"{threads} thread(s), {framework} {name} ({out['backend']}): "
                  f"{out['step']:.2f} ms", flush=True)  # fmt: skip
    print("\n| ms a step, the recipe's products | " + " | ".join(
        f"{t} thread{'s' * (t > 1)}" for t in args.threads) + " |")  # fmt: skip
    print("|---" * (len(args.threads) + 1) + "|")
    for framework, name in contenders:
        cells = [results.get((t, framework, name)) for t in args.threads]
        shown = " | ".join("-" if c is None else f"{c:.2f}" for c in cells)
        print(f"| {framework}, {name} | {shown} |")
    if rounding_rows:
        print("\n| ms a rounding to bfloat16 | " + " | ".join(
            f"{t} thread{'s' * (t > 1)}" for t in args.threads) + " |")  # fmt: skip
        print("|---" * (len(args.threads) + 1) + "|")
        for label in dict.fromkeys(k for _, k in rounding_rows):
            cells = [rounding_rows.get((t, label)) for t in args.threads]
            shown = " | ".join("-" if c is None else f"{c:.2f}" for c in cells)
            print(f"| {label} | {shown} |")


if __name__ == "__main__":
    main()
