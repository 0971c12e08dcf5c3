"""Run every benchmark and print one table (the one in README.md's "Performance" section).

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run_all.py [--quick]

Each row compares contenders in one process, interleaved over repeats, as medians; ratios
are to the hand-written NumPy step (or plain NumPy ops) measured in the same run. Absolute
times drift on a shared machine; the ratios are what to read.
"""

import argparse
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402
import bench_data  # noqa: E402
import bench_memory  # noqa: E402
import bench_mlp  # noqa: E402
import bench_ops  # noqa: E402
import numpy as np  # noqa: E402

IDLE_NUMPY_US_PER_OP = 1.2  # plain NumPy on the per-op chain, this 2-core machine, idle

TARGETS = {
    "wide MLP 3072-1024-512-10, batch 256": 1.05,
    "wide MLP 3072-1024-512-10, batch 64": 1.10,
    "deep MLP 10 x 256, batch 128": 1.10,
}


def data_pipeline(repeats, batch=256, n=10_000):
    """Seconds per batch of DataLoader + crop/flip/normalise on CIFAR-shaped uint8 images,
    and per minigrad training step of the wide MLP at the same batch size, interleaved."""
    x, y = bench_data.load_images(None, n)
    mean, std = bench_data.channel_stats(x)
    augment = bench_data.Compose(
        [
            bench_data.RandomCrop(padding=4),
            bench_data.RandomHorizontalFlip(),
            bench_data.Normalize(mean, std),
        ]
    )
    loader = bench_data.DataLoader(
        bench_data.TensorDataset(x, y), batch, shuffle=True, seed=0, transform=augment
    )
    batches = iter(())

    def next_batch():
        nonlocal batches
        for b in batches:
            return b
        batches = iter(loader)
        return next(batches)

    sizes = (3072, 1024, 512, 10)
    xb, yb = bench_mlp.make_data(sizes, batch)
    step = bench_mlp.minigrad_step(bench_mlp.make_minigrad(sizes), xb, yb)
    return _common.interleaved({"loader": next_batch, "step": step}, repeats, warmup=3)


def row(name, value, ratio, target, note=""):
    return f"| {name} | {value} | {ratio} | {target} | {note} |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit BLAS (and PyTorch) to this many threads, e.g. 1 on a busy machine",
    )
    args = parser.parse_args()
    if args.threads is not None:
        _common.limit_threads(args.threads)
    repeats, op_repeats, steps = (5, 20, 100) if args.quick else (40, 200, 1000)
    print(
        f"minigrad benchmarks, {time.strftime('%Y-%m-%d %H:%M')}, Python "
        f"{platform.python_version()}, NumPy {np.__version__}, {os.cpu_count()} CPUs"
    )
    torch = _common.try_torch()
    if torch is not None:
        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    for line in _common.blas_report():
        print(line)
    print()

    lines = [
        "| benchmark | hand-written NumPy | minigrad | PyTorch | minigrad target |",
        "|---|---|---|---|---|",
    ]
    mlp = bench_mlp.run(repeats)
    for name, r in mlp.items():
        base = r["numpy"]
        torch_col = "-" if r["torch_ratio"] is None else f"{r['torch_ratio']:.2f}x"
        ratio = r["minigrad"] / base
        ok = "met" if ratio <= TARGETS[name] else "NOT met"
        lines.append(
            row(
                name,
                f"{base * 1e3:.1f} ms/step (1.00x)",
                f"{ratio:.2f}x",
                torch_col,
                f"<= {TARGETS[name]:.2f}x ({ok})",
            )
        )
    ops = bench_ops.run(repeats=op_repeats)
    torch_col = f"{ops['torch']:.2f} us/op" if "torch" in ops else "-"
    ok = "met" if ops["minigrad"] < 3.0 else "NOT met"
    lines.append(
        row(
            "100 elementwise ops on 4x4, fwd+bwd",
            f"{ops['numpy']:.2f} us/op",
            f"{ops['minigrad']:.2f} us/op",
            torch_col,
            f"< 3 us/op ({ok})",
        )
    )
    mixed = bench_ops.run(repeats=op_repeats, chain="mixed")
    lines.append(
        row(
            "100 mixed ops on 4x4 ((y * W + b).sigmoid() - 0.5), fwd+bwd",
            f"{mixed['numpy']:.2f} us/op",
            f"{mixed['minigrad']:.2f} us/op",
            f"{mixed['torch']:.2f} us/op" if "torch" in mixed else "-",
            "- (for information)",
        )
    )
    mem = bench_memory.run(steps)
    bound = mem["bound"] / bench_memory.MB
    ratio = mem["minigrad"] / mem["bound"]
    ok = "met" if ratio <= 1.3 else "NOT met"
    lines.append(
        row(
            f"extra memory of one step, batch 256 (bound {bound:.1f} MB)",
            f"{mem['numpy'] / bench_memory.MB:.1f} MB",
            f"{mem['minigrad'] / bench_memory.MB:.1f} MB ({ratio:.2f}x bound)",
            "-",
            f"<= 1.3x bound ({ok})",
        )
    )
    (rss0, blocks0), (rss1, blocks1) = mem["growth"]
    rss = "n/a" if rss0 is None else f"{(rss1 - rss0) / 1e3:+.0f} kB RSS"
    lines.append(
        row(
            f"memory growth, deep MLP steps 10 -> {steps}",
            "-",
            f"{rss}, {blocks1 - blocks0:+d} Python blocks",
            "-",
            "flat",
        )
    )
    pipe = data_pipeline(repeats)
    step_rate, data_rate = 256 / pipe["step"], 256 / pipe["loader"]
    ok = "met" if data_rate >= 5 * step_rate else "NOT met"
    lines.append(
        row(
            "DataLoader + crop/flip/normalise, batch 256",
            "-",
            f"{data_rate:,.0f} samples/s = {data_rate / step_rate:.1f}x the step's "
            f"{step_rate:,.0f}",
            "-",
            f">= 5x the step ({ok})",
        )
    )
    print("\n".join(lines))
    if ops["numpy"] > IDLE_NUMPY_US_PER_OP * 1.2:
        print(
            f"\nnote: plain NumPy took {ops['numpy']:.2f} us/op on the per-op chain, against "
            f"about {IDLE_NUMPY_US_PER_OP} on this kind of machine when idle: other work slowed "
            "this run, and the per-op row's microseconds with it (compare the ratios, or rerun)"
        )


if __name__ == "__main__":
    main()
