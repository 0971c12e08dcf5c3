"""Where a minigrad training step's time goes: matmuls, elementwise NumPy work, and Python
(graph building, the backward walk, wrappers), for the MLP workloads of bench_mlp.

    python benchmarks/profile_step.py [--steps 30] [--threads 1]

Three measurements per workload. cProfile splits the step by function: the NumPy calls made
inside ``linear`` (forward matmul + bias) and its backward closure (the backward matmuls,
run on plain arrays) are the matmuls; the optimizer update, ReLU, loss and reductions are
the elementwise work; the rest is Python. Since cProfile inflates Python-heavy code, the
Python overhead is also measured directly: the same graph on 4-wide layers (batch 2), where
NumPy's work is negligible, against the hand-written NumPy step on the same tiny net.
Last, both full-size steps are timed with and without their SGD update (interleaved,
medians), which splits minigrad's gap to the hand-written step into forward + backward and
the update.
"""

import argparse
import cProfile
import pstats
import time

import _common
import bench_mlp

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


def best_of(fn, repeats=200):
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def python_overhead(sizes):
    """Seconds per step that minigrad adds over hand-written NumPy on a tiny copy of the net
    (same depth, 4-wide layers, batch 2), where array work is negligible."""
    tiny = (4,) * (len(sizes) - 1) + (sizes[-1],)
    x, y = bench_mlp.make_data(tiny, 2)
    model = bench_mlp.make_minigrad(tiny)
    ws, bs = bench_mlp.linear_params(model)
    mg = best_of(bench_mlp.minigrad_step(model, x, y))
    np_ = best_of(bench_mlp.numpy_step(ws, bs, x, y))
    return mg - np_


def update_split(sizes, batch, repeats):
    """Median seconds per step of both steps with and without their SGD update, interleaved:
    name -> (forward + backward, update) for "numpy" and "minigrad"."""
    x, y = bench_mlp.make_data(sizes, batch)
    model = bench_mlp.make_minigrad(sizes)
    ws, bs = bench_mlp.linear_params(model)
    fns = {}
    for update in (True, False):
        fns["numpy", update] = bench_mlp.numpy_step(ws, bs, x, y, update)
        fns["minigrad", update] = bench_mlp.minigrad_step(model, x, y, update)
    t = _common.interleaved(fns, repeats, warmup=3, settle=0.05)
    return {k: (t[k, False], t[k, True] - t[k, False]) for k in ("numpy", "minigrad")}


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
            f"{np_update * 1e3:.2f} ms, minigrad {mg_update * 1e3:.2f} ms"
        )


if __name__ == "__main__":
    main()
