"""Where a minigrad training step's time goes: matmuls, elementwise NumPy work, and Python
(graph building, the backward walk, wrappers), for the MLP workloads of bench_mlp.

    python benchmarks/profile_step.py [--steps 30] [--threads 1]

Three measurements per workload. cProfile splits the step by function: the NumPy calls made
inside ``linear`` (forward matmul + bias) and its backward closure (the backward matmuls,
run on plain arrays) are the matmuls; the optimizer update, ReLU, loss and reductions are
the elementwise work; the rest is Python. Since cProfile inflates Python-heavy code, the
Python overhead is also measured directly: the same graph on 4-wide layers (batch 2), where
NumPy's work is negligible, against the hand-written NumPy step on the same tiny net.
Last, both full-size steps are timed in turns with the SGD update timed directly inside
each (medians), which splits minigrad's gap to the hand-written step into forward + backward
and the update.
"""

import argparse
import cProfile
import pstats
import statistics
import time

import _common
import bench_mlp
import numpy as np

import minigrad as mg
from minigrad import optim
from minigrad.nn import functional as F

MATMUL = {("layer.py", "linear"), ("layer.py", "backward"), ("arith.py", "_matmul")}
ELEMENTWISE = {
    ("sgd.py", "update"),
    ("sgd.py", "_subtract_scaled"),
    ("unary.py", "relu"),
    ("unary.py", "backward"),  # relu's mask
    ("base.py", "broadcast_call"),  # the ufunc inside a tensor-tensor op
    ("loss.py", "cross_entropy"),
    ("loss.py", "backward"),
    ("reduce.py", "stable_logsumexp"),
}


def categorise(stats):
    """Seconds of cProfile tottime per category: matmul, elementwise, python."""
    out = {"matmul": 0.0, "elementwise": 0.0, "python": 0.0}
    for (filename, _, func), (_, _, tottime, _, _) in stats.stats.items():
        key = (filename.rsplit("/", 1)[-1], func)
        if key in MATMUL:
            out["matmul"] += tottime
        elif key in ELEMENTWISE or "numpy" in filename or func.startswith("<method"):
            out["elementwise"] += tottime
        else:
            out["python"] += tottime
    return out


def python_overhead(sizes):
    """Seconds per step that minigrad adds over hand-written NumPy on a tiny copy of the net
    (same depth, 4-wide layers, batch 2), where array work is negligible."""
    tiny = (4,) * (len(sizes) - 1) + (sizes[-1],)
    x, y = bench_mlp.make_data(tiny, 2)
    model = bench_mlp.make_minigrad(tiny)
    ws, bs = bench_mlp.linear_params(model)
    mg = _common.best_of(bench_mlp.minigrad_step(model, x, y), 200)
    np_ = _common.best_of(bench_mlp.numpy_step(ws, bs, x, y), 200)
    return mg - np_


def fresh_numpy_step(ws, bs, x, y):
    """The hand-written step written the way a NumPy op is: every array made fresh (no
    ``out=``, no buffers kept across steps), the update in place on its own gradients.
    Returns seconds of (forward + backward, update)."""
    t0 = time.perf_counter()
    hs, a, last = [], x, len(ws) - 1
    for i in range(len(ws)):
        h = a @ ws[i].T
        h += bs[i]
        a = np.maximum(h, 0) if i < last else h
        hs.append(a)
    p = np.exp(a - a.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    p[rows, y] -= 1
    g = p / len(y)
    grads = []
    for i in range(last, -1, -1):
        a = x if i == 0 else hs[i - 1]
        grads.append((i, g.T @ a, g.sum(axis=0)))
        if i > 0:
            g = (g @ ws[i]) * (a > 0)
    t1 = time.perf_counter()
    for i, gw, gb in grads:
        gw *= bench_mlp.LR
        ws[i] -= gw
        gb *= bench_mlp.LR
        bs[i] -= gb
    return t1 - t0, time.perf_counter() - t1


def update_split(sizes, batch, repeats):
    """Median seconds per step of forward + backward and of the SGD update, each timed
    directly inside the step (``perf_counter`` around the update), for the hand-written
    step, minigrad's step (``optimizer.step()``), and minigrad's forward + backward followed
    by an update that scales each gradient in place as the hand-written step does (which
    an optimizer cannot do: ``.grad`` must keep the gradient), and the hand-written step
    with fresh arrays (``fresh_numpy_step``). Taken in turns, after a 50 ms pause each.
    Returns name -> (forward + backward, update)."""
    x, y = bench_mlp.make_data(sizes, batch)
    model = bench_mlp.make_minigrad(sizes)
    ws, bs = bench_mlp.linear_params(model)
    net = bench_mlp.NumpyMLP(ws, bs, batch)
    xt = mg.Tensor(x)
    opt = optim.SGD(model.parameters(), lr=bench_mlp.LR)
    params = list(model.parameters())
    fresh_ws, fresh_bs = [w.copy() for w in ws], [b.copy() for b in bs]

    def hand_written():
        t0, u0 = time.perf_counter(), net.update_seconds
        net.step(x, y)
        update = net.update_seconds - u0
        return time.perf_counter() - t0 - update, update

    def minigrad_step(in_place=False):
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(xt), y).backward()
        t1 = time.perf_counter()
        if in_place:
            for p in params:
                g = p.grad.data
                g *= bench_mlp.LR
                p.data -= g
        else:
            opt.step()
        return t1 - t0, time.perf_counter() - t1

    fns = {
        "numpy": hand_written,
        "minigrad": minigrad_step,
        "in place": lambda: minigrad_step(in_place=True),
        "fresh": lambda: fresh_numpy_step(fresh_ws, fresh_bs, x, y),
    }
    times = {name: [] for name in fns}
    for i in range(repeats + 3):
        for name, fn in fns.items():
            time.sleep(0.05)
            if i >= 3:
                times[name].append(fn())
            else:
                fn()
    return {
        name: tuple(statistics.median(part) for part in zip(*runs)) for name, runs in times.items()
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None, help="limit BLAS threads")
    args = parser.parse_args()
    if args.threads is not None:
        _common.limit_threads(args.threads)
    for name, (sizes, batch) in bench_mlp.WORKLOADS.items():
        x, y = bench_mlp.make_data(sizes, batch)
        step = bench_mlp.minigrad_step(bench_mlp.make_minigrad(sizes), x, y)
        for _ in range(3):
            step()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.steps):
            step()
        prof.disable()
        parts = categorise(pstats.Stats(prof))
        total = sum(parts.values())
        shares = ", ".join(f"{k} {v / total:.0%}" for k, v in parts.items())
        overhead = python_overhead(sizes)
        print(
            f"{name}: {total / args.steps * 1e3:.2f} ms/step under cProfile ({shares}); "
            f"Python overhead measured on a tiny copy: {overhead * 1e6:.0f} us/step"
        )
        split = update_split(sizes, batch, args.steps)
        (np_rest, np_update), (mg_rest, mg_update) = split["numpy"], split["minigrad"]
        print(
            f"  forward + backward: hand-written {np_rest * 1e3:.2f} ms, minigrad "
            f"{mg_rest * 1e3:.2f} ms ({mg_rest / np_rest:.3f}x); SGD update: hand-written "
            f"{np_update * 1e3:.2f} ms, minigrad {mg_update * 1e3:.2f} ms (scaling the "
            f"gradient in place instead: {split['in place'][1] * 1e3:.2f} ms); whole step "
            f"{(mg_rest + mg_update) / (np_rest + np_update):.3f}x; hand-written with fresh "
            f"arrays: forward + backward {split['fresh'][0] * 1e3:.2f} ms"
        )


if __name__ == "__main__":
    main()
