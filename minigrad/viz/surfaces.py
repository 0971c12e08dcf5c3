"""The loss surfaces of the optimizer playground: functions of two numbers, in minigrad ops.

Each `Surface` holds `f(x, y)`, written with minigrad's differentiable ops so that an
optimizer's gradient comes from autograd, a box to draw, a start point, a learning rate per
optimizer that shows the surface's lesson, and a short text: what to try, what to notice.

- `bowl`: an ill-conditioned quadratic, `f = 0.05 x**2 + 2 y**2` (curvatures 0.1 and 4);
- `rosenbrock`: Rosenbrock's valley, `f = (1 - x)**2 + 100 (y - x**2)**2`;
- `saddle`: `f = x**2 / 2 + (y**2 - 1)**2 / 4`, a saddle at the origin between two minima;
- `cliff`: a plateau that ends in a cliff, `f = s(-100 x) (1 - x / 50) + s(100 x) (x - 1)**2 / 10
  + y**2 / 4` with `s` the sigmoid;
- `l1` and `l2`: one data loss `(x - 1.5)**2 / 2 + (y - 0.25)**2` plus `|x| + |y|` or
  `(x**2 + y**2) / 2`;
- `digits`: the cross-entropy of a small MLP trained on the bundled digits, on the plane
  through its trained weights spanned by two random directions (`digits_slice`).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import minigrad as mg
from minigrad.tensor import Tensor

__all__ = ["SURFACES", "Surface", "digits_slice", "get_surface"]

Function = Callable[[Tensor, Tensor], Tensor]


@dataclass
class Surface:
    """A 2-D loss surface: `f(x, y)` on 0-d Tensors (or `(N,)` ones when `vectorized`).

    `box` is `(xmin, xmax, ymin, ymax)`, `f_min` the lowest value (the loss plot shows
    `f - f_min` on a log scale), `lrs` a learning rate per optimizer name, `log_levels`
    spaces the contour levels logarithmically.
    """

    name: str
    title: str
    f: Function
    box: tuple[float, float, float, float]
    start: tuple[float, float]
    f_min: float
    text: str
    lrs: dict[str, float] = field(default_factory=dict)
    log_levels: bool = True
    vectorized: bool = True

    def values(self, n: int = 81) -> np.ndarray:
        """`f` on an `n` x `n` grid over the box: `(n, n)`, row `i` at the `i`-th `y`."""
        x0, x1, y0, y1 = self.box
        xs, ys = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        with mg.no_grad(), np.errstate(over="ignore"):
            if self.vectorized:
                z = self.f(mg.tensor(xs.reshape(-1)), mg.tensor(ys.reshape(-1))).numpy()
            else:
                z = np.array(
                    [
                        self.f(mg.tensor(a), mg.tensor(b)).item()
                        for a, b in zip(xs.reshape(-1), ys.reshape(-1))
                    ]
                )
        return z.reshape(n, n).astype(np.float64)


def _rates(sgd: float, adaptive: float, adagrad: float, adadelta: float = 1.0) -> dict:
    """A learning rate per optimizer: the SGD family, AdaGrad, Adadelta, the Adam family."""
    return {
        "SGD": sgd,
        "Adagrad": adagrad,
        "Adadelta": adadelta,
        "RMSprop": adaptive,
        "Adam": adaptive,
        "AdamW": adaptive,
        "LBFGS": 1.0,
    }


def bowl(x: Tensor, y: Tensor) -> Tensor:
    """`f = 0.05 x**2 + 2 y**2`; `df/dx = 0.1 x`, `df/dy = 4 y`."""
    return 0.05 * x**2 + 2.0 * y**2


def rosenbrock(x: Tensor, y: Tensor) -> Tensor:
    """`f = (1 - x)**2 + 100 (y - x**2)**2`, minimum 0 at `(1, 1)`."""
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def saddle(x: Tensor, y: Tensor) -> Tensor:
    """`f = x**2 / 2 + (y**2 - 1)**2 / 4`: a saddle at `(0, 0)`, minima 0 at `(0, +-1)`."""
    return 0.5 * x**2 + 0.25 * (y**2 - 1.0) ** 2


def cliff(x: Tensor, y: Tensor) -> Tensor:
    """A plateau (slope 1/50) for `x < 0`, a cliff of slope about 25 at `x = 0`, then a
    bowl `(x - 1)**2 / 10`; `y**2 / 4` across."""
    up, down = mg.sigmoid(-100.0 * x), mg.sigmoid(100.0 * x)
    return up * (1.0 - 0.02 * x) + down * 0.1 * (x - 1.0) ** 2 + 0.25 * y**2


def _data_loss(x: Tensor, y: Tensor) -> Tensor:
    return 0.5 * (x - 1.5) ** 2 + (y - 0.25) ** 2


def l1_penalized(x: Tensor, y: Tensor) -> Tensor:
    """The data loss plus `|x| + |y|`: minimum at `(0.5, 0)`, exactly on the axis."""
    return _data_loss(x, y) + mg.abs(x) + mg.abs(y)


def l2_penalized(x: Tensor, y: Tensor) -> Tensor:
    """The data loss plus `(x**2 + y**2) / 2`: minimum at `(0.75, 1/6)`, shrunk, not zero."""
    return _data_loss(x, y) + 0.5 * (x**2 + y**2)


# The penalised losses' minima, at (0.5, 0) and (3/4, 1/6): data loss plus penalty there
L1_MIN = 0.5 * 1.0**2 + 0.25**2 + 0.5
L2_MIN = 0.5 * 0.75**2 + (1 / 6 - 0.25) ** 2 + 0.5 * (0.75**2 + (1 / 6) ** 2)


TEXTS = {
    "bowl": (
        "Try: SGD, then raise lr towards 0.5 (2 / the largest curvature 4). Notice: the step "
        "that is safe across the steep y direction crawls along the flat x direction, and a "
        "larger one zigzags, then diverges past 0.5. Add momentum 0.9: speed builds up along "
        "x while the zigzags cancel. Adam and RMSprop scale each coordinate by its own "
        "gradient size, so both directions move alike."
    ),
    "rosenbrock": (
        "Try: SGD, Adam and LBFGS from the same start. Notice: the gradient points across "
        "the curved valley, not along it; SGD's lr must stay tiny (about 0.002) or it "
        "explodes, and then it needs thousands of steps. LBFGS builds a curvature model from "
        "its last steps and follows the valley in a few dozen."
    ),
    "saddle": (
        "Try: SGD from a start almost on the ridge (y = 0.001). Notice: near the saddle the "
        "gradient is nearly zero, so plain gradient descent slows to a stall (the loss curve's "
        "long flat stretch) before the small y grows; momentum escapes sooner, and Adam, "
        "which divides by the gradient's size, hardly stalls at all."
    ),
    "cliff": (
        "Try: SGD with lr 1 from the plateau on the left. Notice: on the plateau the gradient "
        "is 1/50 and the path crawls; at the edge it is over 1,000 times larger and one "
        "step throws it far off (the spike in the loss). Set max_norm to 0.1 (gradient "
        "clipping): the same lr crosses the plateau and steps down the cliff. Adam's steps "
        "are about lr in size whatever the gradient, which also tames the cliff."
    ),
    "l1": (
        "Try: SGD, lr 0.05, and compare with the L2 surface. Notice: the minimum lies exactly "
        "on the axis y = 0, the weak weight is zeroed (the data alone wants y = 0.25). The "
        "penalty's gradient is 1 in size however small y is, so a gradient step cannot stop "
        "on 0: the path ends jittering across the axis, about lr on each side."
    ),
    "l2": (
        "Try: the same settings as on the L1 surface. Notice: the minimum (0.75, 1/6) is "
        "shrunk towards 0 but not to it: the penalty's gradient, y, fades as y shrinks. "
        "Setting weight_decay = 1 with the data loss alone is the same for SGD (AdamW "
        "decouples it, so there it differs)."
    ),
    "digits": (
        "A real net: a 64-32-10 MLP trained on 500 of the bundled 8x8 digits; the plane "
        "through its trained weights (at 0, 0) spanned by two random directions, each row "
        "scaled to the norm of that row of weights. Every point is the real cross-entropy. "
        "Try: SGD, Adam and LBFGS from the corner. Notice: near the trained weights the "
        "slice is a smooth, somewhat elongated bowl; SGD first drops down its steep side, then "
        "follows the floor, as on the quadratic bowl, while Adam heads straight for the middle."
    ),
}


def _surfaces() -> dict[str, Surface]:
    found = [
        Surface(
            "bowl",
            "Ill-conditioned bowl",
            bowl,
            (-10, 10, -3, 3),
            (-9.0, 2.0),
            0.0,
            TEXTS["bowl"],
            _rates(0.4, 0.5, 3.0, 10.0),
        ),
        Surface(
            "rosenbrock",
            "Rosenbrock's valley",
            rosenbrock,
            (-2, 2, -1, 3),
            (-1.5, 2.5),
            0.0,
            TEXTS["rosenbrock"],
            _rates(0.0015, 0.1, 0.5, 10.0),
        ),
        Surface(
            "saddle",
            "A saddle point",
            saddle,
            (-2, 2, -1.6, 1.6),
            (-1.8, 0.001),
            0.0,
            TEXTS["saddle"],
            _rates(0.1, 0.05, 0.3, 10.0),
        ),
        Surface(
            "cliff",
            "A plateau with a cliff",
            cliff,
            (-2, 4, -1.5, 1.5),
            (-1.0, 1.0),
            0.0,
            TEXTS["cliff"],
            _rates(1.0, 0.1, 0.5, 10.0),
        ),
        Surface(
            "l1",
            "L1 penalty",
            l1_penalized,
            (-1, 2.5, -1, 1.5),
            (2.0, 1.2),
            L1_MIN,
            TEXTS["l1"],
            _rates(0.05, 0.05, 0.3, 10.0),
        ),
        Surface(
            "l2",
            "L2 penalty",
            l2_penalized,
            (-1, 2.5, -1, 1.5),
            (2.0, 1.2),
            L2_MIN,
            TEXTS["l2"],
            _rates(0.05, 0.05, 0.3, 10.0),
        ),
    ]
    return {s.name: s for s in found}


SURFACES: dict[str, Surface] = _surfaces()
"""The analytic surfaces by name; `get_surface("digits")` adds the network's slice."""


def get_surface(name: str) -> Surface:
    """The surface called `name` (one of `SURFACES` or `"digits"`)."""
    if name == "digits":
        return digits_slice()
    if name not in SURFACES:
        names = ", ".join([*SURFACES, "digits"])
        raise ValueError(f"unknown surface {name!r}: choose one of {names}")
    return SURFACES[name]


_DIGITS: list[Surface] = []  # trained once per process


def digits_slice(n_train: int = 500, hidden: int = 32, seed: int = 0) -> Surface:
    """The loss of a 64-`hidden`-10 MLP on `n_train` bundled digits, on a plane.

    The net is trained with Adam (100 full-batch steps, float64); then
    `L(a, b) = cross_entropy(net(theta + a d1 + b d2))` on the training digits, where `theta`
    are the trained weights and `d1`, `d2` random normal directions with each row scaled to
    the norm of that row of `theta` (filter normalisation: `a = 1` moves by the weights' size).
    """
    if _DIGITS and (n_train, hidden, seed) == (500, 32, 0):
        return _DIGITS[0]
    from minigrad.data.datasets import load_digits
    from minigrad.nn import functional as F

    x, labels = load_digits()
    rng = np.random.default_rng(seed)
    pick = rng.permutation(len(x))[:n_train]
    data = mg.tensor((x[pick] / 16.0 - 0.3).astype(np.float64))
    labels = labels[pick]
    shapes = [(hidden, 64), (hidden,), (10, hidden), (10,)]
    theta = _train_mlp(data, labels, shapes, rng)
    d1, d2 = (_row_scaled(rng, theta) for _ in range(2))

    # The first layer is linear in (a, b): x (W + a U + b V).T = xW.T + a xU.T + b xV.T, so
    # its three products with the data are computed once, not at every step.
    pre = [mg.tensor(np.matmul(data.data, w.data.T)) for w in (theta[0], d1[0], d2[0])]

    def loss(a: Tensor, b: Tensor) -> Tensor:
        b1, w2, b2 = (t + a * u + b * v for t, u, v in zip(theta[1:], d1[1:], d2[1:]))
        hidden_layer = mg.relu(pre[0] + a * pre[1] + b * pre[2] + b1)
        return F.cross_entropy(hidden_layer @ w2.T + b2, labels)

    surface = Surface(
        "digits",
        "A slice through a net's loss (digits)",
        loss,
        (-0.5, 0.5, -0.5, 0.5),
        (-0.4, 0.4),
        0.0,
        TEXTS["digits"],
        _rates(0.03, 0.01, 0.1, 10.0),
        vectorized=False,
    )
    if (n_train, hidden, seed) == (500, 32, 0):
        _DIGITS.append(surface)
    return surface


def _train_mlp(
    data: Tensor, labels: np.ndarray, shapes: list[tuple[int, ...]], rng: np.random.Generator
) -> list[Tensor]:
    from minigrad import optim
    from minigrad.nn import functional as F

    params = [
        mg.tensor(rng.normal(size=s) * (s[-1] ** -0.5 if len(s) == 2 else 0.0), requires_grad=True)
        for s in shapes
    ]
    opt = optim.Adam(params, lr=0.01)
    w1, b1, w2, b2 = params
    for _ in range(100):
        opt.zero_grad()
        F.cross_entropy(mg.relu(data @ w1.T + b1) @ w2.T + b2, labels).backward()
        opt.step()
    return [mg.tensor(p.data) for p in params]


def _row_scaled(rng: np.random.Generator, theta: list[Tensor]) -> list[Tensor]:
    out = []
    for t in theta:
        d = rng.normal(size=t.shape)
        norms = np.linalg.norm(t.data, axis=-1, keepdims=True)
        d *= norms / np.linalg.norm(d, axis=-1, keepdims=True)
        out.append(mg.tensor(d))
    return out
