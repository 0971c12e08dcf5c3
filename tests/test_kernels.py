"""`minigrad.kernels`: the compiled loops give the numbers of the NumPy forms they replace.

Training-mode BatchNorm (with and without the ReLU after it, with and without its affine
parameters) is run through `kernels.bn_relu_forward` / `bn_relu_backward` and through the
NumPy form (`kernels.compiled` patched to None), on the same float32 batches. Skipped
without numba; the NumPy form is what the float64 gradcheck of the op table checks.
"""

import numpy as np
import pytest

from minigrad import Tensor, kernels
from minigrad.nn import functional as F

pytestmark = pytest.mark.skipif(kernels.compiled() is None, reason="needs numba (fast extra)")


def run_bn(monkeypatch, compiled: bool, x, gy, relu: bool, affine: bool, seed: int = 0):
    """Output, gradients and running stats of one training-mode batch norm step."""
    if not compiled:
        monkeypatch.setattr(kernels, "compiled", lambda: None)
    rng = np.random.default_rng(seed)
    c = x.shape[1]
    w = b = None
    if affine:
        w = Tensor(rng.standard_normal(c).astype(np.float32), requires_grad=True)
        b = Tensor(rng.standard_normal(c).astype(np.float32), requires_grad=True)
    xt = Tensor(x, requires_grad=True)
    mean, var = np.full(c, 0.5, np.float32), np.full(c, 2.0, np.float32)
    y = (F.batch_norm_relu if relu else F.batch_norm)(xt, mean, var, w, b, training=True)
    y.backward(gy)
    monkeypatch.undo()
    out = {"y": y.data, "dx": xt.grad.data, "running_mean": mean, "running_var": var}
    if affine:
        out |= {"dw": w.grad.data, "db": b.grad.data}
    return out


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", [(512, 96), (3, 5)])
def test_compiled_batch_norm_matches_the_numpy_form(monkeypatch, relu, affine, shape):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    gy = rng.standard_normal(shape).astype(np.float32)
    got = run_bn(monkeypatch, True, x, gy, relu, affine)
    want = run_bn(monkeypatch, False, x, gy, relu, affine)
    # A value within rounding of the ReLU's kink may fall on either side in either form,
    # which moves its feature's gradients by a whole step: compare the other features.
    pre = run_bn(monkeypatch, False, x, gy, False, affine)["y"]
    clear = (np.abs(pre) > 1e-4).all(axis=0) if relu else np.ones(shape[1], bool)
    assert clear.sum() >= shape[1] // 2
    assert got.keys() == want.keys()
    for name in want:
        assert got[name].dtype == want[name].dtype == np.float32, name
        np.testing.assert_allclose(
            got[name][..., clear], want[name][..., clear], rtol=2e-5, atol=2e-5, err_msg=name
        )
    assert (got["y"] >= 0).all() or not relu


def test_compiled_batch_norm_reads_a_strided_batch_and_a_zero_gradient_below_the_relu(
    monkeypatch,
):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 12)).astype(np.float32)[:, ::2]  # not C-contiguous
    x[:, 0] = 1.0  # a constant feature: normalised to 0 exactly, where the ReLU's slope is 0
    gy = rng.standard_normal(x.shape).astype(np.float32)
    got = run_bn(monkeypatch, True, x, gy, True, False)
    want = run_bn(monkeypatch, False, x, gy, True, False)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=2e-5, atol=2e-5, err_msg=name)
    assert (got["y"][:, 0] == 0).all()


def test_float64_and_three_dimensional_batches_keep_the_numpy_form(monkeypatch):
    def refuse(*args):
        raise AssertionError("the kernel takes float32 (N, C) batches only")

    k = kernels.compiled()
    monkeypatch.setattr(k, "bn_relu_forward", refuse)
    rng = np.random.default_rng(3)
    for x in (rng.standard_normal((6, 3)), rng.standard_normal((4, 3, 2)).astype(np.float32)):
        F.batch_norm_relu(Tensor(x, requires_grad=True), training=True).sum().backward()
