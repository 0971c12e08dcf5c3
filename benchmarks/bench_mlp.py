"""One MLP training step (forward, softmax cross-entropy, backward, SGD update), float32:
minigrad against a hand-written NumPy step (the floor for any NumPy framework) and against
PyTorch CPU when it is installed. All run in one process, interleaved over repeats; the
table gives median ms/step and the ratio to hand-written NumPy.

    python benchmarks/bench_mlp.py [--repeats 30]
    python benchmarks/bench_mlp.py --separate --threads 1 2 [--rounds 3]

`--separate` runs each contender in its own process instead, in turns, `--rounds` times at
each thread count, and gives each contender's fastest median: two threaded libraries in one
process distort each other (OpenBLAS's idle workers and PyTorch's OpenMP threads spin for a
while after each call and take the core the other needs).

Workloads: the CIFAR-10-shaped net 3072-1024-512-10 (ReLU) at batch 64 and 256, and a deep
narrow net of 10 Linear(256) layers at batch 128.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import _common  # benchmarks/ is on sys.path when a script in it runs
import numpy as np

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as F

LR = 0.01
WORKLOADS = {
    "wide MLP 3072-1024-512-10, batch 256": ((3072, 1024, 512, 10), 256),
    "wide MLP 3072-1024-512-10, batch 64": ((3072, 1024, 512, 10), 64),
    "deep MLP 10 x 256, batch 128": ((256,) * 10 + (10,), 128),
}


def make_data(sizes, batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], batch)
    return x, y


def make_minigrad(sizes, seed=0):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out, rng=seed + i))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def linear_params(model):
    """(weights, biases) of the model's Linear layers as fresh float32 arrays."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return [m.weight.data.copy() for m in linears], [m.bias.data.copy() for m in linears]


def minigrad_step(model, x, y, update=True):
    """The step a minigrad user writes (``update=False``: without ``opt.step()``)."""
    opt = optim.SGD(model.parameters(), lr=LR)
    xt = mg.Tensor(x)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(xt), y)
        loss.backward()
        if update:
            opt.step()
        return loss

    return step


class NumpyMLP:
    """A hand-written ReLU MLP step in NumPy: buffers allocated once, everything in place.

    Forward h_i = relu(h_{i-1} @ W_i.T + b_i) (no relu on the last layer), p = softmax.
    Backward g = (p - onehot(y)) / N; per layer dW = g.T @ h_{i-1}, db = sum(g, 0),
    g = (g @ W_i) * (h_{i-1} > 0); SGD W -= lr * dW.
    """

    def __init__(self, weights, biases, batch, copy=True):
        self.w = [w.copy() for w in weights] if copy else weights
        self.b = [b.copy() for b in biases] if copy else biases
        self.h = [np.empty((batch, w.shape[0]), w.dtype) for w in weights]
        # the first layer's input is data: it needs no dx buffer
        self.gh = [None] + [np.empty((batch, w.shape[1]), w.dtype) for w in weights[1:]]
        self.mask = [None] + [np.empty((batch, w.shape[1]), bool) for w in weights[1:]]
        self.gw = [np.empty_like(w) for w in weights]
        self.gb = [np.empty_like(b) for b in biases]
        self.rowmax = np.empty((batch, 1), weights[0].dtype)
        self.rows = np.arange(batch)
        self.update_seconds = 0.0  # time spent in the SGD update lines, for profile_step

    def step(self, x, y, update=True):
        w, b, h = self.w, self.b, self.h
        a = x
        last = len(w) - 1
        for i in range(len(w)):
            np.matmul(a, w[i].T, out=h[i])
            h[i] += b[i]
            if i < last:
                np.maximum(h[i], 0, out=h[i])
            a = h[i]
        p = h[last]  # logits -> probabilities, in place
        np.max(p, axis=1, keepdims=True, out=self.rowmax)
        p -= self.rowmax
        np.exp(p, out=p)
        np.sum(p, axis=1, keepdims=True, out=self.rowmax)
        p /= self.rowmax
        loss = -np.log(p[self.rows, y]).mean()
        p[self.rows, y] -= 1
        p *= 1.0 / len(y)
        g = p
        for i in range(last, -1, -1):
            a = x if i == 0 else h[i - 1]
            np.matmul(g.T, a, out=self.gw[i])
            np.sum(g, axis=0, out=self.gb[i])
            if i > 0:
                np.matmul(g, w[i], out=self.gh[i])
                np.greater(a, 0, out=self.mask[i])
                np.multiply(self.gh[i], self.mask[i], out=self.gh[i])
            if update:
                t0 = time.perf_counter()
                self.gw[i] *= LR
                w[i] -= self.gw[i]
                self.gb[i] *= LR
                b[i] -= self.gb[i]
                self.update_seconds += time.perf_counter() - t0
            g = self.gh[i]
        return loss


def numpy_step(weights, biases, x, y, update=True):
    net = NumpyMLP(weights, biases, len(x))
    return lambda: net.step(x, y, update)


def torch_step(torch, weights, biases, x, y):
    layers = []
    for i, (w, b) in enumerate(zip(weights, biases)):
        lin = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if i < len(weights) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
        return loss

    return step


def check_same_step(sizes, batch):
    """The contenders compute the same losses over a few steps (a benchmark of wrong code
    proves nothing)."""
    x, y = make_data(sizes, batch)
    model = make_minigrad(sizes)
    ws, bs = linear_params(model)
    mg_step, np_step = minigrad_step(model, x, y), numpy_step(ws, bs, x, y)
    for _ in range(3):
        a, b = float(mg_step().item()), float(np_step())
        assert abs(a - b) <= 1e-4 * max(1.0, abs(b)), (a, b)


def run(repeats=30, names=None):
    """name -> {"numpy": s/step, "minigrad": s/step, "torch_ratio": torch / numpy or None}.

    minigrad and NumPy are interleaved first, for all workloads, before PyTorch runs at all:
    PyTorch's worker threads keep spinning for a while after each of its steps and slowed
    whichever contender ran next. PyTorch is then interleaved with NumPy in a second pass."""
    torch = _common.try_torch()
    workloads = {k: v for k, v in WORKLOADS.items() if names is None or k in names}
    results = {}
    for name, (sizes, batch) in workloads.items():
        check_same_step(sizes, batch)
        x, y = make_data(sizes, batch)
        model = make_minigrad(sizes)
        ws, bs = linear_params(model)
        fns = {"numpy": numpy_step(ws, bs, x, y), "minigrad": minigrad_step(model, x, y)}
        results[name] = _common.interleaved(fns, repeats, warmup=3, settle=0.05)
        results[name]["torch_ratio"] = None
    if torch is not None:
        for name, (sizes, batch) in workloads.items():
            x, y = make_data(sizes, batch)
            ws, bs = linear_params(make_minigrad(sizes))
            fns = {"numpy": numpy_step(ws, bs, x, y), "torch": torch_step(torch, ws, bs, x, y)}
            r = _common.interleaved(fns, repeats, warmup=3, settle=0.05)
            results[name]["torch_ratio"] = r["torch"] / r["numpy"]
    return results


def child(name, threads, repeats):
    """name -> median s/step of contender `name` alone in this process, every workload."""
    _common.limit_threads(threads)
    torch = _common.try_torch() if name == "torch" else None
    out = {}
    for workload, (sizes, batch) in WORKLOADS.items():
        x, y = make_data(sizes, batch)
        model = make_minigrad(sizes)
        ws, bs = linear_params(model)
        if name == "numpy":
            fn = numpy_step(ws, bs, x, y)
        elif name == "torch":
            fn = torch_step(torch, ws, bs, x, y)
        else:
            fn = minigrad_step(model, x, y)
        # alone in its process: steps back to back, as training runs them (no pause for the
        # threads of another contender to stop spinning; a pause would let them fall asleep)
        out[workload] = _common.interleaved({name: fn}, repeats, warmup=3)[name]
    return out


def run_separate(repeats, rounds, threads, names=("numpy", "minigrad", "torch")):
    """(threads, contender) -> workload -> fastest over `rounds` of the median s/step, each
    contender in its own process, the processes taking turns. `minigrad:PATH` is the
    minigrad of the checkout in folder PATH (a before/after column)."""
    if _common.try_torch() is None:
        names = [n for n in names if n != "torch"]
    best = {}
    for _ in range(rounds):
        for t in threads:
            for name in names:
                cmd = [sys.executable, os.path.abspath(__file__), "--repeats", str(repeats)]
                cmd += ["--child", name.split(":")[0], "--threads", str(t)]
                env = dict(os.environ)
                if ":" in name:
                    path = os.path.abspath(os.path.expanduser(name.split(":", 1)[1]))
                    env["PYTHONPATH"] = os.pathsep.join(filter(None, (path, env.get("PYTHONPATH"))))
                out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, env=env)
                got = json.loads(out.stdout.strip().splitlines()[-1])
                mine = best.setdefault((t, name), got)
                for workload, seconds in got.items():
                    mine[workload] = min(mine[workload], seconds)
    return best


def print_separate(best):
    """One Markdown table: ms/step and the ratio to hand-written NumPy at the same threads."""
    cols = list(best)
    print("| workload | " + " | ".join(f"{n}, {t} thread{'s' * (t > 1)}" for t, n in cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for workload in WORKLOADS:
        cells = []
        for t, name in cols:
            ms, base = best[(t, name)][workload], best[(t, "numpy")][workload]
            cells.append(f"{ms * 1e3:.2f} ms ({ms / base:.2f}x)")
        print(f"| {workload} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--separate", action="store_true", help="each contender in its process")
    parser.add_argument("--threads", type=int, nargs="+", default=[2])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--contenders", nargs="+", default=["numpy", "minigrad", "torch"])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.threads[0], args.repeats)))
        return
    for line in _common.blas_report():
        print(line)
    if args.separate:
        best = run_separate(args.repeats, args.rounds, args.threads, args.contenders)
        print(f"\nmedian of {args.repeats} steps, fastest of {args.rounds} rounds")
        print_separate(best)
        return
    for line in _common.blas_report():
        print(line)
    res = run(args.repeats)
    print(f"{'workload':<40} {'NumPy ms':>9} {'minigrad':>9} {'torch':>9}")
    for name, r in res.items():
        base = r["numpy"]
        tr = r["torch_ratio"]
        torch_col = f"{tr:8.2f}x" if tr is not None else f"{'-':>9}"
        print(f"{name:<40} {base * 1e3:9.2f} {r['minigrad'] / base:8.2f}x {torch_col}")


if __name__ == "__main__":
    main()
