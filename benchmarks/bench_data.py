"""Throughput of the data pipeline: loader gather + crop/flip + normalise on CIFAR-shaped data.

    python benchmarks/bench_data.py [--batch-size 256] [--epochs 2] [--cifar ROOT]

Uses random uint8 images of CIFAR-10's shape unless `--cifar` points at a real copy.
Compare the ms/batch with a training step of the 3072-1024-512-10 MLP (~25 ms at batch 256).
"""

import argparse
import time

import numpy as np

from minigrad.data import DataLoader, TensorDataset
from minigrad.data.transforms import (
    Compose,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    channel_stats,
)


def load_images(cifar_root, n):
    if cifar_root:
        from minigrad.data.datasets import load_cifar10

        data = load_cifar10(cifar_root, download=False)
        return data.x_train, data.y_train
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, n)


def time_transform(augment, x, batch_size, repeats=200):
    rng = np.random.default_rng(0)
    batch = x[:batch_size]
    augment(batch, rng)
    start = time.perf_counter()
    for _ in range(repeats):
        augment(batch, rng)
    return (time.perf_counter() - start) / repeats


def time_loader(loader, epochs):
    start = time.perf_counter()
    batches = sum(1 for _ in range(epochs) for _ in loader)
    return (time.perf_counter() - start) / batches, batches


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--cifar", default=None, help="folder holding a CIFAR-10 copy")
    args = parser.parse_args()
    x, y = load_images(args.cifar, args.n)
    mean, std = channel_stats(x)
    augment = Compose([RandomCrop(padding=4), RandomHorizontalFlip(), Normalize(mean, std)])
    bs = args.batch_size
    per_batch = time_transform(augment, x, bs)
    print(
        f"crop+flip+normalise, batch {bs}: {per_batch * 1e3:.2f} ms "
        f"({bs / per_batch:,.0f} samples/s)"
    )
    for name, transform in (("loader only", None), ("loader + augmentation", augment)):
        loader = DataLoader(TensorDataset(x, y), bs, shuffle=True, seed=0, transform=transform)
        per_batch, batches = time_loader(loader, args.epochs)
        print(
            f"{name}, batch {bs}: {per_batch * 1e3:.2f} ms/batch over {batches} batches "
            f"({bs / per_batch:,.0f} samples/s)"
        )


if __name__ == "__main__":
    main()
