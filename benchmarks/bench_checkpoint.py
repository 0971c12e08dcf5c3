"""What a training run's checkpoint costs per epoch: the whole state against the lean one.

The default CIFAR-10 run's state: its model (3072-512(pca)-1024-512-10) with AdamW's two
moments, and its input preprocessing (the 3072 x 3072 whitening matrix and the 512 x 3072
projection), which stays the same for the whole run. A lean checkpoint (`save_checkpoint(...,
lean=True)`, what `minigrad train` writes after every epoch) leaves the preprocessing in
`preprocess.npz`, written once. Prints the median write time of each and its size.

    python benchmarks/bench_checkpoint.py --repeats 9
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.train import TrainConfig
from minigrad.train.builders import build_model, build_optimizer
from minigrad.train.checkpoint import save_checkpoint
from minigrad.train.defaults import with_defaults


def default_state() -> dict:
    """A training state shaped as the default CIFAR-10 run's, after one step."""
    cfg = with_defaults(TrainConfig(), "cifar10")
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.standard_normal((3072, 512)))[0].T.astype(np.float32)
    model = build_model(cfg, 3072, 10, basis)
    opt = build_optimizer(cfg, model)
    x = rng.standard_normal((64, 3072)).astype(np.float32)
    nn.functional.cross_entropy(model(mg.tensor(x)), rng.integers(0, 10, 64)).backward()
    opt.step()
    whitening = rng.standard_normal((3072, 3072)).astype(np.float32)
    data = {"preprocess": {"whitening": whitening, "basis": basis}, "class_names": ["x"] * 10}
    return {"data": data, "model": model.state_dict(), "optimizer": opt.state_dict()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    state = default_state()
    with tempfile.TemporaryDirectory() as folder:
        for lean in (False, True):
            path = Path(folder) / f"lean-{lean}" / "checkpoint.npz"
            path.parent.mkdir()
            save_checkpoint(state, path, lean=lean)  # the first lean one writes the side file
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                save_checkpoint(state, path, lean=lean)
                times.append(time.perf_counter() - start)
            name = "lean (every epoch)" if lean else "whole (finished run)"
            size = path.stat().st_size / 1e6
            print(f"{name:22s} {statistics.median(times):.3f} s  {size:.1f} MB")


if __name__ == "__main__":
    main()
