"""The op table: every differentiable function, with sample shapes, a safe input domain and
a NumPy reference. `test_op_table.py` runs forward-vs-reference, float64 gradcheck and
gradgradcheck over it, and fails if a public differentiable function is missing here.

An entry's `fn` takes tensors (one per shape) and returns a tensor; `ref` takes the
same inputs as float64 ndarrays. `domain` maps (rng, shape) to an input array away from
kinks and singularities. `covers` names the public functions the entry exercises.
"""

from dataclasses import dataclass, field

import numpy as np

import minigrad as mg
import minigrad.nn.functional as F
from minigrad import ops


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(rng, shape):
    """|x| in [0.3, 1.5] with random signs: no kink of relu/abs/clip within eps."""
    return rng.uniform(0.3, 1.5, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(rng, shape):
    """Values pairwise at least 0.1 apart: max/min have a unique winner."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.01, n)).reshape(shape) - 0.05 * n


def near_clip_bounds(rng, shape):
    """Values on both sides of -1 and 0.9 (the bounds of the clip entries), none within eps."""
    return rng.choice([-1.4, -0.5, 0.2, 0.6, 1.3], shape) + rng.uniform(-0.05, 0.05, shape)


@dataclass
class OpSpec:
    name: str
    fn: object
    ref: object
    shapes: list
    domain: object = normal
    covers: tuple = ()
    second_order: bool = True
    atol: float = 1e-5
    rtol: float = 1e-3
    eps: float = 1e-6
    domains: list = field(default_factory=list)  # per-input domains, overriding `domain`

    def make_inputs(self, rng, shapes):
        doms = self.domains or [self.domain] * len(shapes)
        return [np.asarray(d(rng, s), dtype=np.float64) for d, s in zip(doms, shapes)]


BCAST2 = [[(3, 4), (3, 4)], [(3, 1), (4,)], [(2, 3, 4), (3, 1)], [(), (2, 3)], [(4,), ()]]
UNARY = [[(3, 4)], [()], [(2, 3, 2)]]
AXES = [None, 0, -1, (0, 2)]


def _reduction_entries(name, fn, ref, domain):
    out = []
    for axis in AXES:
        for keep in (False, True):
            out.append(
                OpSpec(
                    f"{name}(axis={axis}, keepdims={keep})",
                    lambda x, a=axis, k=keep: fn(x, a, k),
                    lambda x, a=axis, k=keep: ref(x, axis=a, keepdims=k),
                    [[(2, 3, 4)]],
                    domain,
                    covers=(name,),
                )
            )
    return out


CORE_OPS = [
    OpSpec("add", lambda a, b: a + b, np.add, BCAST2, covers=("add", "__add__", "sum_to")),
    OpSpec("radd", lambda a: 2.5 + a, lambda a: 2.5 + a, UNARY, covers=("__radd__",)),
    OpSpec("sub", lambda a, b: a - b, np.subtract, BCAST2, covers=("sub", "__sub__")),
    OpSpec("rsub", lambda a: 1.0 - a, lambda a: 1.0 - a, UNARY, covers=("__rsub__",)),
    OpSpec("mul", lambda a, b: a * b, np.multiply, BCAST2, covers=("mul", "__mul__")),
    OpSpec("rmul", lambda a: 3 * a, lambda a: 3 * a, UNARY, covers=("__rmul__",)),
    OpSpec(
        "div",
        lambda a, b: a / b,
        np.divide,
        BCAST2,
        domains=[normal, positive],
        covers=("div", "__truediv__"),
    ),
    OpSpec("rdiv", lambda a: 2.0 / a, lambda a: 2.0 / a, UNARY, positive, covers=("__rtruediv__",)),
    OpSpec("neg", lambda a: -a, np.negative, UNARY, covers=("neg", "__neg__")),
    OpSpec(
        "pow tensor exponent",
        lambda a, b: a**b,
        np.power,
        BCAST2,
        domains=[positive, normal],
        covers=("pow", "__pow__"),
    ),
    OpSpec("pow square", lambda a: a**2, lambda a: a**2, UNARY, covers=("pow",)),
    OpSpec("pow cube", lambda a: a**3, lambda a: a**3, UNARY, covers=("pow",)),
    OpSpec("pow half", lambda a: a**0.5, np.sqrt, UNARY, positive, covers=("pow",)),
    OpSpec("rpow", lambda a: 2.0**a, lambda a: 2.0**a, UNARY, covers=("__rpow__",)),
    OpSpec(
        "matmul",
        lambda a, b: a @ b,
        np.matmul,
        [
            [(3, 4), (4, 2)],
            [(4,), (4, 2)],
            [(3, 4), (4,)],
            [(4,), (4,)],
            [(2, 3, 4), (4, 5)],
            [(2, 1, 3, 4), (5, 4, 2)],
        ],
        covers=("matmul", "__matmul__", "transpose"),
    ),
    OpSpec(
        "rmatmul",
        lambda a: np.ones((2, 3), a.dtype) @ a,
        lambda a: np.ones((2, 3), a.dtype) @ a,
        [[(3, 4)]],
        covers=("__rmatmul__",),
    ),
    OpSpec("exp", mg.exp, np.exp, UNARY, covers=("exp",)),
    OpSpec("log", mg.log, np.log, UNARY, positive, covers=("log",)),
    OpSpec("sqrt", mg.sqrt, np.sqrt, UNARY, positive, covers=("sqrt",)),
    OpSpec("abs", mg.abs, np.abs, UNARY, away_from_zero, covers=("abs",)),
    OpSpec("tanh", mg.tanh, np.tanh, UNARY, covers=("tanh",)),
    OpSpec("sigmoid", mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), UNARY, covers=("sigmoid",)),
    OpSpec("relu", mg.relu, lambda x: np.maximum(x, 0), UNARY, away_from_zero, covers=("relu",)),
    OpSpec(
        "clip",
        lambda x: x.clip(-1.0, 0.9),
        lambda x: np.clip(x, -1.0, 0.9),
        UNARY,
        near_clip_bounds,
        covers=("clip",),
    ),
    OpSpec(
        "maximum",
        mg.maximum,
        np.maximum,
        BCAST2,
        distinct,
        covers=("maximum",),
    ),
    OpSpec("minimum", mg.minimum, np.minimum, BCAST2, distinct, covers=("minimum",)),
    OpSpec(
        "where",
        lambda a, b: mg.where(np.array([[True, False, True, True]]), a, b),
        lambda a, b: np.where(np.array([[True, False, True, True]]), a, b),
        [[(3, 4), (3, 4)], [(3, 1), (4,)], [(), (3, 4)]],
        covers=("where",),
    ),
    OpSpec(
        "logsumexp",
        lambda x: mg.logsumexp(x, axis=-1),
        lambda x: np.log(np.exp(x).sum(-1)),
        [[(3, 4)], [(5,)], [(2, 3, 4)]],
        covers=("logsumexp",),
    ),
    OpSpec(
        "logsumexp keepdims all",
        lambda x: mg.logsumexp(x, axis=None, keepdims=True),
        lambda x: np.log(np.exp(x).sum(keepdims=True)),
        [[(3, 4)], [()]],
        covers=("logsumexp",),
    ),
    *_reduction_entries("sum", lambda x, a, k: x.sum(a, k), np.sum, normal),
    *_reduction_entries("mean", lambda x, a, k: x.mean(a, k), np.mean, normal),
    *_reduction_entries("max", lambda x, a, k: x.max(a, k), np.max, distinct),
    *_reduction_entries("min", lambda x, a, k: x.min(a, k), np.min, distinct),
    OpSpec("sum 0-d", lambda x: x.sum(), np.sum, [[()]], covers=("sum",)),
    OpSpec(
        "reshape",
        lambda x: x.reshape(4, -1),
        lambda x: x.reshape(4, -1),
        [[(2, 3, 4)], [(4,)]],
        covers=("reshape",),
    ),
    OpSpec(
        "transpose",
        lambda x: x.transpose(2, 0, 1),
        lambda x: x.transpose(2, 0, 1),
        [[(2, 3, 4)]],
        covers=("transpose",),
    ),
    OpSpec("T", lambda x: x.T, lambda x: x.T, [[(3, 4)], [(2, 3, 4)]], covers=("T",)),
    OpSpec(
        "flatten",
        lambda x: x.flatten(),
        lambda x: x.reshape(-1),
        [[(2, 3, 4)]],
        covers=("flatten",),
    ),
    OpSpec(
        "getitem slice",
        lambda x: x[1:, ::2],
        lambda x: x[1:, ::2],
        [[(3, 4)]],
        covers=("getitem", "__getitem__", "index_add"),
    ),
    OpSpec(
        "getitem repeated ints",
        lambda x: x[[0, 0, 2, 1]],
        lambda x: x[[0, 0, 2, 1]],
        [[(3, 4)], [(3,)]],
        covers=("getitem",),
    ),
    OpSpec(
        "getitem rows and labels",
        lambda x: x[np.arange(3), np.array([1, 0, 1])],
        lambda x: x[np.arange(3), np.array([1, 0, 1])],
        [[(3, 4)]],
        covers=("getitem",),
    ),
    OpSpec(
        "getitem bool mask",
        lambda x: x[np.array([[True, False, True, False]] * 3)],
        lambda x: x[np.array([[True, False, True, False]] * 3)],
        [[(3, 4)]],
        covers=("getitem",),
    ),
    OpSpec(
        "concatenate",
        lambda a, b: mg.concatenate([a, b], axis=1),
        lambda a, b: np.concatenate([a, b], axis=1),
        [[(3, 2), (3, 4)]],
        covers=("concatenate",),
    ),
    OpSpec(
        "stack",
        lambda a, b: mg.stack([a, b], axis=-1),
        lambda a, b: np.stack([a, b], axis=-1),
        [[(3, 2), (3, 2)], [(), ()]],
        covers=("stack",),
    ),
    OpSpec(
        "broadcast_to",
        lambda x: ops.broadcast_to(x, (2, 3, 4)),
        lambda x: np.broadcast_to(x, (2, 3, 4)),
        [[(3, 1)], [()]],
        covers=("broadcast_to",),
    ),
    OpSpec(
        "sum_to",
        lambda x: ops.sum_to(x, (3, 1)),
        lambda x: x.sum(0).sum(-1, keepdims=True),
        [[(2, 3, 4)]],
        covers=("sum_to",),
    ),
    OpSpec(
        "astype",
        lambda x: ops.astype(x, np.float32).astype(np.float64),
        lambda x: x.astype(np.float32).astype(np.float64),
        [[(3, 4)]],
        covers=("astype",),
        eps=1e-3,
    ),
]

# The names PyTorch users type, on the same ops (dim/keepdim, cat, swap transpose, ...)
TORCH_NAMES = [
    OpSpec(
        "cat(dim=1)",
        lambda a, b: mg.cat([a, b], dim=1),
        lambda a, b: np.concatenate([a, b], axis=1),
        [[(3, 2), (3, 4)]],
        covers=("cat", "concatenate"),
    ),
    OpSpec(
        "stack(dim=-1)",
        lambda a, b: mg.stack([a, b], dim=-1),
        lambda a, b: np.stack([a, b], axis=-1),
        [[(3, 2), (3, 2)]],
        covers=("stack",),
    ),
    OpSpec(
        "sum(dim=(0, 2), keepdim=True)",
        lambda x: x.sum(dim=(0, 2), keepdim=True),
        lambda x: x.sum(axis=(0, 2), keepdims=True),
        [[(2, 3, 4)]],
        covers=("sum",),
    ),
    OpSpec(
        "mean(dim=-1)",
        lambda x: x.mean(dim=-1),
        lambda x: x.mean(axis=-1),
        [[(2, 3, 4)]],
        covers=("mean",),
    ),
    OpSpec(
        "max(dim=1).values",
        lambda x: x.max(dim=1).values,
        lambda x: x.max(axis=1),
        [[(3, 4)], [(2, 3, 4)]],
        distinct,
        covers=("max",),
    ),
    OpSpec(
        "min(dim=0, keepdim=True).values",
        lambda x: x.min(dim=0, keepdim=True).values,
        lambda x: x.min(axis=0, keepdims=True),
        [[(3, 4)]],
        distinct,
        covers=("min",),
    ),
    OpSpec(
        "logsumexp(dim=1, keepdim=True)",
        lambda x: x.logsumexp(dim=1, keepdim=True),
        lambda x: np.log(np.exp(x).sum(axis=1, keepdims=True)),
        [[(3, 4)]],
        covers=("logsumexp",),
    ),
    OpSpec(
        "transpose(a, b) swaps two axes",
        lambda x: x.transpose(0, -1),
        lambda x: np.swapaxes(x, 0, -1),
        [[(3, 4)], [(2, 3, 4)]],
        covers=("transpose",),
    ),
    OpSpec(
        "permute",
        lambda x: x.permute(2, 0, 1),
        lambda x: x.transpose(2, 0, 1),
        [[(2, 3, 4)]],
        covers=("permute", "transpose"),
    ),
    OpSpec(
        "view",
        lambda x: x.view(4, -1),
        lambda x: x.reshape(4, -1),
        [[(2, 3, 4)]],
        covers=("view", "reshape"),
    ),
    OpSpec(
        "flatten(start_dim=1)",
        lambda x: x.flatten(start_dim=1),
        lambda x: x.reshape(2, -1),
        [[(2, 3, 4)]],
        covers=("flatten",),
    ),
    OpSpec(
        "flatten(0, 1)",
        lambda x: x.flatten(0, 1),
        lambda x: x.reshape(6, 4),
        [[(2, 3, 4)]],
        covers=("flatten",),
    ),
    OpSpec(
        "unsqueeze(-1)",
        lambda x: x.unsqueeze(-1),
        lambda x: np.expand_dims(x, -1),
        [[(3, 4)], [()]],
        covers=("unsqueeze",),
    ),
    OpSpec(
        "squeeze",
        lambda x: x.squeeze(),
        np.squeeze,
        [[(3, 1, 4)], [(1,)]],
        covers=("squeeze",),
    ),
    OpSpec(
        "squeeze(dim) of a longer axis keeps it",
        lambda x: x.squeeze(0).squeeze(1),
        lambda x: np.squeeze(x, 1),
        [[(3, 1, 4)]],
        covers=("squeeze",),
    ),
    OpSpec(
        "float() of float64",
        lambda x: x.float().astype(x.dtype),
        lambda x: x.astype(np.float32).astype(x.dtype),
        [[(3, 4)]],
        covers=("float",),
        eps=1e-3,
    ),
    OpSpec(
        "double() of float32",
        lambda x: x.double().astype(x.dtype),
        lambda x: x,
        [[(3, 4)]],
        covers=("double",),
    ),
    OpSpec("t()", lambda x: x.t(), np.transpose, [[(3, 4)], [(4,)]], covers=("t",)),
    OpSpec(
        "clamp(min, max)",
        lambda x: x.clamp(-1.0, 0.9),
        lambda x: np.clip(x, -1.0, 0.9),
        UNARY,
        near_clip_bounds,
        covers=("clamp", "clip"),
    ),
    OpSpec(
        "clamp_min and clamp_max",
        lambda x: x.clamp_min(-1.0) + mg.clamp(x, max=0.9) + x.clamp_max(0.9),
        lambda x: np.maximum(x, -1.0) + 2 * np.minimum(x, 0.9),
        UNARY,
        near_clip_bounds,
        covers=("clamp_min", "clamp_max", "clamp"),
    ),
    OpSpec("pow(3)", lambda x: x.pow(3), lambda x: x**3, UNARY, covers=("pow",)),
    OpSpec("mm", mg.mm, np.matmul, [[(3, 4), (4, 2)]], covers=("mm", "matmul")),
    *[
        OpSpec(
            f"prod({arg})",
            lambda x, k=kwargs: x.prod(**k),
            lambda x, k=kwargs: np.prod(x, axis=k.get("dim"), keepdims=k.get("keepdim", False)),
            [[(2, 3, 4)], [(5,)]] if not kwargs else [[(2, 3, 5)]],
            covers=("prod",),
        )
        for arg, kwargs in [
            ("", {}),
            ("dim=1", {"dim": 1}),
            ("dim=-1, keepdim=True", {"dim": -1, "keepdim": True}),
        ]
    ],
    OpSpec("prod 0-d", lambda x: x.prod(), np.prod, [[()]], covers=("prod",)),
    *[
        OpSpec(
            f"{name}({arg})",
            lambda x, n=name, k=kwargs: getattr(x, n)(**k),
            lambda x, n=name, k=kwargs, d=ddof: getattr(np, n)(
                x, axis=k.get("dim"), keepdims=k.get("keepdim", False), ddof=d
            ),
            [[(2, 3, 4)]],
            covers=(name, "root_zero_grad_at_zero") if name == "std" else (name,),
        )
        for name in ("var", "std")
        for arg, kwargs, ddof in [
            ("", {}, 1),
            ("dim=1", {"dim": 1}, 1),
            ("dim=(0, 2), keepdim=True", {"dim": (0, 2), "keepdim": True}, 1),
            ("dim=-1, unbiased=False", {"dim": -1, "unbiased": False}, 0),
            ("dim=1, correction=2", {"dim": 1, "correction": 2}, 2),
        ]
    ],
    *[
        OpSpec(
            f"norm({arg})",
            lambda x, k=kwargs: x.norm(**k),
            lambda x, k=kwargs: _np_norm(x, **k),
            [[(3, 4)], [(2, 3, 4)]] if "dim" not in kwargs else [[(3, 4)]],
            domain,
            covers=("norm", "root_zero_grad_at_zero"),
        )
        for arg, kwargs, domain in [
            ("", {}, normal),
            ("dim=1, keepdim=True", {"dim": 1, "keepdim": True}, normal),
            ("p=1, dim=0", {"p": 1, "dim": 0}, away_from_zero),
            ("p=inf, dim=1", {"p": np.inf, "dim": 1}, distinct),
            ("p=3", {"p": 3}, away_from_zero),
        ]
    ],
    OpSpec(
        "mg.norm, mg.var, mg.std, mg.prod",
        lambda x: mg.norm(x) + mg.var(x) + mg.std(x, 0).sum() + mg.prod(x, 1).sum(),
        lambda x: np.sqrt((x * x).sum()) + x.var(ddof=1) + x.std(0, ddof=1).sum() + x.prod(1).sum(),
        [[(3, 4)]],
        covers=("norm", "var", "std", "prod"),
    ),
    OpSpec(
        "masked_fill",
        lambda x: x.masked_fill(mg.tensor(np.array([[True, False, False, True]])), -2.0),
        lambda x: np.where(np.array([[True, False, False, True]]), -2.0, x),
        [[(3, 4)]],
        covers=("masked_fill",),
    ),
    OpSpec(
        "repeat(2, 1, 3)",
        lambda x: x.repeat(2, 1, 3),
        lambda x: np.tile(x, (2, 1, 3)),
        [[(3, 4)], [()]],
        covers=("repeat",),
    ),
    OpSpec(
        "expand(2, -1, 4)",
        lambda x: x.expand(2, -1, 4),
        lambda x: np.broadcast_to(x, (2, 3, 4)),
        [[(3, 1)]],
        covers=("expand",),
    ),
    OpSpec(
        "mg.sum, mg.mean, mg.flatten, ... (PyTorch's function forms)",
        lambda x: module_functions(mg, x),
        lambda x: np_module_functions(x),
        [[(3, 4)]],
        covers=("pow", "softmax", "log_softmax", "sum", "mean", "transpose", "reshape"),
    ),
    OpSpec(
        "amax(1) and amin(0, keepdim=True)",
        lambda x: x.amax(1).sum() + x.amin(0, keepdim=True),
        lambda x: x.max(1).sum() + x.min(0, keepdims=True),
        [[(3, 4)]],
        distinct,
        covers=("amax", "amin"),
    ),
    OpSpec(
        "square, neg, reciprocal",
        lambda x: x.square() + x.neg() + x.reciprocal(),
        lambda x: x**2 - x + 1 / x,
        UNARY,
        positive,
        covers=("square", "neg", "reciprocal"),
    ),
    OpSpec("clone", lambda x: x.clone(), np.copy, UNARY, covers=("clone",)),
    OpSpec(
        "to(float32)",
        lambda x: x.to(np.float32).to(x.dtype),
        lambda x: x.astype(np.float32).astype(x.dtype),
        [[(3, 4)]],
        covers=("to",),
        eps=1e-3,
    ),
]


def module_functions(lib, x):
    """The function forms PyTorch users type (`torch.sum(x, dim=1)`, ...) of a (3, 4)
    matrix, spelled the same in `lib` (minigrad or torch), joined into one vector."""
    parts = [
        lib.sum(x, dim=1),
        lib.mean(x, 0),
        lib.flatten(lib.transpose(x, 0, 1)),
        lib.reshape(lib.squeeze(lib.unsqueeze(x, 0)), (-1,)),
        lib.pow(x, 2).flatten(),
        lib.softmax(x, dim=1).flatten(),
        lib.log_softmax(x, dim=0).flatten(),
        lib.permute(x, (1, 0)).flatten(),
    ]
    return lib.cat(parts)


def np_module_functions(x):
    z0 = x - np.log(np.exp(x).sum(0, keepdims=True))
    softmax = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    parts = [x.sum(1), x.mean(0), x.T.ravel(), x.ravel(), (x**2).ravel(), softmax.ravel()]
    return np.concatenate(parts + [z0.ravel(), x.T.ravel()])


def _np_norm(x, p=2, dim=None, keepdim=False):
    """NumPy's p-norm over `dim` (all axes by default), the reference of x.norm()."""
    a = np.abs(x)
    if p == np.inf:
        return a.max(axis=dim, keepdims=keepdim)
    return (a**p).sum(axis=dim, keepdims=keepdim) ** (1 / p)


@dataclass
class EdgePoint:
    """An op at the edge of its domain, where a derivative is 0 * inf, inf - inf, a tie or a
    bound. `fn` uses only methods and operators that PyTorch tensors have too, so the
    expected values (PyTorch's, written out) can be checked against PyTorch itself."""

    name: str
    fn: object
    inputs: list
    out: list
    grads: list
    torch_fn: object = None  # (torch, *tensors) -> output, where fn's spelling is not torch's


INF = np.inf
BN_S = 1 / np.sqrt(2 / 3 + 1e-5)  # 1 / std of the column (-1, 0, 1), as batch_norm's eps
BCE_EPS = float(np.float32(1e-12))  # PyTorch's binary_cross_entropy divides by at least this

# Finite everywhere: computed with every NumPy floating-point error raising.
FINITE_EDGES = [
    EdgePoint("x ** 0 at 0", lambda x: x**0, [[0.0, 1.0, -2.0]], [1.0, 1.0, 1.0], [[0.0] * 3]),
    EdgePoint("x ** 1 at 0", lambda x: x**1, [[0.0, -2.0]], [0.0, -2.0], [[1.0, 1.0]]),
    EdgePoint("x ** 2 at 0", lambda x: x**2, [[0.0, -2.0]], [0.0, 4.0], [[0.0, -4.0]]),
    EdgePoint("x ** 3 at 0", lambda x: x**3, [[0.0]], [0.0], [[0.0]]),
    EdgePoint("x ** 2.5 at 0", lambda x: x**2.5, [[0.0]], [0.0], [[0.0]]),
    EdgePoint(
        "a ** b at a = 0 and b = 0",
        lambda a, b: a**b,
        [[0.0, 0.0, 0.0, 2.0], [0.0, 1.0, 2.0, 0.0]],
        [1.0, 0.0, 0.0, 1.0],
        [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, np.log(2.0)]],
    ),
    EdgePoint("0 ** x", lambda x: 0.0**x, [[0.0, 1.0]], [1.0, 0.0], [[0.0, 0.0]]),
    EdgePoint("relu at 0", lambda x: x.relu(), [[0.0]], [0.0], [[0.0]]),
    EdgePoint("abs at 0", lambda x: x.abs(), [[0.0]], [0.0], [[0.0]]),
    EdgePoint(
        "batch_norm_relu at 0: the middle row normalises to exactly 0",
        lambda x: F.batch_norm_relu(x, training=True),
        [[[-1.0], [0.0], [1.0]]],
        [[0.0], [0.0], [BN_S]],
        [[[BN_S * (BN_S**2 - 1) / 3], [-BN_S / 3], [BN_S * (2 - BN_S**2) / 3]]],
        lambda torch, x: torch.relu(torch.nn.functional.batch_norm(x, None, None, training=True)),
    ),
    EdgePoint(
        "clip at its bounds",
        lambda x: x.clip(-1.0, 1.0),
        [[-1.0, 1.0, 1.5, -1.5, 0.0]],
        [-1.0, 1.0, 1.0, -1.0, 0.0],
        [[1.0, 1.0, 0.0, 0.0, 1.0]],
    ),
    EdgePoint(
        "clip at its one bound", lambda x: x.clip(0.0), [[0.0, -1.0]], [0.0, 0.0], [[1.0, 0.0]]
    ),
    EdgePoint("max ties", lambda x: x.max(), [[1.0, 3.0, 3.0]], 3.0, [[0.0, 0.5, 0.5]]),
    EdgePoint("min ties", lambda x: x.min(), [[1.0, -3.0, -3.0]], -3.0, [[0.0, 0.5, 0.5]]),
    EdgePoint(
        "max(axis=1) ties: shared",
        lambda x: x.max(axis=1),
        [[[3.0, 3.0], [1.0, 2.0]]],
        [3.0, 2.0],
        [[[0.5, 0.5], [0.0, 1.0]]],
        lambda torch, x: torch.amax(x, dim=1),
    ),
    EdgePoint(
        "max(dim=1) ties: the first",
        lambda x: x.max(dim=1).values,
        [[[1.0, 3.0, 3.0]]],
        [3.0],
        [[[0.0, 1.0, 0.0]]],
    ),
    EdgePoint(
        "min(dim=1) ties: the first",
        lambda x: x.min(dim=1).values,
        [[[1.0, 1.0, 3.0]]],
        [1.0],
        [[[1.0, 0.0, 0.0]]],
    ),
    EdgePoint(
        "maximum ties",
        mg.maximum,
        [[1.0, 2.0], [2.0, 2.0]],
        [2.0, 2.0],
        [[0.0, 0.5], [1.0, 0.5]],
        lambda torch, a, b: torch.maximum(a, b),
    ),
    EdgePoint(
        "minimum ties",
        mg.minimum,
        [[1.0, 2.0], [2.0, 2.0]],
        [1.0, 2.0],
        [[1.0, 0.5], [0.0, 0.5]],
        lambda torch, a, b: torch.minimum(a, b),
    ),
    EdgePoint(
        "sigmoid and tanh at +-1000",
        lambda x: x.sigmoid() + x.tanh(),
        [[-1000.0, 1000.0]],
        [-1.0, 2.0],
        [[0.0, 0.0]],
    ),
    EdgePoint("norm at 0", lambda x: x.norm(), [[0.0, 0.0]], 0.0, [[0.0, 0.0]]),
    EdgePoint("norm(p=3) at 0", lambda x: x.norm(p=3), [[0.0, 0.0]], 0.0, [[0.0, 0.0]]),
    EdgePoint(
        "norm(p=1) at a zero element",
        lambda x: x.norm(p=1),
        [[0.0, -3.0, 3.0]],
        6.0,
        [[0.0, -1.0, 1.0]],
    ),
    EdgePoint(
        "norm(p=inf) ties", lambda x: x.norm(p=INF), [[1.0, -3.0, 3.0]], 3.0, [[0.0, -0.5, 0.5]]
    ),
    EdgePoint("std of equal values", lambda x: x.std(), [[1.0, 1.0, 1.0]], 0.0, [[0.0] * 3]),
    EdgePoint(
        "std(dim=1) of a constant row",
        lambda x: x.std(dim=1),
        [[[2.0, 2.0], [1.0, 3.0]]],
        [0.0, np.sqrt(2.0)],
        [[[0.0, 0.0], [-np.sqrt(0.5), np.sqrt(0.5)]]],
    ),
    EdgePoint(
        "var of one element, correction=0",
        lambda x: x.var(correction=0),
        [[2.0]],
        0.0,
        [[0.0]],
    ),
    EdgePoint("prod with a zero", lambda x: x.prod(), [[0.0, 2.0, 3.0]], 0.0, [[6.0, 0.0, 0.0]]),
    EdgePoint("prod with two zeros", lambda x: x.prod(), [[0.0, 3.0, 0.0]], 0.0, [[0.0] * 3]),
    EdgePoint(
        "clamp at its bounds",
        lambda x: x.clamp(-1.0, 1.0),
        [[-1.0, 1.0, 1.5, -1.5, 0.0]],
        [-1.0, 1.0, 1.0, -1.0, 0.0],
        [[1.0, 1.0, 0.0, 0.0, 1.0]],
    ),
    EdgePoint(
        "clamp with min > max", lambda x: x.clamp(3.0, 1.0), [[1.0, 5.0]], [1.0, 1.0], [[0.0, 0.0]]
    ),
    EdgePoint(
        "pow(2) and pow(3) at a negative base and 0",
        lambda x: x.pow(2) + x.pow(3),
        [[-2.0, 0.0]],
        [-4.0, 0.0],
        [[8.0, 0.0]],
    ),
    EdgePoint("pow(0) at 0", lambda x: x.pow(0), [[0.0, -1.0]], [1.0, 1.0], [[0.0, 0.0]]),
    EdgePoint(
        "l1_loss where input equals target",
        lambda x: F.l1_loss(x, np.array([1.0, 0.0, 2.0]), "sum"),
        [[1.0, 1.0, 2.0]],
        1.0,
        [[0.0, 1.0, 0.0]],
        lambda torch, x: torch.nn.functional.l1_loss(
            x, torch.tensor([1.0, 0.0, 2.0], dtype=x.dtype), reduction="sum"
        ),
    ),
    EdgePoint(
        "binary_cross_entropy at p = 0 and 1",
        lambda p: F.binary_cross_entropy(p, np.array([0.0, 1.0, 1.0, 0.0, 1.0]), "sum"),
        [[0.0, 1.0, 0.0, 1.0, 0.5]],
        200.0 + np.log(2.0),
        [[0.0, 0.0, -1 / BCE_EPS, 1 / BCE_EPS, -2.0]],
        lambda torch, p: torch.nn.functional.binary_cross_entropy(
            p, torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0], dtype=p.dtype), reduction="sum"
        ),
    ),
    EdgePoint(
        "binary_cross_entropy_with_logits at 0 and +-1000",
        lambda x: F.binary_cross_entropy_with_logits(x, np.array([0.3, 1.0, 0.0]), "sum"),
        [[0.0, 1000.0, -1000.0]],
        np.log(2.0),
        [[0.2, 0.0, 0.0]],
        lambda torch, x: torch.nn.functional.binary_cross_entropy_with_logits(
            x, torch.tensor([0.3, 1.0, 0.0], dtype=x.dtype), reduction="sum"
        ),
    ),
    EdgePoint(
        "logsumexp with a -inf entry",
        lambda x: x.logsumexp(dim=0),
        [[-INF, 0.0]],
        0.0,
        [[0.0, 1.0]],
    ),
]

# PyTorch's answer is infinite here: division by zero is the one floating-point event allowed
# (it makes the inf); no NaN arithmetic (0 * inf, inf - inf) may happen inside.
INFINITE_EDGES = [
    EdgePoint("sqrt at 0", lambda x: x.sqrt(), [[0.0, 4.0]], [0.0, 2.0], [[INF, 0.25]]),
    EdgePoint("log at 0", lambda x: x.log(), [[0.0, 4.0]], [-INF, np.log(4.0)], [[INF, 0.25]]),
    EdgePoint("x ** 0.5 at 0", lambda x: x**0.5, [[0.0, 4.0]], [0.0, 2.0], [[INF, 0.25]]),
    EdgePoint("x ** -1 at 0", lambda x: x**-1, [[0.0, -2.0]], [INF, -0.5], [[-INF, -0.25]]),
    EdgePoint(
        "a ** b at a = 0, b = -1", lambda a, b: a**b, [[0.0], [-1.0]], [INF], [[-INF], [-INF]]
    ),
    EdgePoint(
        "division by a zero constant",
        lambda x: x / 0.0,
        [[1.0, -2.0]],
        [INF, -INF],
        [[INF, INF]],
    ),
    EdgePoint("2 / x at 0", lambda x: 2.0 / x, [[0.0, 1.0]], [INF, 2.0], [[-INF, -2.0]]),
]

# nn section: the nn.functional entries live in op_table_nn.py, which takes OpSpec and the
# domains from this module (hence the import down here).
from op_table_nn import NN_OPS  # noqa: E402

OPS = CORE_OPS + TORCH_NAMES + NN_OPS
