"""Cost of `random_affine` (`minigrad train --affine`) per batch against `random_crop_flip`.

    python benchmarks/bench_affine.py [--batch-size 512] [--repeats 40]

Times, taking turns, one batch of float32 3x32x32 images (what the training loop augments
after ZCA whitening): the crop and flip of `--augment`, `random_affine` as it is (bilinear,
in chunks of `_CHUNK` images), `random_affine` on the whole batch at once, and the same
resampling by nearest neighbour (one gather instead of four; not in minigrad, measured to
weigh the choice). Prints the best and the median of `--repeats` calls, in ms.
"""

import argparse
import statistics
import time
from unittest import mock

import numpy as np

from minigrad.data import transforms as T


def nearest(x, rng, degrees, scale, padding=4, flip_p=0.5):
    """`random_affine`'s geometry sampled at the nearest pixel, in the same chunks."""
    n, c, h, w = x.shape
    rows, cols = T._affine_coordinates(rng, x.shape, degrees, scale, padding, flip_p)
    out = np.empty_like(x)
    padded = np.zeros((min(n, T._CHUNK), c, h + 3, w + 3), x.dtype)
    hp, wp = h + 3, w + 3
    for start in range(0, n, T._CHUNK):
        part = slice(start, start + T._CHUNK)
        m = len(out[part])
        padded[:m, :, 1 : h + 1, 1 : w + 1] = x[part]
        row, column = np.rint(rows[:, part] + cols[:, part])
        np.clip(row, 0, hp - 1, out=row)
        np.clip(column, 0, wp - 1, out=column)
        images = np.arange(m)[:, None] * (c * hp * wp) + np.arange(c) * (hp * wp)
        index = (row * wp + column).astype(np.intp)[:, None] + images[:, :, None, None]
        np.take(padded.ravel(), index, out=out[part])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--degrees", type=float, default=10.0)
    parser.add_argument("--scale", type=float, default=0.1)
    args = parser.parse_args()
    x = np.random.default_rng(0).standard_normal((args.batch_size, 3, 32, 32), np.float32)
    deg, scale = args.degrees, args.scale

    def whole_batch(rng):
        with mock.patch.object(T, "_CHUNK", len(x)):
            return T.random_affine(x, rng, deg, scale)

    contenders = {
        "random_crop_flip": lambda rng: T.random_crop_flip(x, rng),
        f"random_affine {deg:g},{scale:g} (bilinear)": lambda rng: T.random_affine(
            x, rng, deg, scale
        ),
        "random_affine, the batch in one chunk": whole_batch,
        "nearest neighbour instead of bilinear": lambda rng: nearest(x, rng, deg, scale),
    }
    times = {name: [] for name in contenders}
    for repeat in range(args.repeats + 2):
        for name, fn in contenders.items():
            rng = np.random.default_rng(repeat)
            start = time.perf_counter()
            fn(rng)
            if repeat >= 2:  # the first two warm up
                times[name].append(time.perf_counter() - start)
    print(f"batch of {args.batch_size} float32 3x32x32 images, {args.repeats} calls each:")
    for name, seconds in times.items():
        best, median = min(seconds) * 1e3, statistics.median(seconds) * 1e3
        print(f"  {name:42s} best {best:6.2f} ms   median {median:6.2f} ms")


if __name__ == "__main__":
    main()
