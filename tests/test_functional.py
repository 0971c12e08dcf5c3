"""nn.functional behaviour beyond the op table: fused nodes, target validation, numerics."""

import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F


def _scores(n=4, c=3, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return mg.tensor(rng.standard_normal((n, c)).astype(dtype), requires_grad=True)


def test_linear_is_one_node_with_all_three_parents():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    w = mg.tensor(np.ones((4, 3)), requires_grad=True)
    b = mg.tensor(np.zeros(4), requires_grad=True)
    y = F.linear(x, w, b)
    assert y.op == "linear" and y._parents == (x, w, b)


def test_linear_skips_input_gradient_when_input_is_data():
    x = mg.tensor(np.ones((2, 3)))
    w = mg.tensor(np.ones((4, 3)), requires_grad=True)
    F.linear(x, w).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(w.grad.data, np.full((4, 3), 2.0))


def test_linear_rejects_mismatched_shapes_naming_them():
    w = mg.tensor(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(4, 3\)"):
        F.linear(mg.tensor(np.ones((2, 5))), w)
    with pytest.raises(ValueError, match=r"bias has shape \(3,\)"):
        F.linear(mg.tensor(np.ones((2, 3))), w, mg.tensor(np.ones(3)))


def test_cross_entropy_is_one_node():
    loss = F.cross_entropy(_scores(), np.array([0, 1, 2, 0]))
    assert loss.op == "cross_entropy" and loss.shape == ()


@pytest.mark.parametrize(
    ("target", "match"),
    [
        (np.array([0, 1, -1, 2]), r"\[0, 3\).*got -1 at index 2"),
        (np.array([0, 3, 1, 2]), r"\[0, 3\).*got 3 at index 1"),
        (np.array([0.0, 1.0, 2.0, 0.0]), "integer class indices.*float64"),
        (np.eye(3)[[0, 1, 2, 0]].astype(np.int64), r"\(4, 3\) looks one-hot"),
        (np.array([0, 1, 2]), r"shape \(3,\).*expected a target of shape \(4,\)"),
        (np.array([[0, 1], [2, 0]]), r"shape \(2, 2\)"),
        (np.array([True, False, True, False]), "dtype bool"),
        (mg.tensor(np.array([0.0, 1.0, 2.0, 0.0])), "integer class indices"),
    ],
)
@pytest.mark.parametrize("loss", [F.cross_entropy, F.svm_loss, F.nll_loss])
def test_bad_targets_raise_value_error_naming_the_problem(loss, target, match):
    with pytest.raises(ValueError, match=match):
        loss(_scores(), target)


@pytest.mark.parametrize(
    ("target", "match"),
    [
        (np.full((4, 2), 0.5), r"logits' shape \(4, 3\), got \(4, 2\)"),
        (np.full((4, 3, 1), 0.5), r"got \(4, 3, 1\).*integers of shape \(4,\)"),
        (mg.tensor(np.full((3, 4), 0.5)), r"class probabilities.*got \(3, 4\)"),
        (np.eye(3)[[0, 1, 2, 0]].astype(np.int64), "argmax.*or probabilities as floats"),
    ],
)
def test_cross_entropy_names_the_shape_class_probabilities_need(target, match):
    with pytest.raises(ValueError, match=match):
        F.cross_entropy(_scores(), target)


def test_cross_entropy_on_probabilities_is_one_node_and_leaves_a_plain_target_alone():
    x, q = _scores(), np.full((4, 3), 0.4)
    loss = F.cross_entropy(x, q)
    assert loss.op == "cross_entropy" and loss._parents[0] is x
    loss.backward()
    p = np.exp(x.data) / np.exp(x.data).sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.data, (1.2 * p - q) / 4, rtol=1e-12)
    assert F.cross_entropy(x, q.tolist()).item() == pytest.approx(loss.item(), rel=1e-6)


@pytest.mark.parametrize("loss", [F.cross_entropy, F.svm_loss, F.nll_loss])
def test_empty_batch_raises(loss):
    with pytest.raises(ValueError, match="empty batch"):
        loss(mg.tensor(np.zeros((0, 3)), requires_grad=True), np.zeros(0, np.int64))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.svm_loss, F.nll_loss])
def test_targets_may_be_lists_int_tensors_or_unsigned(loss):
    x = _scores()
    ref = loss(x, np.array([0, 1, 2, 0])).item()
    assert loss(x, [0, 1, 2, 0]).item() == ref
    assert loss(x, mg.tensor(np.array([0, 1, 2, 0]))).item() == ref
    assert loss(x, np.array([0, 1, 2, 0], np.uint8)).item() == ref


def test_losses_reject_bad_reduction_and_non_matrix_scores():
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(_scores(), [0, 1, 2, 0], reduction="avg")
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        F.svm_loss(mg.tensor(np.zeros(4)), [0, 1, 2, 0])
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(_scores(), [0, 1, 2, 0], label_smoothing=1.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_of_huge_logits_is_finite(dtype, ls):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]])
    logits = mg.tensor(x.astype(dtype), requires_grad=True)
    loss = F.cross_entropy(logits, [1, 1], label_smoothing=ls)
    loss.backward()
    logp = x - x.max(1, keepdims=True)  # the exp of the rest underflows to 0
    expected = ((1 - ls) * -logp[:, 1] - ls / 3 * logp.sum(1)).mean()
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert np.isfinite(logits.grad.data).all()
    q = (1 - ls) * np.eye(3)[[1, 1]] + ls / 3
    np.testing.assert_allclose(logits.grad.data, (np.eye(3)[[0, 1]] - q) / 2, atol=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    x = _scores()
    t = np.array([0, 1, 2, 0])
    F.cross_entropy(x, t).backward()
    p = np.exp(x.data) / np.exp(x.data).sum(1, keepdims=True)
    p[np.arange(4), t] -= 1
    np.testing.assert_allclose(x.grad.data, p / 4, rtol=1e-12)


def test_svm_loss_matches_cs231n_and_ignores_correct_class():
    s = mg.tensor(np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]]))
    loss = F.svm_loss(s, [0, 1, 2])
    assert loss.item() == pytest.approx((2.9 + 0 + 12.9) / 3)  # the lecture's example


def test_svm_loss_tie_at_margin_has_zero_subgradient():
    s = mg.tensor(np.array([[1.0, 0.0, -5.0]]), requires_grad=True)  # s1 - s0 + 1 == 0
    loss = F.svm_loss(s, [0])
    loss.backward()
    assert loss.item() == 0.0
    np.testing.assert_array_equal(s.grad.data, [[0.0, 0.0, 0.0]])


def test_svm_loss_counts_violations_on_the_correct_class():
    s = mg.tensor(np.array([[0.0, 0.5, 0.7, -3.0]]), requires_grad=True)
    F.svm_loss(s, [0], reduction="sum").backward()
    np.testing.assert_array_equal(s.grad.data, [[-2.0, 1.0, 1.0, 0.0]])


def test_mse_loss_rejects_shape_mismatch():
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        F.mse_loss(mg.tensor(np.zeros(3)), np.zeros((3, 1)))


def test_dropout_scales_survivors_and_is_reproducible():
    x = mg.tensor(np.ones((200, 50)))
    y1 = F.dropout(x, 0.25, rng=np.random.default_rng(3)).data
    y2 = F.dropout(x, 0.25, rng=np.random.default_rng(3)).data
    np.testing.assert_array_equal(y1, y2)
    assert set(np.unique(y1)) == {0.0, 1 / 0.75}
    assert abs((y1 == 0).mean() - 0.25) < 0.02


def test_dropout_edge_probabilities_and_eval():
    x = mg.tensor(np.ones((3, 4)), requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0, rng=0)
    assert not y.data.any()
    y.sum().backward()
    assert not x.grad.data.any()
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="p must lie in"):
            F.dropout(x, p)


def test_batch_norm_needs_more_than_one_value_per_channel_in_training():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(mg.tensor(np.ones((1, 3))), training=True)


def test_batch_norm_rejects_wrong_feature_count_and_rank():
    with pytest.raises(ValueError, match=r"3 features but weight has shape \(4,\)"):
        F.batch_norm(mg.tensor(np.ones((5, 3))), weight=mg.tensor(np.ones(4)), training=True)
    with pytest.raises(ValueError, match="2-D"):
        F.batch_norm(mg.tensor(np.ones((2, 3, 4, 5))), training=True)


def test_softmax_rows_sum_to_one_even_for_huge_inputs():
    y = F.softmax(mg.tensor(np.array([[1e4, 0.0, -1e4], [1.0, 2.0, 3.0]])), axis=1)
    np.testing.assert_allclose(y.data.sum(1), 1.0)
    assert np.isfinite(F.log_softmax(mg.tensor(np.array([1e4, -1e4]))).data).all()


def test_penalties_of_several_tensors_and_of_nothing():
    a = mg.tensor(np.array([1.0, -2.0]), requires_grad=True)
    b = mg.tensor(np.array([[3.0]]), requires_grad=True)
    assert F.l2_penalty([a, b]).item() == 14.0
    assert F.l1_penalty([a, b]).item() == 6.0
    (F.l2_penalty([a, b]) + F.l1_penalty([a])).backward()
    np.testing.assert_array_equal(a.grad.data, [3.0, -5.0])
    assert F.l2_penalty([]).item() == 0.0


def test_create_graph_through_cross_entropy_gives_hessian_vector_product():
    x = _scores(2, 3)
    (g,) = mg.grad(F.cross_entropy(x, [0, 2]), [x], create_graph=True)
    v = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    (hv,) = mg.grad((g * mg.tensor(v)).sum(), [x])
    p = np.exp(x.data) / np.exp(x.data).sum(1, keepdims=True)
    expected = np.stack([(np.diag(pi) - np.outer(pi, pi)) @ vi for pi, vi in zip(p, v)]) / 2
    np.testing.assert_allclose(hv.data, expected, rtol=1e-10)


def test_nll_loss_of_log_softmax_is_cross_entropy():
    x, t = _scores(), np.array([0, 1, 2, 0])
    for reduction in ("mean", "sum", "none"):
        nll = F.nll_loss(F.log_softmax(x, dim=1), t, reduction)
        np.testing.assert_allclose(nll.data, F.cross_entropy(x, t, reduction).data, rtol=1e-6)


def test_binary_cross_entropy_wants_probabilities_of_the_target_shape():
    p = mg.tensor([0.2, 0.7])
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*with_logits"):
        F.binary_cross_entropy(mg.tensor([0.5, 1.5]), p)
    with pytest.raises(ValueError, match=r"input has shape \(2,\) but target has shape \(1, 2\)"):
        F.binary_cross_entropy(p, np.array([[0.0, 1.0]], np.float32))
    with pytest.raises(ValueError, match="target.float()"):
        F.binary_cross_entropy_with_logits(p, np.array([0, 1]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.binary_cross_entropy(p, p, reduction="avg")


def test_binary_cross_entropy_with_logits_is_bce_of_the_sigmoid_without_overflow():
    x = mg.tensor(np.array([-3.0, 0.0, 2.0]), requires_grad=True)
    t = np.array([0.0, 0.4, 1.0])
    with_logits = F.binary_cross_entropy_with_logits(x, t, "none")
    np.testing.assert_allclose(
        with_logits.data, F.binary_cross_entropy(x.sigmoid(), t, "none").data
    )
    with np.errstate(all="raise"):
        big = F.binary_cross_entropy_with_logits(mg.tensor([1e4, -1e4]), mg.tensor([0.0, 1.0]))
    assert big.item() == pytest.approx(1e4)


def test_one_hot_gives_int64_rows_of_the_given_or_inferred_width():
    t = np.array([[0, 2], [1, 0]])
    assert F.one_hot(mg.tensor(t)).data.tolist() == np.eye(3, dtype=np.int64)[t].tolist()
    assert F.one_hot(t, 4).shape == (2, 2, 4) and F.one_hot(t).dtype == np.int64
    assert not F.one_hot(t).requires_grad


@pytest.mark.parametrize(
    ("target", "num_classes", "match"),
    [
        ([0, 3], 3, r"lie in \[0, 3\)"),
        ([-1, 0], -1, "lie in"),
        ([0.0, 1.0], -1, "integer class indices"),
        (np.zeros(0, int), -1, "cannot infer num_classes"),
    ],
)
def test_one_hot_rejects_bad_targets_naming_the_problem(target, num_classes, match):
    with pytest.raises((ValueError, TypeError), match=match):
        F.one_hot(np.array(target), num_classes)
