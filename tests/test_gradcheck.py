"""mg.numerical_grad: both calling forms (a closure and cs231n's f(x)), and clear errors."""

import numpy as np
import pytest

import minigrad as mg

X0 = np.array([[1.0, -2.0, 3.0], [0.5, 0.25, -1.5]])


def cubic_sum(v):
    """sum(v**3) for an ndarray or a Tensor; the gradient is 3 v**2."""
    return (v * v * v).sum()


def test_closure_over_a_tensor_gives_the_gradient_and_restores_x():
    x = mg.tensor(X0.copy())
    g = mg.numerical_grad(lambda: cubic_sum(x), x)
    np.testing.assert_allclose(g, 3 * X0**2, rtol=1e-8)
    np.testing.assert_array_equal(x.data, X0)
    assert g.dtype == np.float64 and g.shape == X0.shape


def test_cs231n_form_with_an_ndarray_argument():
    x = X0.copy()
    seen = []

    def f(w):
        seen.append(w)
        return cubic_sum(w)

    g = mg.numerical_grad(f, x)
    np.testing.assert_allclose(g, 3 * X0**2, rtol=1e-8)
    assert all(w is x for w in seen)  # f gets the very array, perturbed in place
    np.testing.assert_array_equal(x, X0)


def test_one_argument_function_of_a_tensor():
    x = mg.tensor(X0.copy(), requires_grad=True)
    g = mg.numerical_grad(lambda t: mg.tanh(t).sum(), x)
    np.testing.assert_allclose(g, 1 - np.tanh(X0) ** 2, rtol=1e-7)
    assert x.grad is None


def test_cs231n_habit_of_ignoring_the_argument_and_reading_model_weights():
    """eval_numerical_gradient(lambda W: loss(W_model), W_model): the change is seen in place."""
    w_model = np.array([0.3, -0.7])
    g = mg.numerical_grad(lambda _: np.sum(w_model**2), w_model)
    np.testing.assert_allclose(g, 2 * w_model, rtol=1e-8)


def test_closure_over_an_ndarray():
    x = X0.copy()
    g = mg.numerical_grad(lambda: np.sum(np.sin(x)), x)
    np.testing.assert_allclose(g, np.cos(X0), rtol=1e-7)


def test_builtin_without_a_python_signature_is_given_x():
    x = np.array([0.2, 1.5, -0.3])
    np.testing.assert_allclose(mg.numerical_grad(max, x), [0.0, 1.0, 0.0])


def test_zero_dim_and_non_contiguous_inputs():
    x0 = np.array(1.5)
    np.testing.assert_allclose(mg.numerical_grad(lambda v: v**2, x0), 3.0, rtol=1e-8)
    base = np.arange(12.0).reshape(3, 4) / 7
    view = base[:, ::2]
    g = mg.numerical_grad(lambda: np.sum(view**2), view)
    np.testing.assert_allclose(g, 2 * view, rtol=1e-8)
    np.testing.assert_array_equal(base, np.arange(12.0).reshape(3, 4) / 7)


def test_f_may_return_a_number_or_a_one_element_array():
    x = np.array([2.0])
    assert mg.numerical_grad(lambda v: float(v[0] ** 2), x) == pytest.approx([4.0])
    assert mg.numerical_grad(lambda v: v**2, x) == pytest.approx([4.0])


def test_x_is_restored_when_f_raises():
    x = X0.copy()
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("boom")
        return v.sum()

    with pytest.raises(RuntimeError, match="boom"):
        mg.numerical_grad(f, x)
    np.testing.assert_array_equal(x, X0)


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        ([1.0, 2.0], TypeError, "x must be a Tensor or a NumPy array, got list"),
        (3.0, TypeError, "x must be a Tensor or a NumPy array, got float"),
        (np.array([1, 2]), TypeError, "dtype int64.*astype"),
        (mg.tensor(np.array([1, 2])), TypeError, "dtype int64"),
    ],
)
def test_x_that_cannot_be_perturbed_is_a_clear_error(x, error, match):
    with pytest.raises(error, match=match):
        mg.numerical_grad(lambda v: v.sum(), x)


def test_read_only_x_is_a_clear_error():
    x = np.ones(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="read-only.*copy"):
        mg.numerical_grad(lambda v: v.sum(), x)


def test_f_with_two_required_arguments_is_a_clear_error():
    with pytest.raises(TypeError, match=r"no arguments .* or one .*\(a, b\)"):
        mg.numerical_grad(lambda a, b: a.sum(), np.ones(3))


def test_f_that_is_not_callable_is_a_clear_error():
    with pytest.raises(TypeError, match="f must be callable, got ndarray"):
        mg.numerical_grad(np.ones(3), np.ones(3))


def test_f_returning_a_tuple_says_to_pick_the_loss():
    with pytest.raises(TypeError, match=r"got a tuple.*\[0\]"):
        mg.numerical_grad(lambda w: (w.sum(), {"W": w}), np.ones(3))


def test_f_returning_a_vector_is_a_clear_error():
    with pytest.raises(ValueError, match=r"scalar, got shape \(3,\)"):
        mg.numerical_grad(lambda w: w * 2, np.ones(3))


def test_gradcheck_still_passes_and_fails_as_before():
    x = mg.tensor(X0.copy(), requires_grad=True)
    assert mg.gradcheck(lambda t: (t * t * t).sum(), [x])
    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda t: mg.Tensor(t.data * 2.0) + t * 0, [x])
