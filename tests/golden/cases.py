"""What the golden files record, written once for both frameworks.

`generate.py` runs every case here (and every op-table entry and edge point) with PyTorch
and stores what it computes; the `test_golden*.py` tests run the same cases with minigrad
and compare.
Cases that build modules, optimizers or schedulers take the framework's module as an
argument (`nn` is `torch.nn` or `minigrad.nn`, `optim` is `torch.optim` or
`minigrad.optim`): minigrad spells these APIs as PyTorch does, so one definition serves
both. Problem data (initial weights, noise, inputs) is drawn once by the generator and
stored, so the tests never depend on a random stream staying the same.
"""

from dataclasses import dataclass

import numpy as np

# Op-table entries and other cases with no PyTorch counterpart, and why. Every other
# op-table entry must have a golden record (a new op cannot skip parity).
NO_TORCH_COUNTERPART = {
    "dropout(p=0.3, fixed generator)": (
        "the mask is random: PyTorch draws it from its own generator, so no two frameworks "
        "agree on it (the eval-mode and p=0 identities are compared)"
    ),
    "nn.Dropout in training": "a random mask, as above",
    "nn.init random initialisers": (
        "random draws from different generators; calculate_gain, which sets their scale, "
        "is compared"
    ),
}


@dataclass
class LayerCase:
    """A module built by `build(nn)`, run for `len(modes)` steps: in step i it is put
    in `modes[i]` ("train" or "eval"), called on a fresh input of `input_shape` (and on
    `target` for a loss), and backpropagated from a fresh output gradient. The input is
    drawn standard normal, then mapped by `squash` where the module needs other values
    (probabilities for `BCELoss`)."""

    name: str
    build: object
    input_shape: tuple
    modes: tuple = ("train",)
    target: object = None
    squash: object = None


def probabilities(a):
    """The logistic sigmoid of `a`: values in (0, 1)."""
    return 0.5 * (1 + np.tanh(a / 2))


BINARY_TARGET = np.array([[0.0, 1.0, 0.3, 1.0], [0.9, 0.0, 0.5, 1.0], [0.0, 0.2, 1.0, 0.7]])


CLASSES = np.array([2, 0, 3, 1, 2, 3])  # targets for scores of shape (6, 4)
# class probabilities for scores of shape (6, 4): a one-hot row, rows summing to 1 and not
CLASS_PROBABILITIES = np.array(
    [
        [0.0, 0.0, 1.0, 0.0],
        [0.7, 0.1, 0.1, 0.1],
        [0.25, 0.25, 0.25, 0.25],
        [0.0, 0.6, 0.0, 0.6],
        [0.1, 0.2, 0.3, 0.1],
        [0.5, 0.0, 0.0, 0.5],
    ]
)


def _mlp(nn):
    return nn.Sequential(
        nn.Linear(5, 8),
        nn.BatchNorm1d(8, momentum=0.3),
        nn.ReLU(),
        nn.Linear(8, 6),
        nn.LeakyReLU(0.1),
        nn.Linear(6, 4),
        nn.Tanh(),
    )


BN_STEPS = ("train", "train", "train", "eval")

LAYER_CASES = [
    LayerCase("Linear(5, 4)", lambda nn: nn.Linear(5, 4), (6, 5)),
    LayerCase("Linear(5, 4, bias=False)", lambda nn: nn.Linear(5, 4, bias=False), (6, 5)),
    LayerCase("Linear(5, 4) on (2, 3, 5)", lambda nn: nn.Linear(5, 4), (2, 3, 5)),
    LayerCase("ReLU", lambda nn: nn.ReLU(), (4, 5)),
    LayerCase("LeakyReLU()", lambda nn: nn.LeakyReLU(), (4, 5)),
    LayerCase("LeakyReLU(0.2)", lambda nn: nn.LeakyReLU(0.2), (4, 5)),
    LayerCase("Sigmoid", lambda nn: nn.Sigmoid(), (4, 5)),
    LayerCase("Tanh", lambda nn: nn.Tanh(), (4, 5)),
    LayerCase("Identity", lambda nn: nn.Identity(), (4, 5)),
    LayerCase("Softmax(dim=1)", lambda nn: nn.Softmax(dim=1), (4, 5)),
    LayerCase("Softmax() on (2, 3, 4)", lambda nn: nn.Softmax(), (2, 3, 4)),
    LayerCase("LogSoftmax(dim=-1)", lambda nn: nn.LogSoftmax(dim=-1), (2, 3, 4)),
    LayerCase("LogSoftmax()", lambda nn: nn.LogSoftmax(), (4, 5)),
    LayerCase("Flatten()", lambda nn: nn.Flatten(), (2, 3, 4)),
    LayerCase("Flatten(0, 1)", lambda nn: nn.Flatten(0, 1), (2, 3, 4)),
    LayerCase("Dropout(0.3) in eval", lambda nn: nn.Dropout(0.3), (4, 5), ("eval",)),
    LayerCase("Dropout(0.0) in training", lambda nn: nn.Dropout(0.0), (4, 5)),
    LayerCase("BatchNorm1d(3)", lambda nn: nn.BatchNorm1d(3), (6, 3), BN_STEPS),
    LayerCase(
        "BatchNorm1d(3, eps=1e-3, momentum=0.3)",
        lambda nn: nn.BatchNorm1d(3, eps=1e-3, momentum=0.3),
        (6, 3),
        BN_STEPS,
    ),
    LayerCase(
        "BatchNorm1d(3, momentum=None)",
        lambda nn: nn.BatchNorm1d(3, momentum=None),
        (6, 3),
        BN_STEPS,
    ),
    LayerCase(
        "BatchNorm1d(3, affine=False)",
        lambda nn: nn.BatchNorm1d(3, affine=False),
        (6, 3),
        BN_STEPS,
    ),
    LayerCase(
        "BatchNorm1d(3, track_running_stats=False)",
        lambda nn: nn.BatchNorm1d(3, track_running_stats=False),
        (6, 3),
        ("train", "eval"),
    ),
    LayerCase("BatchNorm1d(3) on (N, C, L)", lambda nn: nn.BatchNorm1d(3), (4, 3, 5), BN_STEPS),
    LayerCase("Sequential MLP", _mlp, (7, 5), BN_STEPS),
    *[
        LayerCase(
            f"CrossEntropyLoss(reduction={r!r}, label_smoothing={s})",
            lambda nn, r=r, s=s: nn.CrossEntropyLoss(reduction=r, label_smoothing=s),
            (6, 4),
            target=CLASSES,
        )
        for r in ("mean", "sum", "none")
        for s in (0.0, 0.15)
    ],
    *[
        LayerCase(
            f"SVMLoss(margin={m}, reduction={r!r})",
            lambda nn, m=m, r=r: nn.SVMLoss(margin=m, reduction=r),
            (6, 4),
            target=CLASSES,
        )
        for r in ("mean", "sum", "none")
        for m in (1.0, 0.5)
    ],
    *[
        LayerCase(
            f"{loss}(reduction={r!r})",
            lambda nn, loss=loss, r=r: getattr(nn, loss)(reduction=r),
            shape,
            target=target,
            squash=squash,
        )
        for loss, shape, target, squash in [
            ("MSELoss", (3, 4), np.linspace(-1, 1, 12).reshape(3, 4), None),
            ("L1Loss", (3, 4), np.linspace(-1, 1, 12).reshape(3, 4), None),
            ("NLLLoss", (6, 4), CLASSES, None),
            ("BCELoss", (3, 4), BINARY_TARGET, probabilities),
            ("BCEWithLogitsLoss", (3, 4), BINARY_TARGET, None),
        ]
        for r in ("mean", "sum", "none")
    ],
    *[
        LayerCase(
            f"CrossEntropyLoss(reduction={r!r}, label_smoothing={s}) on probabilities",
            lambda nn, r=r, s=s: nn.CrossEntropyLoss(reduction=r, label_smoothing=s),
            (6, 4),
            target=CLASS_PROBABILITIES,
        )
        for r in ("mean", "sum", "none")
        for s in (0.0, 0.15)
    ],
]

# nn.utils.clip_grad_norm_ on gradients of shapes (3, 4) and (5,): (max_norm, norm_type)
CLIP_CASES = [(0.5, 2.0), (0.5, 1.0), (0.5, float("inf")), (100.0, 2.0)]
GAIN_CASES = [
    ("linear", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.2),
    ("selu", None),
]

OPTIMIZER_STEPS = 300
OPTIMIZER_SHAPES = [(2, 3), (2,), (2, 2)]  # the last parameter never gets a gradient

OPTIMIZER_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.2)),
    ("Adagrad", dict(lr=0.1, eps=1e-3)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4)),
    ("Adadelta", dict(weight_decay=0.1)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.3)),
    ("RMSprop", dict(momentum=0.9)),
    ("RMSprop", dict(centered=True)),
    ("RMSprop", dict(centered=True, momentum=0.5, weight_decay=0.1, alpha=0.9)),
    ("RMSprop", dict(eps=1e-3, weight_decay=0.05)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.5), eps=1e-3)),
    ("Adam", dict(lr=0.01, betas=(0.0, 0.0))),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, betas=(0.6, 0.7))),
    ("AdamW", dict(lr=0.01, eps=1e-3, weight_decay=0.05)),
]

# Two parameter groups: the first with its own learning rate.
GROUP_CASES = [
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("Adam", dict(lr=0.01)),
]

# LBFGS runs ten step(closure) calls (up to max_iter iterations each) from LBFGS_START.
# Without a line search it would leave Rosenbrock's valley, so only the logistic regression
# (ill-conditioned: 10 features scaled from 1 to 30) runs without one.
LBFGS_OUTER_STEPS = 10
LBFGS_CASES = [
    ("logistic", dict()),
    ("logistic", dict(line_search_fn="strong_wolfe")),
    ("logistic", dict(lr=0.5, max_iter=5, history_size=3)),
    ("logistic", dict(lr=0.1, max_iter=4, max_eval=6, tolerance_change=1e-5)),
    ("rosenbrock", dict(line_search_fn="strong_wolfe")),
    ("rosenbrock", dict(max_iter=7, history_size=2, line_search_fn="strong_wolfe")),
]
LBFGS_START = {
    "logistic": np.linspace(-1.0, 1.0, 10),
    "rosenbrock": np.array([-1.2, 1.0, -0.5, 0.8, 1.3]),
}


def param_groups(params):
    """Two parameter groups: the first with its own learning rate."""
    return [{"params": params[:1], "lr": 0.02}, {"params": params[1:]}]


def case_id(name, kwargs):
    return name + "(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def noisy_quadratic_grads(step, ws, hessian, noise):
    """The gradients an optimizer case follows: `H w - noise[step] + 0.5 sin(w)` for the
    first two parameters (flattened together); the third never gets one."""
    flat = np.concatenate([w.reshape(-1) for w in ws[:2]])
    g = hessian @ flat - noise[step] + 0.5 * np.sin(flat)
    n0 = ws[0].size
    return [g[:n0].reshape(ws[0].shape), g[n0:].reshape(ws[1].shape), None]


def logistic_loss_and_grad(w, x, y):
    """L2-regularised logistic regression: mean log(1 + e^z) - y z + 0.01 |w|^2, z = x w."""
    z = x @ w
    loss = np.mean(np.logaddexp(0, z) - y * z) + 0.01 * w @ w
    sigmoid = 0.5 * (1 + np.tanh(z / 2))  # 1 / (1 + e^-z) without overflow
    return loss, x.T @ (sigmoid - y) / len(y) + 0.02 * w


def rosenbrock_loss_and_grad(x):
    """The n-dimensional Rosenbrock function and its gradient."""
    loss = np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    g[1:] += 200.0 * (x[1:] - x[:-1] ** 2)
    return loss, g


def lbfgs_objective(problem, data):
    """`f(x) -> (loss, gradient)` of an LBFGS case, in NumPy."""
    if problem == "rosenbrock":
        return rosenbrock_loss_and_grad
    return lambda w: logistic_loss_and_grad(w, data["x"], data["y"])


SCHEDULER_STEPS = 300


def scheduler_rows(optim, params, make_opt, make_sched, steps=SCHEDULER_STEPS):
    """`scheduler_snapshot` after construction and after each of `steps - 1` steps."""
    opt = make_opt(optim, params)
    sched = make_sched(optim.lr_scheduler, opt)
    rows = []
    for step in range(steps):
        if step:
            opt.step()
            sched.step()
        rows.append(scheduler_snapshot(opt, sched))
    return np.array(rows)


def scheduler_snapshot(opt, sched):
    """One row per step: `get_last_lr()`, each group's lr, each group's momentum (SGD's
    `momentum` or Adam's first beta)."""
    groups = opt.param_groups
    momenta = [g["momentum"] if "momentum" in g else g["betas"][0] for g in groups]
    return [float(v) for v in sched.get_last_lr()] + [g["lr"] for g in groups] + momenta


def _sgd(optim, params):
    groups = [{"params": params[:1]}, {"params": params[1:], "lr": 0.05}]
    return optim.SGD(groups, lr=0.1, momentum=0.9)


def _adam(optim, params):
    return optim.Adam(params, lr=0.01, betas=(0.9, 0.99))


# name -> (make_optimizer(optim, params), make_scheduler(lr_scheduler, optimizer))
SCHEDULER_CASES = {
    "StepLR": (_sgd, lambda s, o: s.StepLR(o, step_size=30, gamma=0.5)),
    "StepLR(default gamma)": (_sgd, lambda s, o: s.StepLR(o, step_size=7)),
    "ExponentialLR": (_sgd, lambda s, o: s.ExponentialLR(o, gamma=0.99)),
    "CosineAnnealingLR": (_sgd, lambda s, o: s.CosineAnnealingLR(o, T_max=300, eta_min=0.01)),
    "CosineAnnealingLR past T_max": (_sgd, lambda s, o: s.CosineAnnealingLR(o, T_max=70)),
    "LinearLR(default)": (_sgd, lambda s, o: s.LinearLR(o)),
    "LinearLR warm-up": (_sgd, lambda s, o: s.LinearLR(o, start_factor=0.25, total_iters=60)),
    "LinearLR decay": (
        _sgd,
        lambda s, o: s.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=200),
    ),
    "SequentialLR warm-up then cosine": (
        _sgd,
        lambda s, o: s.SequentialLR(
            o,
            [s.LinearLR(o, start_factor=0.1, total_iters=30), s.CosineAnnealingLR(o, 270)],
            [30],
        ),
    ),
    "SequentialLR of three": (
        _sgd,
        lambda s, o: s.SequentialLR(
            o,
            [s.ExponentialLR(o, 0.98), s.StepLR(o, 40, 0.5), s.LinearLR(o, 0.5, total_iters=50)],
            [50, 160],
        ),
    ),
    "OneCycleLR with SGD": (_sgd, lambda s, o: s.OneCycleLR(o, max_lr=0.1, total_steps=300)),
    "OneCycleLR with Adam": (_adam, lambda s, o: s.OneCycleLR(o, max_lr=0.01, total_steps=320)),
    "OneCycleLR three-phase linear": (
        _sgd,
        lambda s, o: s.OneCycleLR(
            o, max_lr=[0.1, 0.2], total_steps=300, three_phase=True, anneal_strategy="linear"
        ),
    ),
    "OneCycleLR without momentum": (
        _adam,
        lambda s, o: s.OneCycleLR(
            o, 0.02, epochs=10, steps_per_epoch=30, pct_start=0.4, cycle_momentum=False
        ),
    ),
    "OneCycleLR(div_factor=10, final_div_factor=100, base/max momentum)": (
        _sgd,
        lambda s, o: s.OneCycleLR(
            o,
            0.05,
            total_steps=300,
            div_factor=10.0,
            final_div_factor=100.0,
            base_momentum=0.8,
            max_momentum=0.9,
        ),
    ),
}
