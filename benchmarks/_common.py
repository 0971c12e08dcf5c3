"""Shared helpers for the benchmarks: interleaved timing, BLAS report, optional PyTorch."""

import os
import statistics
import time


def interleaved(fns, repeats, inner=1, warmup=2, settle=0.0):
    """Time each of ``fns`` (name -> zero-argument callable) ``repeats`` times, taking turns
    so that machine drift hits every contender alike. Returns name -> median seconds/call.

    ``settle`` seconds of sleep before each timing let the previous contender's idle
    worker threads stop spinning (OpenBLAS and PyTorch's OpenMP pool busy-wait for a while
    after each call, taking a core from whoever runs next)."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            if settle:
                time.sleep(settle)
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            times[name].append((time.perf_counter() - t0) / inner)
    return {name: statistics.median(v) for name, v in times.items()}


def best_of(fn, repeats, warmup=1):
    """The fastest of ``repeats`` timed calls of ``fn``, in seconds, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def try_torch():
    """PyTorch if installed (for comparison only; minigrad never needs it), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def limit_threads(n):
    """Run BLAS (threadpoolctl, if installed) and PyTorch (if installed) on ``n`` threads."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("threadpoolctl not installed: BLAS threads left as they are")
    else:
        import numpy  # noqa: F401  (load NumPy's BLAS before limiting it)

        threadpool_limits(n)
    torch = try_torch()
    if torch is not None:
        torch.set_num_threads(n)


def blas_report():
    """One line per BLAS library NumPy loaded (threadpoolctl), and the OpenBLAS env knobs."""
    lines = []
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        lines.append("BLAS: threadpoolctl not installed (pip install threadpoolctl to see it)")
    else:
        import numpy  # noqa: F401  (load NumPy's BLAS before asking)

        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                lines.append(
                    f"BLAS: {lib.get('internal_api')} {lib.get('version')}, kernel "
                    f"{lib.get('architecture')}, {lib.get('num_threads')} threads"
                )
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()[0]
        busy = " (other work is running: expect noisy ratios)" if load > 0.5 else ""
        lines.append(f"load average (1 min) at start: {load:.2f}{busy}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        value = os.environ.get(var)
        note = "unset" if value is None else f"{value!r} (set: slows OpenBLAS; unset it)"
        lines.append(f"{var}: {note}")
    return lines
