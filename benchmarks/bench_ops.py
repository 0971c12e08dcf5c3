"""Per-op overhead: a chain of 100 small elementwise ops on a 4x4 tensor, forward + backward.

minigrad builds the graph and backpropagates; plain NumPy does the same arithmetic by hand
(forward values, then the chain rule in reverse). Reported in microseconds per op, medians
of interleaved repeats.

    python benchmarks/bench_ops.py
"""

import statistics
import time

import numpy as np

import minigrad as mg

N_OPS = 100  # 25 rounds of (mul, add, tanh, mul)


def minigrad_chain(x0):
    x = mg.Tensor(x0, requires_grad=True)
    y = x
    for _ in range(N_OPS // 4):
        y = (y * 0.9 + 0.1).tanh() * 1.1
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


def run(repeats=200, inner=20):
    """contender -> median microseconds per op."""
    x0 = np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)
    np.testing.assert_allclose(minigrad_chain(x0).data, numpy_chain(x0), rtol=1e-5)
    fns = {"numpy": numpy_chain, "minigrad": minigrad_chain}
    try:
        import torch
    except ImportError:
        pass
    else:
        fns["torch"] = lambda x: torch_chain(torch, x)
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn(x0)
            times[name].append((time.perf_counter() - t0) / inner / N_OPS * 1e6)
    return {name: statistics.median(v) for name, v in times.items()}


def main():
    res = run()
    print(f"{'elementwise chain, 100 ops on 4x4, fwd+bwd':<44} {'us/op':>8}")
    print(f"{'plain NumPy (hand-written chain rule)':<44} {res['numpy']:8.2f}")
    print(f"{'minigrad':<44} {res['minigrad']:8.2f}")
    if "torch" in res:
        print(f"{'PyTorch eager':<44} {res['torch']:8.2f}")
    print(f"ratio minigrad / NumPy: {res['minigrad'] / res['numpy']:.2f}x (target: < 3 us/op)")
    return res


if __name__ == "__main__":
    main()
