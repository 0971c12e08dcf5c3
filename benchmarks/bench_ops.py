"""Per-op overhead: a chain of 100 small elementwise ops on a 4x4 tensor, forward + backward
(the target row), and a mixed chain with tensor operands, a broadcast bias and shared
weights (for information).

minigrad builds the graph and backpropagates; plain NumPy does the same arithmetic by hand
(forward values, then the chain rule in reverse). Reported in microseconds per op, medians
of interleaved repeats.

    python benchmarks/bench_ops.py [--split]

``--split`` times minigrad's forward alone against forward plus backward (docs/performance.md).
"""

import statistics
import sys
import time

import numpy as np

import minigrad as mg

N_OPS = 100  # 25 rounds of (mul, add, tanh, mul)


def minigrad_forward(x0):
    """The chain's forward only: builds the graph of 100 ops."""
    x = mg.Tensor(x0, requires_grad=True)
    y = x
    for _ in range(N_OPS // 4):
        y = (y * 0.9 + 0.1).tanh() * 1.1
    return x, y


def minigrad_chain(x0):
    x, y = minigrad_forward(x0)
    y.backward(gradient=np.ones_like(x0))
    return x.grad


def numpy_chain(x0):
    y, saved = x0, []
    for _ in range(N_OPS // 4):
        a = y * 0.9
        b = a + 0.1
        t = np.tanh(b)
        saved.append(t)
        y = t * 1.1
    g = np.ones_like(x0)
    for t in reversed(saved):
        g = g * 1.1
        g = g * (1 - t * t)
        g = g * 0.9
    return g


def torch_chain(torch, x0):
    x = torch.tensor(x0, requires_grad=True)
    y = x
    for _ in range(N_OPS // 4):
        y = (y * 0.9 + 0.1).tanh() * 1.1
    y.backward(gradient=torch.ones_like(x))
    return x.grad


def mixed_inputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 4)).astype(np.float32)
    return (
        x,
        rng.uniform(0.5, 1.0, (4, 4)).astype(np.float32),
        rng.standard_normal(4).astype(np.float32),
    )


def minigrad_mixed(x0, w0, b0):
    """25 rounds of (y * w + b).sigmoid() - 0.5: tensor operands, a broadcast bias, and
    weights shared by every round (their gradients accumulate 25 times)."""
    x, w, b = (mg.Tensor(a, requires_grad=True) for a in (x0, w0, b0))
    y = x
    for _ in range(N_OPS // 4):
        y = (y * w + b).sigmoid() - 0.5
    y.backward(gradient=np.ones_like(x0))
    return x.grad, w.grad, b.grad


def numpy_mixed(x0, w0, b0):
    y, saved = x0, []
    for _ in range(N_OPS // 4):
        s = 1 / (1 + np.exp(-(y * w0 + b0)))
        saved.append((y, s))
        y = s - 0.5
    g, gw, gb = np.ones_like(x0), np.zeros_like(w0), np.zeros_like(b0)
    for y, s in reversed(saved):
        g = g * (s * (1 - s))
        gb += g.sum(axis=0)
        gw += g * y
        g = g * w0
    return g, gw, gb


def torch_mixed(torch, x0, w0, b0):
    x, w, b = (torch.tensor(a, requires_grad=True) for a in (x0, w0, b0))
    y = x
    for _ in range(N_OPS // 4):
        y = (y * w + b).sigmoid() - 0.5
    y.backward(gradient=torch.ones_like(x))
    return x.grad, w.grad, b.grad


def elementwise_inputs():
    return (np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32),)


CHAINS = {  # name -> ((minigrad, NumPy, PyTorch) versions, inputs)
    "elementwise": ((minigrad_chain, numpy_chain, torch_chain), elementwise_inputs),
    "mixed": ((minigrad_mixed, numpy_mixed, torch_mixed), mixed_inputs),
}


def run(repeats=200, inner=20, chain="elementwise"):
    """contender -> median microseconds per op, for the ``chain`` of CHAINS."""
    (mg_fn, np_fn, torch_fn), make_inputs = CHAINS[chain]
    args = make_inputs()
    mine, ref = mg_fn(*args), np_fn(*args)
    if not isinstance(mine, tuple):
        mine, ref = (mine,), (ref,)
    for grad, expected in zip(mine, ref):  # the contenders compute the same gradients
        np.testing.assert_allclose(grad.data, expected, rtol=1e-4, atol=1e-6)
    fns = {"numpy": np_fn, "minigrad": mg_fn}
    try:
        import torch
    except ImportError:
        pass
    else:
        fns["torch"] = lambda *a: torch_fn(torch, *a)
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn(*args)
            times[name].append((time.perf_counter() - t0) / inner / N_OPS * 1e6)
    return {name: statistics.median(v) for name, v in times.items()}


def split(repeats=300, inner=20):
    """Median microseconds per op of the minigrad chain's forward alone and of forward plus
    backward (their difference is the backward), interleaved."""
    (x0,) = elementwise_inputs()
    parts = {"forward": minigrad_forward, "forward + backward": minigrad_chain}
    times = {name: [] for name in parts}
    for _ in range(repeats):
        for name, fn in parts.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn(x0)
            times[name].append((time.perf_counter() - t0) / inner / N_OPS * 1e6)
    return {name: statistics.median(v) for name, v in times.items()}


def main():
    if "--split" in sys.argv[1:]:
        res = split()
        fwd, total = res["forward"], res["forward + backward"]
        print(
            f"minigrad chain, us/op: forward {fwd:.2f}, backward {total - fwd:.2f}, "
            f"total {total:.2f}"
        )
        return res
    res = run()
    print(f"{'elementwise chain, 100 ops on 4x4, fwd+bwd':<44} {'us/op':>8}")
    print(f"{'plain NumPy (hand-written chain rule)':<44} {res['numpy']:8.2f}")
    print(f"{'minigrad':<44} {res['minigrad']:8.2f}")
    if "torch" in res:
        print(f"{'PyTorch eager':<44} {res['torch']:8.2f}")
    print(f"ratio minigrad / NumPy: {res['minigrad'] / res['numpy']:.2f}x (target: < 3 us/op)")
    mixed = run(chain="mixed")
    print(f"{'mixed chain: (y * W + b).sigmoid() - 0.5':<44} {'us/op':>8}  (no target)")
    for name, label in [("numpy", "plain NumPy"), ("minigrad", "minigrad"), ("torch", "PyTorch")]:
        if name in mixed:
            print(f"{label:<44} {mixed[name]:8.2f}")
    return res


if __name__ == "__main__":
    main()
