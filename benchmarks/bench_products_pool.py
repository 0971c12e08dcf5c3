"""The matrix products of a training step: OpenBLAS's own threads against two Python threads.

For each workload (the MLP rows of `run_all.py` and the CIFAR-10 recipe's step), times the
float32 products of one step (forward `x @ W.T`, backward `g @ W` and `g.T @ x`) in four
ways, each in its own process so that no other library's idle threads spin meanwhile:

- `blas2`: NumPy's OpenBLAS on two threads (the default);
- `blas1`: on one thread;
- `pool`: OpenBLAS on one thread and every product split in two row blocks, one computed by
  a second Python thread (NumPy releases the GIL inside `matmul`), written into one output
  array (whether that gives the same bits as `blas1`'s whole products is printed: OpenBLAS
  may pick another kernel for half the rows);
- `torch`: PyTorch's `torch.mm` on two threads, if installed (for comparison only).

Prints milliseconds per step, the fastest of `--rounds` processes of `--repeats` steps each:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_products_pool.py
"""

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import _common  # benchmarks/ is on sys.path when a script in it runs
import numpy as np

WORKLOADS = {
    "wide MLP 3072-1024-512-10, batch 256": ((3072, 1024, 512, 10), 256),
    "wide MLP 3072-1024-512-10, batch 64": ((3072, 1024, 512, 10), 64),
    "deep MLP 10 x 256, batch 128": ((256,) * 10 + (10,), 128),
    "CIFAR-10 recipe, batch 512": ((3072, 1024, 512, 10), 512),
}
MODES = ("blas2", "blas1", "pool", "torch")


def products(sizes, batch, rng):
    """`(a, b)` operand pairs of one step's products, float32, in the order a step runs them."""
    pairs = []
    acts = [rng.standard_normal((batch, n), dtype=np.float32) for n in sizes[:-1]]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = rng.standard_normal((n_out, n_in), dtype=np.float32)
        g = rng.standard_normal((batch, n_out), dtype=np.float32)
        pairs.append((acts[i], w.T))  # forward
        pairs.append((g.T, acts[i]))  # dW
        if i > 0:
            pairs.append((g, w))  # dx
    return pairs


def split_matmul(pool, a, b, out):
    """`out[:] = a @ b` with the rows of `a` in two halves, the second on `pool`'s thread."""
    half = len(a) // 2
    job = pool.submit(np.matmul, a[half:], b, out=out[half:])
    np.matmul(a[:half], b, out=out[:half])
    job.result()


def child(mode, workload, repeats):
    from threadpoolctl import threadpool_limits

    sizes, batch = WORKLOADS[workload]
    pairs = products(sizes, batch, np.random.default_rng(0))
    outs = [np.empty((a.shape[0], b.shape[1]), np.float32) for a, b in pairs]
    if mode == "torch":
        import torch

        torch.set_num_threads(2)
        tp = [(torch.from_numpy(np.ascontiguousarray(a)), torch.from_numpy(b)) for a, b in pairs]
        tp = [(a, b.t().contiguous().t() if not b.is_contiguous() else b) for a, b in tp]

        def step():
            for a, b in tp:
                torch.mm(a, b)

    else:
        threadpool_limits(2 if mode == "blas2" else 1)
        pool = ThreadPoolExecutor(1)

        def step():
            for (a, b), out in zip(pairs, outs):
                if mode == "pool":
                    split_matmul(pool, a, b, out)
                else:
                    np.matmul(a, b, out=out)

    same = True
    if mode == "pool":  # the same bits as whole products on one thread?
        step()
        same = all(np.array_equal(out, a @ b) for (a, b), out in zip(pairs, outs))
    print(json.dumps([_common.best_of(step, repeats, warmup=5), same]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.repeats)
        return
    modes = [m for m in MODES if m != "torch"]
    try:
        import torch  # noqa: F401

        modes.append("torch")
    except ImportError:
        print("PyTorch not installed: its column is left out")
    best, differs = {}, set()
    for _ in range(args.rounds):
        for workload in WORKLOADS:
            for mode in modes:
                cmd = [sys.executable, __file__, "--repeats", str(args.repeats)]
                out = subprocess.run(
                    [*cmd, "--child", mode, workload], capture_output=True, text=True, check=True
                )
                t, same = json.loads(out.stdout.strip().splitlines()[-1])
                if not same:
                    differs.add(workload)
                best[workload, mode] = min(best.get((workload, mode), t), t)
    print("| ms a step, products only | " + " | ".join(modes) + " |")
    print("|---|" + "---|" * len(modes))
    for workload in WORKLOADS:
        cells = [f"{best[workload, m] * 1e3:.2f}" for m in modes]
        print(f"| {workload} | " + " | ".join(cells) + " |")
    for workload in differs:
        print(f"pool: {workload}: the split products differ in their bits from the whole ones")


if __name__ == "__main__":
    main()
