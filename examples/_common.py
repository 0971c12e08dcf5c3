"""Shared pieces of the course's experiments: arguments, data, models and figure saving.

Each experiment is a script with a `main(argv=None)` that parses `--quick` (the few-second
CI form), `--out DIR` (where figures go, default the working directory), `--no-show` and
`--data`, prints its numbers, writes its PNG figures, opens them in a window when matplotlib
has one to open (a desktop session) and returns its key numbers as a dict (the tests read
them). The docs' figures are remade only by naming their folder (`--out docs/figures`), and
never by `--quick`, whose tiny runs would replace them.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import minigrad as mg
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.data import datasets, train_val_split

DOCS = Path(__file__).resolve().parent.parent / "docs"
# matplotlib's backends that draw to files only: with one of these there is no window to open
FILE_BACKENDS = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


def parse_args(description, argv=None, extra=None):
    """The common command line: `--quick`, `--out DIR`, `--no-show`, `--data`,
    `--data-dir`, `--seed`, `--threads`."""
    parser = argparse.ArgumentParser(description=description)
    output_args(parser)
    parser.add_argument(
        "--data",
        choices=("auto", "cifar10", "digits"),
        default="auto",
        help="auto: CIFAR-10 when a local copy is found, else the bundled digits",
    )
    parser.add_argument(
        "--data-dir", help="folder holding CIFAR-10 (default: $MINIGRAD_DATA, ~/.cache/minigrad)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    if extra is not None:
        extra(parser)
    args = checked_args(parser, argv)
    limit_threads(args.threads)
    return args


def output_args(parser):
    """`--quick`, `--out DIR` and `--no-show`: what a run makes and where it goes."""
    parser.add_argument("--quick", action="store_true", help="tiny CI-sized run (seconds)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("."),
        help="folder for the figures (default: the working directory; the docs' figures are "
        "remade with --out docs/figures)",
    )
    parser.add_argument("--no-show", action="store_true", help="only write the figures")


def checked_args(parser, argv):
    """Parse `argv`; refuse `--quick` into docs/; `--no-show` selects matplotlib's Agg."""
    args = parser.parse_args(argv)
    if args.quick and args.out.resolve().is_relative_to(DOCS):
        parser.error(
            f"--quick makes small demonstration figures and never writes into {DOCS}; "
            "give another --out, or drop --quick to remake the docs' figures"
        )
    if args.no_show:
        import matplotlib

        matplotlib.use("Agg")
    return args


def limit_threads(n):
    """Cap BLAS threads. These models are small: on a shared 2-core machine, BLAS threads
    fighting for cores made a (64, 3072) @ (3072, 10) step about 10x slower than one thread."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=n)


@dataclass
class Data:
    """Flattened, centred features: `x_*` (N, D) float32, `y_*` (N,) int64."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    n_classes: int = 10

    @property
    def dim(self):
        return self.x_train.shape[1]


def load_data(source="auto", n_train=None, n_val=None, seed=0, data_dir=None, raw=False):
    """CIFAR-10 when a local copy is found (or asked for), else the bundled digits.

    Takes `n_train` training and `n_val` validation samples (None: all of the split),
    scales pixels to [0, 1] and subtracts the training mean, as in cs231n; `raw` keeps
    the pixel values as they are (0..255 for CIFAR-10, 0..16 for the digits), as float32.
    """
    if source == "cifar10" or (source == "auto" and datasets.cifar10_available(data_dir)):
        c = datasets.load_cifar10(data_dir, download=False)
        x = c.x_train.reshape(len(c.x_train), -1)
        name, scale = "CIFAR-10", 255.0
        x_train, y_train, x_val, y_val = _split(x, c.y_train, n_train, n_val or 1000, seed)
    else:
        x, y = datasets.load_digits()
        name, scale = "digits", 16.0
        x_train, y_train, x_val, y_val = _split(x, y, n_train, n_val or 360, seed)
    x_train, x_val = x_train.astype(np.float32), x_val.astype(np.float32)
    if raw:
        return Data(name, x_train, y_train, x_val, y_val)
    x_train /= scale
    x_val /= scale
    mean = x_train.mean(axis=0)
    return Data(name, x_train - mean, y_train, x_val - mean, y_val)


def _split(x, y, n_train, n_val, seed):
    rng = np.random.default_rng(seed)
    n_val = min(n_val, len(x) // 5)
    avail = len(x) - n_val
    n_train = avail if n_train is None else min(n_train, avail)
    idx = rng.permutation(len(x))[: n_train + n_val]
    (xt, yt), (xv, yv) = train_val_split(x[idx], y[idx], val_size=n_val, seed=seed)
    return xt, yt, xv, yv


def mlp(sizes, activation=nn.ReLU, rng=0):
    """Linear layers of the given `sizes` with `activation()` between them."""
    rng = np.random.default_rng(rng)
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out, rng=rng))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def accuracy(model, x, y, batch=2000):
    """Fraction of rows of `x` whose largest score is the label."""
    right = 0
    with mg.no_grad():
        for i in range(0, len(x), batch):
            scores = model(mg.tensor(x[i : i + batch])).data
            right += int((scores.argmax(axis=1) == y[i : i + batch]).sum())
    return right / len(x)


def mean_loss(model, x, y, batch=2000):
    """Mean cross-entropy of `model` over all of `x`."""
    total = 0.0
    with mg.no_grad():
        for i in range(0, len(x), batch):
            logits = model(mg.tensor(x[i : i + batch]))
            total += F.cross_entropy(logits, y[i : i + batch], reduction="sum").item()
    return total / len(x)


def batches(n, batch_size, rng):
    """Index arrays of one shuffled epoch, full batches only."""
    order = rng.permutation(n)
    for i in range(0, n - batch_size + 1, batch_size):
        yield order[i : i + batch_size]


def pyplot():
    """matplotlib's pyplot, on whatever backend matplotlib picks (Agg without a display)."""
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})
    return plt


def save(fig, out, name, dpi=90):
    """Write `fig` to `out/name` as PNG, show it in a window if matplotlib can open one
    (until the window is closed), close it; print and return the path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    shrink_png(path)
    print(f"wrote {path}")
    plt = pyplot()
    if plt.get_backend().lower() not in FILE_BACKENDS:
        plt.show()
    plt.close(fig)
    return path


def shrink_png(path):
    """Re-save with a 256-colour palette: line plots lose nothing visible, files shrink ~3x."""
    from PIL import Image

    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


@contextlib.contextmanager
def headless_chromium():
    """Debian's Chromium, headless, driven by Playwright: `with headless_chromium() as
    browser: browser.new_page(...)`, for the docs' screenshots (`--screenshots`)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("--screenshots needs Playwright: pip install playwright") from None
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("--screenshots needs Chromium on PATH (e.g. apt-get install chromium)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=flags)
        try:
            yield browser
        finally:
            browser.close()


class Timer:
    """`with Timer() as t: ...` then `t.seconds`."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def data_note(data):
    """One line naming the data, for figure titles and printouts."""
    n = len(data.x_train)
    return f"{data.name}, {n} train / {len(data.x_val)} val, D={data.dim}"
