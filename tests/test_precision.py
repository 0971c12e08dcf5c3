"""`set_float32_matmul_precision`: bfloat16 products under "medium", NumPy's otherwise.

The rounding to bfloat16 is checked everywhere; the MKL products only where the `mkl` wheel
and a CPU with bfloat16 instructions are present, and against PyTorch's "medium" products
where PyTorch is installed too.
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad import kernels, nn, precision

HAS_BF16 = precision._mkl() is not None
needs_bf16 = pytest.mark.skipif(
    not HAS_BF16, reason="needs the mkl and numba wheels and a CPU with bfloat16 instructions"
)
needs_numba = pytest.mark.skipif(
    kernels.compiled() is None, reason="the rounding is compiled by numba (the fast extra)"
)


@pytest.fixture(autouse=True)
def _restore_precision():
    yield
    mg.set_float32_matmul_precision("highest")


def bf16_reference(x: np.ndarray) -> np.ndarray:
    """x rounded to bfloat16 one number at a time (ties to even), back as float32."""
    out = np.empty(x.size, np.float32)
    for i, v in enumerate(x.ravel().astype(np.float64)):
        if not np.isfinite(v) or v == 0:
            out[i] = v
            continue
        exponent = np.floor(np.log2(abs(v)))
        step = 2.0 ** (exponent - 7)  # 8 significant bits
        q = v / step
        low = np.floor(q)
        r = low + (1 if q - low > 0.5 or (q - low == 0.5 and low % 2) else 0)
        out[i] = np.float32(r * step)
    return out.reshape(x.shape)


def as_float(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def test_setting_is_checked_and_read_back():
    assert mg.get_float32_matmul_precision() == "highest"
    mg.set_float32_matmul_precision("medium")
    assert mg.get_float32_matmul_precision() == "medium"
    with pytest.raises(ValueError, match="highest, high, medium.*'low'"):
        mg.set_float32_matmul_precision("low")
    assert mg.get_float32_matmul_precision() == "medium"


@needs_numba
def test_rounding_to_bfloat16_is_to_nearest_even():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 33)).astype(np.float32) * np.float32(1e3)
    ties = np.array([1 + 2**-8, 1 + 3 * 2**-8, -(1 + 2**-8), 2**-130], np.float32)  # halfway
    x[0, : len(ties)] = ties
    r = precision._round(x)
    bits = r.bits
    assert bits.dtype == np.uint16 and not r.trans and r.shape == (7, 33)
    np.testing.assert_array_equal(as_float(bits), bf16_reference(x))
    assert as_float(bits)[0, 0] == 1 and as_float(bits)[0, 1] == 1 + 2**-6  # to even


@needs_numba
def test_rounding_keeps_infinities_and_nans_and_overflows_to_infinity():
    x = np.array([[np.inf, -np.inf, np.nan, np.float32(3.4e38), 0.0, -0.0, 0.0]], np.float32)
    x.view(np.uint32)[0, 6] = 0xFFFFFFFF  # a NaN that bits + 0x8000 would wrap to zero
    bits = precision._round(x).bits
    got = as_float(bits)
    assert got[0, 0] == np.inf and got[0, 1] == -np.inf and bits[0, 2] == 0x7FC0  # PyTorch's NaN
    assert got[0, 3] == np.inf  # past bfloat16's largest finite number, as PyTorch
    assert got[0, 4] == 0 and np.signbit(got[0, 5]) and bits[0, 6] == 0x7FC0


@needs_numba
def test_a_transposed_view_is_read_in_place():
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    r = precision._round(w.T)
    assert r.trans and r.bits.shape == (3, 4) and r.shape == (4, 3) and r.T.shape == (3, 4)
    r = precision._round(w[:, ::2])  # neither layout: a copy
    assert not r.trans and r.bits.shape == (3, 2)


def test_highest_is_numpys_product_bit_for_bit():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((64, 48), np.float32), rng.standard_normal((48, 32), np.float32)
    mg.set_float32_matmul_precision("high")
    np.testing.assert_array_equal(precision.matmul(a, b), np.matmul(a, b))
    assert precision.matmul_backend() == "numpy (float32)"


def test_medium_leaves_float64_vectors_and_batches_to_numpy():
    rng = np.random.default_rng(2)
    mg.set_float32_matmul_precision("medium")
    a, b = rng.standard_normal((5, 4)), rng.standard_normal((4, 3))
    np.testing.assert_array_equal(precision.matmul(a, b), a @ b)
    a3 = rng.standard_normal((2, 5, 4)).astype(np.float32)
    np.testing.assert_array_equal(
        precision.matmul(a3, b.astype(np.float32)), a3 @ b.astype(np.float32)
    )
    with pytest.raises(ValueError, match="mismatch"):
        precision.matmul(a.astype(np.float32), a.astype(np.float32))


def test_medium_without_a_backend_is_numpys_product(monkeypatch):
    monkeypatch.setattr(precision, "_mkl", lambda: None)
    mg.set_float32_matmul_precision("medium")
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((8, 6), np.float32), rng.standard_normal((6, 5), np.float32)
    np.testing.assert_array_equal(precision.matmul(a, b), a @ b)
    assert precision.matmul_backend() == "numpy (float32)"


@needs_bf16
@pytest.mark.parametrize("layout", ["nn", "tn", "nt", "tt"])
def test_medium_products_are_float32_sums_of_bfloat16_operands(layout):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((96, 80), np.float32)
    b = rng.standard_normal((80, 72), np.float32)
    a_in = np.ascontiguousarray(a.T).T if layout[0] == "t" else a
    b_in = np.ascontiguousarray(b.T).T if layout[1] == "t" else b
    mg.set_float32_matmul_precision("medium")
    assert precision.matmul_backend() == "mkl (bfloat16)"
    got = precision.matmul(a_in, b_in)
    exact = bf16_reference(a).astype(np.float64) @ bf16_reference(b).astype(np.float64)
    np.testing.assert_allclose(got, exact, rtol=0, atol=1e-5 * np.abs(exact).max())
    assert np.abs(got - a @ b).max() > 1e-3 * np.abs(exact).max()  # not float32's product


@needs_bf16
def test_medium_matches_pytorch_medium():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((128, 300), np.float32), rng.standard_normal((200, 300), np.float32)
    mg.set_float32_matmul_precision("medium")
    torch.set_float32_matmul_precision("medium")
    try:
        want = (torch.from_numpy(a) @ torch.from_numpy(b).T).numpy()
    finally:
        torch.set_float32_matmul_precision("highest")
    np.testing.assert_allclose(precision.matmul(a, b.T), want, rtol=1e-6, atol=1e-5)


@needs_bf16
def test_a_linear_layer_trains_through_bfloat16_products():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((32, 20), np.float32)
    layer = nn.Linear(20, 10, rng=np.random.default_rng(0))
    w = layer.weight.data.copy()
    mg.set_float32_matmul_precision("medium")
    xt = mg.tensor(x, requires_grad=True)
    y = layer(xt)
    y.backward(np.ones_like(y.data))
    gy = np.ones((32, 10), np.float32)
    assert np.array_equal(y.data, precision.matmul(x, w.T) + layer.bias.data)
    assert np.array_equal(xt.grad.data, precision.matmul(gy, w))
    assert np.array_equal(layer.weight.grad.data, precision.matmul(gy.T, x))
    np.testing.assert_allclose(xt.grad.data, gy @ w, rtol=1e-2, atol=1e-2)


@needs_bf16
def test_a_read_only_matrix_is_rounded_once_and_a_writable_one_every_time():
    mg.set_float32_matmul_precision("medium")
    w = np.random.default_rng(7).standard_normal((16, 8), np.float32)
    assert precision.rounded(w) is not precision.rounded(w)
    w.flags.writeable = False
    once = precision.rounded(w)
    assert precision.rounded(w) is once and precision.rounded(w).T.bits is once.bits
    key = id(w)
    del w
    assert key not in precision._READ_ONLY  # forgotten with the array


def test_rounded_leaves_arrays_alone_unless_medium():
    w = np.ones((4, 4), np.float32)
    assert precision.rounded(w) is w
    mg.set_float32_matmul_precision("medium")
    assert precision.rounded(w.astype(np.float64)).dtype == np.float64


def test_mkl_takes_numpys_blas_thread_count_when_it_loads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        assert precision._numpy_blas_threads() == 1


@needs_bf16
def test_a_rounded_operand_meets_one_that_stays_float64_through_numpy():
    mg.set_float32_matmul_precision("medium")
    w = np.random.default_rng(8).standard_normal((6, 5), np.float32)
    g = np.random.default_rng(9).standard_normal((4, 6))  # float64: not rounded
    r = precision.rounded(w)
    got = precision.matmul(g, r)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, g @ bf16_reference(w), rtol=1e-12)
