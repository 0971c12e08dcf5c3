"""Peak extra memory of one training step of the 3072-1024-512-10 MLP (batch 256), against
its lower bound, and whether memory stays flat over many training steps.

NumPy reports its array allocations to ``tracemalloc``, so the peak traced size during a
step, minus what was allocated before it, is the step's extra memory. The lower bound is
what any reverse-mode step must hold at once: one gradient per parameter plus the
activations backward reads (each hidden layer's ReLU output, which serves as both the next
layer's input and the ReLU mask, and the logits' softmax). PyTorch allocates outside
Python's allocator, so tracemalloc cannot see it; it is left out here.

    python benchmarks/bench_memory.py [--steps 1000]
"""

import argparse
import gc
import os
import sys
import tracemalloc

import bench_mlp  # benchmarks/ is on sys.path when a script in it runs

SIZES = (3072, 1024, 512, 10)
DEEP = bench_mlp.WORKLOADS["deep MLP 10 x 256, batch 128"][0]
MB = 1e6


def lower_bound(sizes, batch, itemsize=4):
    params = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    activations = batch * sum(sizes[1:])
    return (params + activations) * itemsize


def step_peak(step):
    """Extra bytes allocated at the peak of one ``step()`` call."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def minigrad_step_peak(batch):
    x, y = bench_mlp.make_data(SIZES, batch)
    model = bench_mlp.make_minigrad(SIZES)
    step = bench_mlp.minigrad_step(model, x, y)
    step()  # the optimizer makes its scratch buffers once, on the first step
    params = list(model.parameters())

    def one_step():
        for p in params:  # the state a training loop is in before zero_grad
            p.grad = None
        step()

    return step_peak(one_step)


def numpy_step_peak(batch):
    """The hand-written step's footprint: its buffers, allocated inside the measurement."""
    x, y = bench_mlp.make_data(SIZES, batch)
    ws, bs = bench_mlp.linear_params(bench_mlp.make_minigrad(SIZES))

    def one_step():
        net = bench_mlp.NumpyMLP(ws, bs, batch, copy=False)
        net.step(x, y)

    return step_peak(one_step)


def _rss():
    """Resident set size in bytes (Linux), or None elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


def growth(steps, sizes=DEEP, batch=128):
    """(RSS, live Python blocks) after the 10th step and after the last, minigrad training.

    tracemalloc slows a step several-fold, so the long run is watched through the
    process's resident size and Python's count of allocated blocks instead: a leaked graph
    would grow both."""
    x, y = bench_mlp.make_data(sizes, batch)
    step = bench_mlp.minigrad_step(bench_mlp.make_minigrad(sizes), x, y)
    marks = {}
    for i in range(1, steps + 1):
        step()
        if i == 10 or i == steps:
            gc.collect()
            marks[i] = (_rss(), sys.getallocatedblocks())
    return marks[10], marks[steps]


def run(steps=1000, batch=256):
    return {
        "bound": lower_bound(SIZES, batch),
        "minigrad": minigrad_step_peak(batch),
        "numpy": numpy_step_peak(batch),
        "growth": growth(steps),
        "steps": steps,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    r = run(args.steps)
    b = r["bound"]
    print(f"lower bound (param grads + saved activations): {b / MB:.1f} MB")
    print(f"hand-written NumPy step: {r['numpy'] / MB:.1f} MB ({r['numpy'] / b:.2f}x bound)")
    print(f"minigrad step:           {r['minigrad'] / MB:.1f} MB ({r['minigrad'] / b:.2f}x bound)")
    (rss0, blocks0), (rss1, blocks1) = r["growth"]
    rss = "n/a" if rss0 is None else f"{(rss1 - rss0) / 1e3:+.0f} kB"
    print(
        f"deep MLP, steps 10 -> {r['steps']}: resident size {rss}, "
        f"Python blocks {blocks1 - blocks0:+d}"
    )


if __name__ == "__main__":
    main()
