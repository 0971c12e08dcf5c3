"""mg.arange, mg.full, mg.eye, mg.linspace and mg.randint: PyTorch's values and dtypes."""

import numpy as np
import pytest

import minigrad as mg


def test_arange_is_int64_for_ints_and_float_otherwise():
    assert mg.arange(5).tolist() == [0, 1, 2, 3, 4] and mg.arange(5).dtype == np.int64
    assert mg.arange(2, 8, 3).tolist() == [2, 5]
    r = mg.arange(0, 1, 0.25)
    assert r.dtype == np.float32 and r.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert mg.arange(3, dtype=np.float64, requires_grad=True).requires_grad


def test_full_takes_its_dtype_from_the_value_as_pytorch():
    assert mg.full((2, 2), 3.0).dtype == np.float32
    assert mg.full((2,), 3).dtype == np.int64
    assert mg.full(2, True).dtype == np.bool_
    assert mg.full([1, 2], 1.5, dtype=np.float64).tolist() == [[1.5, 1.5]]


def test_eye_and_linspace():
    assert mg.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert mg.eye(3).dtype == np.float32
    assert mg.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_randint_takes_both_pytorch_forms():
    a = mg.randint(0, 10, (3,), rng=0)
    b = mg.randint(10, (3,), rng=0)
    assert a.dtype == np.int64 and a.shape == (3,) and a.tolist() == b.tolist()
    values = mg.randint(2, 5, (1000,), rng=1).numpy()
    assert values.min() == 2 and values.max() == 4
    mg.manual_seed(3)
    first = mg.randint(100, (4,)).tolist()
    mg.manual_seed(3)
    assert mg.randint(100, (4,)).tolist() == first
    with pytest.raises(TypeError, match="size"):
        mg.randint(0, 10)


def test_from_numpy_shares_memory_and_like_forms_keep_shape_and_dtype():
    a = np.zeros(3)
    t = mg.from_numpy(a)
    a[0] = 1.0
    assert t.tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(TypeError, match="NumPy array"):
        mg.from_numpy([1.0])
    like = mg.randn_like(t, rng=0)
    assert like.shape == (3,) and like.dtype == np.float64
    assert mg.rand_like(mg.zeros(2, 2, dtype=np.int64)).dtype == np.float32
    assert mg.rand_like(t, requires_grad=True).requires_grad
