"""The nn section of the op table: every public function of `minigrad.nn.functional`.

`op_table.py` imports `NN_OPS` from here at its end (this module takes `OpSpec` and the
domains from it), so import the table through `op_table`, never this module first.
Targets, generators and running statistics are fixed inside each entry's closure, so every
entry is a deterministic function of its float inputs.
"""

import numpy as np
from op_table import OpSpec, away_from_zero, normal, positive

import minigrad.nn.functional as F

TARGET = np.array([2, 0, 3, 1, 2])  # for scores of shape (5, 4)
ROWS = np.arange(5)


def np_log_softmax(x, axis=-1):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def np_reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](loss)


def np_cross_entropy(x, reduction, ls):
    logp = np_log_softmax(x, axis=1)
    loss = -(1 - ls) * logp[ROWS, TARGET] - ls / x.shape[1] * logp.sum(axis=1)
    return np_reduce(loss, reduction)


def np_soft_cross_entropy(x, t, reduction, ls):
    """Cross-entropy against class probabilities t (rows need not sum to 1)."""
    q = (1 - ls) * t + ls / x.shape[1]
    return np_reduce(-(q * np_log_softmax(x, axis=1)).sum(axis=1), reduction)


def one_hot_target(rng, shape):
    """TARGET as one-hot rows: class probabilities that are exactly 0 and 1."""
    return np.eye(shape[1])[TARGET]


def np_svm(x, reduction, margin=1.0):
    m = np.maximum(0, x - x[ROWS, TARGET][:, None] + margin)
    m[ROWS, TARGET] = 0
    return np_reduce(m.sum(axis=1), reduction)


def probability(rng, shape):
    """Values in [0.05, 0.95]: probabilities away from 0 and 1, where BCE is singular."""
    return rng.uniform(0.05, 0.95, shape)


def hinge_safe(rng, shape):
    """Scores whose pairwise differences + 1 stay >= 0.25 away from 0 (no hinge kink)."""
    return rng.integers(-3, 4, shape) * 0.7 + rng.uniform(-0.05, 0.05, shape)


def np_batch_norm(x, w, b, axes=(0,), eps=1e-5):
    shape = [1] * x.ndim
    shape[1] = x.shape[1]
    mu = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape)


RUN_MEAN = np.array([0.3, -0.2, 0.1])
RUN_VAR = np.array([0.5, 1.5, 2.0])


def np_dropout(x, p, seed):
    keep = np.random.default_rng(seed).random(x.shape)
    return x * ((keep >= p).astype(np.float64) * (1.0 / (1.0 - p)))


def _loss_entries():
    out = []
    for reduction in ("mean", "sum", "none"):
        for ls in (0.0, 0.1):
            out.append(
                OpSpec(
                    f"cross_entropy({reduction}, label_smoothing={ls})",
                    lambda x, r=reduction, s=ls: F.cross_entropy(x, TARGET, r, s),
                    lambda x, r=reduction, s=ls: np_cross_entropy(x, r, s),
                    [[(5, 4)]],
                    covers=("F.cross_entropy",),
                )
            )
            out.append(
                OpSpec(
                    f"cross_entropy({reduction}, probabilities, label_smoothing={ls})",
                    lambda x, t, r=reduction, s=ls: F.cross_entropy(x, t, r, s),
                    lambda x, t, r=reduction, s=ls: np_soft_cross_entropy(x, t, r, s),
                    [[(5, 4), (5, 4)]],
                    domains=[normal, probability],  # rows that do not sum to 1
                    covers=("F.cross_entropy",),
                )
            )
        out.append(
            OpSpec(
                f"svm_loss({reduction})",
                lambda x, r=reduction: F.svm_loss(x, TARGET, reduction=r),
                lambda x, r=reduction: np_svm(x, r),
                [[(5, 4)]],
                hinge_safe,
                covers=("F.svm_loss",),
            )
        )
        out.append(
            OpSpec(
                f"nll_loss({reduction})",
                lambda x, r=reduction: F.nll_loss(x, TARGET, r),
                lambda x, r=reduction: np_reduce(-x[ROWS, TARGET], r),
                [[(5, 4)]],
                covers=("F.nll_loss",),
            )
        )
        out.append(
            OpSpec(
                f"binary_cross_entropy({reduction})",
                lambda p, t, r=reduction: F.binary_cross_entropy(p, t, r),
                lambda p, t, r=reduction: np_reduce(-(t * np.log(p) + (1 - t) * np.log1p(-p)), r),
                [[(3, 4), (3, 4)], [(5,), (5,)]],
                probability,
                covers=("F.binary_cross_entropy",),
            )
        )
        out.append(
            OpSpec(
                f"binary_cross_entropy_with_logits({reduction})",
                lambda x, t, r=reduction: F.binary_cross_entropy_with_logits(x, t, r),
                lambda x, t, r=reduction: np_reduce(np.logaddexp(0, x) - x * t, r),
                [[(3, 4), (3, 4)], [(), ()]],
                domains=[normal, probability],
                covers=("F.binary_cross_entropy_with_logits",),
            )
        )
        out.append(
            OpSpec(
                f"l1_loss({reduction})",
                lambda a, b, r=reduction: F.l1_loss(a, b, r),
                lambda a, b, r=reduction: np_reduce(np.abs(a - b), r),
                [[(3, 4), (3, 4)], [(), ()]],
                domains=[away_from_zero, lambda rng, s: np.zeros(s)],
                covers=("F.l1_loss",),
            )
        )
        out.append(
            OpSpec(
                f"mse_loss({reduction})",
                lambda a, b, r=reduction: F.mse_loss(a, b, r),
                lambda a, b, r=reduction: np_reduce((a - b) ** 2, r),
                [[(3, 4), (3, 4)], [(5,), (5,)], [(), ()]],
                covers=("F.mse_loss",),
            )
        )
    return out


NN_OPS = [
    OpSpec(
        "linear",
        F.linear,
        lambda x, w, b: x @ w.T + b,
        [[(5, 3), (4, 3), (4,)], [(2, 5, 3), (4, 3), (4,)], [(3,), (4, 3), (4,)]],
        covers=("F.linear",),
    ),
    OpSpec(
        "linear without bias",
        F.linear,
        lambda x, w: x @ w.T,
        [[(5, 3), (4, 3)], [(3,), (4, 3)]],
        covers=("F.linear",),
    ),
    *_loss_entries(),
    OpSpec(
        "cross_entropy logits +-1e4",
        lambda x: F.cross_entropy(x * 1e4, TARGET, label_smoothing=0.1),
        lambda x: np_cross_entropy(x * 1e4, "mean", 0.1),
        [[(5, 4)]],
        covers=("F.cross_entropy",),
        atol=1e-3,
        eps=1e-8,
    ),
    OpSpec(
        "cross_entropy probabilities logits +-1e4",
        lambda x, t: F.cross_entropy(x * 1e4, t, label_smoothing=0.1),
        lambda x, t: np_soft_cross_entropy(x * 1e4, t, "mean", 0.1),
        [[(5, 4), (5, 4)]],
        domains=[normal, probability],
        covers=("F.cross_entropy",),
        atol=1e-3,
        eps=1e-8,
    ),
    *[
        OpSpec(
            f"cross_entropy one-hot probabilities is class indices (label_smoothing={ls})",
            lambda x, t, s=ls: F.cross_entropy(x, t, label_smoothing=s),
            lambda x, t, s=ls: np_cross_entropy(x, "mean", s),
            [[(5, 4), (5, 4)]],
            domains=[normal, one_hot_target],
            covers=("F.cross_entropy",),
        )
        for ls in (0.0, 0.1)
    ],
    OpSpec(
        "svm_loss(margin=0.5)",
        lambda x: F.svm_loss(x, TARGET, margin=0.5),
        lambda x: np_svm(x, "mean", 0.5),
        [[(5, 4)]],
        lambda rng, s: rng.integers(-3, 4, s) * 1.1 + rng.uniform(-0.05, 0.05, s),
        covers=("F.svm_loss",),
    ),
    *[
        OpSpec(
            f"softmax(axis={axis})",
            lambda x, a=axis: F.softmax(x, axis=a),
            lambda x, a=axis: np.exp(np_log_softmax(x, a)),
            [[(3, 4)], [(5,)], [(2, 3, 4)]],
            covers=("F.softmax", "softmax"),
        )
        for axis in (-1, 0)
    ],
    *[
        OpSpec(
            f"log_softmax(axis={axis})",
            lambda x, a=axis: F.log_softmax(x, axis=a),
            lambda x, a=axis: np_log_softmax(x, a),
            [[(3, 4)], [(5,)], [(2, 3, 4)]],
            covers=("F.log_softmax", "log_softmax"),
        )
        for axis in (-1, 0)
    ],
    OpSpec(
        "leaky_relu",
        F.leaky_relu,
        lambda x: np.where(x > 0, x, 0.01 * x),
        [[(3, 4)], [()]],
        away_from_zero,
        covers=("F.leaky_relu",),
    ),
    OpSpec(
        "leaky_relu(0.2)",
        lambda x: F.leaky_relu(x, 0.2),
        lambda x: np.where(x > 0, x, 0.2 * x),
        [[(3, 4)]],
        away_from_zero,
        covers=("F.leaky_relu",),
    ),
    OpSpec(
        "F.relu", F.relu, lambda x: np.maximum(x, 0), [[(3, 4)]], away_from_zero, covers=("F.relu",)
    ),
    OpSpec(
        "F.sigmoid", F.sigmoid, lambda x: 1 / (1 + np.exp(-x)), [[(3, 4)]], covers=("F.sigmoid",)
    ),
    OpSpec("F.tanh", F.tanh, np.tanh, [[(3, 4)]], covers=("F.tanh",)),
    OpSpec(
        "dropout(p=0.3, fixed generator)",
        lambda x: F.dropout(x, 0.3, True, rng=np.random.default_rng(7)),
        lambda x: np_dropout(x, 0.3, 7),
        [[(4, 5)], [(3, 2, 2)]],
        covers=("F.dropout",),
    ),
    OpSpec(
        "dropout eval is the identity",
        lambda x: F.dropout(x, 0.3, training=False) * 1.0,
        lambda x: x,
        [[(4, 5)]],
        covers=("F.dropout",),
    ),
    OpSpec(
        "batch_norm train",
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        np_batch_norm,
        [[(6, 3), (3,), (3,)]],
        covers=("F.batch_norm",),
    ),
    OpSpec(
        "batch_norm train (N, C, L) updating running stats",
        lambda x, w, b: F.batch_norm(x, RUN_MEAN.copy(), RUN_VAR.copy(), w, b, training=True),
        lambda x, w, b: np_batch_norm(x, w, b, axes=(0, 2)),
        [[(4, 3, 2), (3,), (3,)]],
        covers=("F.batch_norm",),
    ),
    OpSpec(
        "batch_norm train without affine",
        lambda x: F.batch_norm(x, training=True),
        lambda x: np_batch_norm(x, np.ones(3), np.zeros(3)),
        [[(5, 3)]],
        covers=("F.batch_norm",),
    ),
    OpSpec(
        "batch_norm eval",
        lambda x, w, b: F.batch_norm(x, RUN_MEAN, RUN_VAR, w, b, training=False),
        lambda x, w, b: (x - RUN_MEAN) / np.sqrt(RUN_VAR + 1e-5) * w + b,
        [[(6, 3), (3,), (3,)]],
        covers=("F.batch_norm",),
    ),
    OpSpec(
        "batch_norm_relu train",
        lambda x, w, b: F.batch_norm_relu(x, None, None, w, b, training=True),
        lambda x, w, b: np.maximum(np_batch_norm(x, w, b), 0),
        [[(6, 3), (3,), (3,)], [(8, 4), (4,), (4,)]],
        covers=("F.batch_norm_relu",),
    ),
    OpSpec(
        "batch_norm_relu train (N, C, L) updating running stats",
        lambda x, w, b: F.batch_norm_relu(x, RUN_MEAN.copy(), RUN_VAR.copy(), w, b, training=True),
        lambda x, w, b: np.maximum(np_batch_norm(x, w, b, axes=(0, 2)), 0),
        [[(4, 3, 2), (3,), (3,)]],
        covers=("F.batch_norm_relu",),
    ),
    OpSpec(
        "batch_norm_relu train without affine",
        lambda x: F.batch_norm_relu(x, training=True),
        lambda x: np.maximum(np_batch_norm(x, np.ones(3), np.zeros(3)), 0),
        [[(5, 3)]],
        covers=("F.batch_norm_relu",),
    ),
    OpSpec(
        "batch_norm_relu eval",
        lambda x, w, b: F.batch_norm_relu(x, RUN_MEAN, RUN_VAR, w, b, training=False),
        lambda x, w, b: np.maximum((x - RUN_MEAN) / np.sqrt(RUN_VAR + 1e-5) * w + b, 0),
        [[(6, 3), (3,), (3,)]],
        covers=("F.batch_norm_relu",),
    ),
    OpSpec(
        "l2_penalty",
        lambda a, b: F.l2_penalty([a, b]),
        lambda a, b: (a**2).sum() + (b**2).sum(),
        [[(3, 4), (5,)], [(), (2,)]],
        covers=("F.l2_penalty",),
    ),
    OpSpec(
        "l2_penalty of one tensor",
        F.l2_penalty,
        lambda a: (a**2).sum(),
        [[(3, 4)]],
        positive,
        covers=("F.l2_penalty",),
    ),
    OpSpec(
        "l1_penalty",
        lambda a, b: F.l1_penalty(iter([a, b])),
        lambda a, b: np.abs(a).sum() + np.abs(b).sum(),
        [[(3, 4), (5,)], [(), (2,)]],
        away_from_zero,
        covers=("F.l1_penalty",),
    ),
]
