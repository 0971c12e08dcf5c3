"""Record PyTorch's answers into the golden files the `test_golden*.py` tests compare with.

Run from the repository root where PyTorch 2.13 is installed (the CPU wheel is enough)::

    pip install torch==2.13.0
    python tests/golden/generate.py

It rewrites `tests/golden/{ops,nn,optim,lr_scheduler}.npz` with, in float64:

- every op-table entry (`tests/op_table.py`, `tests/op_table_nn.py`): inputs, output,
  the gradient for a random output gradient and, for entries with a second derivative, a
  Hessian-vector product; every edge point of the op table (`FINITE_EDGES`,
  `INFINITE_EDGES`): output and gradient;
- every layer and loss of `cases.LAYER_CASES`: initial weights, several steps of outputs
  and gradients, the final state (running statistics); `clip_grad_norm_` and
  `calculate_gain`;
- every optimizer case: the weights after each of 300 steps on a noisy quadratic, LBFGS
  (with and without strong Wolfe) over ten `step(closure)` calls;
- every scheduler case: rates and momenta over 300 steps.

An op-table entry needs a PyTorch counterpart in `torch_ops()` below or a reason in
`cases.NO_TORCH_COUNTERPART`; the script stops and says so otherwise. The output is
deterministic (seeded inputs, one thread, fixed zip timestamps): rerunning it with the same
PyTorch rewrites the same bytes.
"""

import sys
import types
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as TF

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from op_table import AXES, FINITE_EDGES, INFINITE_EDGES, OPS, module_functions  # noqa: E402
from op_table_nn import RUN_MEAN, RUN_VAR, TARGET  # noqa: E402

from golden import cases, store  # noqa: E402


def _reduce(fn, x, axis, keep):
    """torch's reduction over NumPy's `axis` (None: all axes)."""
    dims = tuple(range(x.ndim)) if axis is None else axis
    return fn(x, dim=dims, keepdim=keep)


def _reductions():
    ops = {}
    for axis in AXES:
        for keep in (False, True):
            suffix = f"(axis={axis}, keepdims={keep})"
            ops["sum" + suffix] = lambda x, a=axis, k=keep: _reduce(torch.sum, x, a, k)
            ops["mean" + suffix] = lambda x, a=axis, k=keep: _reduce(torch.mean, x, a, k)
            ops["max" + suffix] = lambda x, a=axis, k=keep: _reduce(torch.amax, x, a, k)
            ops["min" + suffix] = lambda x, a=axis, k=keep: _reduce(torch.amin, x, a, k)
    return ops


def _reverse_axes(x):
    return x.permute(*reversed(range(x.ndim)))


def _losses():
    target = torch.tensor(TARGET)
    ops = {}
    for r in ("mean", "sum", "none"):
        for s in (0.0, 0.1):
            ops[f"cross_entropy({r}, label_smoothing={s})"] = lambda x, r=r, s=s: TF.cross_entropy(
                x, target, reduction=r, label_smoothing=s
            )
            soft = f"cross_entropy({r}, probabilities, label_smoothing={s})"
            ops[soft] = lambda x, t, r=r, s=s: TF.cross_entropy(
                x, t, reduction=r, label_smoothing=s
            )
        ops[f"svm_loss({r})"] = lambda x, r=r: svm_loss(x, target, 1.0, r)
        ops[f"mse_loss({r})"] = lambda a, b, r=r: TF.mse_loss(a, b, reduction=r)
        ops[f"l1_loss({r})"] = lambda a, b, r=r: TF.l1_loss(a, b, reduction=r)
        ops[f"nll_loss({r})"] = lambda x, r=r: TF.nll_loss(x, target, reduction=r)
        ops[f"binary_cross_entropy({r})"] = lambda p, t, r=r: TF.binary_cross_entropy(
            p, t, reduction=r
        )
        ops[f"binary_cross_entropy_with_logits({r})"] = lambda x, t, r=r: (
            TF.binary_cross_entropy_with_logits(x, t, reduction=r)
        )
    ops["cross_entropy logits +-1e4"] = lambda x: TF.cross_entropy(
        x * 1e4, target, label_smoothing=0.1
    )
    ops["cross_entropy probabilities logits +-1e4"] = lambda x, t: TF.cross_entropy(
        x * 1e4, t, label_smoothing=0.1
    )
    for s in (0.0, 0.1):
        name = f"cross_entropy one-hot probabilities is class indices (label_smoothing={s})"
        ops[name] = lambda x, t, s=s: TF.cross_entropy(x, t, label_smoothing=s)
    ops["svm_loss(margin=0.5)"] = lambda x: svm_loss(x, target, 0.5, "mean")
    return ops


def svm_loss(scores, target, margin, reduction):
    """minigrad's cs231n SVM loss in PyTorch's terms: `multi_margin_loss` sums the same
    hinges over the classes j != y but divides by the number of classes C."""
    return (
        TF.multi_margin_loss(scores, target, margin=margin, reduction=reduction) * (scores.shape[1])
    )


def _batch_norms():
    mean, var = torch.tensor(RUN_MEAN), torch.tensor(RUN_VAR)
    return {
        "batch_norm train": lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
        "batch_norm train (N, C, L) updating running stats": lambda x, w, b: TF.batch_norm(
            x, mean.clone(), var.clone(), w, b, training=True
        ),
        "batch_norm train without affine": lambda x: TF.batch_norm(x, None, None, training=True),
        "batch_norm eval": lambda x, w, b: TF.batch_norm(x, mean, var, w, b, training=False),
        "batch_norm_relu train": lambda x, w, b: torch.relu(
            TF.batch_norm(x, None, None, w, b, training=True)
        ),
        "batch_norm_relu train (N, C, L) updating running stats": lambda x, w, b: torch.relu(
            TF.batch_norm(x, mean.clone(), var.clone(), w, b, training=True)
        ),
        "batch_norm_relu train without affine": lambda x: torch.relu(
            TF.batch_norm(x, None, None, training=True)
        ),
        "batch_norm_relu eval": lambda x, w, b: torch.relu(
            TF.batch_norm(x, mean, var, w, b, training=False)
        ),
    }


def torch_ops():
    """The PyTorch counterpart of each op-table entry, by name."""
    f64 = torch.float64
    mask = torch.tensor([[True, False, True, True]])
    ops = {
        "add": torch.add,
        "radd": lambda a: 2.5 + a,
        "sub": torch.sub,
        "rsub": lambda a: 1.0 - a,
        "mul": torch.mul,
        "rmul": lambda a: 3 * a,
        "div": torch.div,
        "rdiv": lambda a: 2.0 / a,
        "neg": torch.neg,
        "pow tensor exponent": torch.pow,
        "pow square": lambda a: a**2,
        "pow cube": lambda a: a**3,
        "pow half": lambda a: a**0.5,
        "rpow": lambda a: 2.0**a,
        "matmul": torch.matmul,
        "rmatmul": lambda a: torch.ones((2, 3), dtype=f64) @ a,
        "exp": torch.exp,
        "log": torch.log,
        "sqrt": torch.sqrt,
        "abs": torch.abs,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "clip": lambda x: torch.clamp(x, -1.0, 0.9),
        "maximum": torch.maximum,
        "minimum": torch.minimum,
        "where": lambda a, b: torch.where(mask, a, b),
        "logsumexp": lambda x: torch.logsumexp(x, dim=-1),
        "logsumexp keepdims all": lambda x: torch.logsumexp(x.reshape(-1), 0).reshape(
            (1,) * x.ndim
        ),
        **_reductions(),
        "sum 0-d": torch.sum,
        "reshape": lambda x: x.reshape(4, -1),
        "transpose": lambda x: x.permute(2, 0, 1),
        "T": _reverse_axes,
        "flatten": torch.flatten,
        "getitem slice": lambda x: x[1:, ::2],
        "getitem repeated ints": lambda x: x[torch.tensor([0, 0, 2, 1])],
        "getitem rows and labels": lambda x: x[torch.arange(3), torch.tensor([1, 0, 1])],
        "getitem bool mask": lambda x: x[torch.tensor([[True, False, True, False]] * 3)],
        "concatenate": lambda a, b: torch.cat([a, b], dim=1),
        "stack": lambda a, b: torch.stack([a, b], dim=-1),
        "broadcast_to": lambda x: torch.broadcast_to(x, (2, 3, 4)),
        "sum_to": lambda x: x.sum_to_size(3, 1),
        "astype": lambda x: x.to(torch.float32).to(f64),
        "linear": TF.linear,
        "linear without bias": TF.linear,
        **_losses(),
        **{f"softmax(axis={a})": lambda x, a=a: torch.softmax(x, dim=a) for a in (-1, 0)},
        **{f"log_softmax(axis={a})": lambda x, a=a: torch.log_softmax(x, dim=a) for a in (-1, 0)},
        "leaky_relu": TF.leaky_relu,
        "leaky_relu(0.2)": lambda x: TF.leaky_relu(x, 0.2),
        "F.relu": TF.relu,
        "F.sigmoid": torch.sigmoid,
        "F.tanh": torch.tanh,
        "dropout eval is the identity": lambda x: TF.dropout(x, 0.3, training=False) * 1.0,
        **_batch_norms(),
        # PyTorch has no penalty functions: these are the sums users write there
        "l2_penalty": lambda a, b: a.pow(2).sum() + b.pow(2).sum(),
        "l2_penalty of one tensor": lambda a: a.pow(2).sum(),
        "l1_penalty": lambda a, b: a.abs().sum() + b.abs().sum(),
    }
    ops.update(_torch_names())
    return ops


def _torch_names():
    """The op table's entries spelled the PyTorch way (op_table.TORCH_NAMES)."""
    return {
        "cat(dim=1)": lambda a, b: torch.cat([a, b], dim=1),
        "stack(dim=-1)": lambda a, b: torch.stack([a, b], dim=-1),
        "sum(dim=(0, 2), keepdim=True)": lambda x: x.sum(dim=(0, 2), keepdim=True),
        "mean(dim=-1)": lambda x: x.mean(dim=-1),
        "max(dim=1).values": lambda x: x.max(dim=1).values,
        "min(dim=0, keepdim=True).values": lambda x: x.min(dim=0, keepdim=True).values,
        "logsumexp(dim=1, keepdim=True)": lambda x: x.logsumexp(dim=1, keepdim=True),
        "transpose(a, b) swaps two axes": lambda x: x.transpose(0, -1),
        "permute": lambda x: x.permute(2, 0, 1),
        "view": lambda x: x.view(4, -1),
        "flatten(start_dim=1)": lambda x: x.flatten(start_dim=1),
        "flatten(0, 1)": lambda x: x.flatten(0, 1),
        "unsqueeze(-1)": lambda x: x.unsqueeze(-1),
        "squeeze": torch.squeeze,
        "squeeze(dim) of a longer axis keeps it": lambda x: x.squeeze(0).squeeze(1),
        "float() of float64": lambda x: x.float().to(x.dtype),
        "double() of float32": lambda x: x.double().to(x.dtype),
        "t()": lambda x: x.t(),
        "clamp(min, max)": lambda x: x.clamp(-1.0, 0.9),
        "clamp_min and clamp_max": lambda x: (
            x.clamp_min(-1.0) + torch.clamp(x, max=0.9) + x.clamp_max(0.9)
        ),
        "pow(3)": lambda x: x.pow(3),
        "mm": torch.mm,
        "prod 0-d": torch.prod,
        "mg.norm, mg.var, mg.std, mg.prod": lambda x: (
            torch.norm(x) + torch.var(x) + torch.std(x, 0).sum() + torch.prod(x, 1).sum()
        ),
        "masked_fill": lambda x: x.masked_fill(torch.tensor([[True, False, False, True]]), -2.0),
        "repeat(2, 1, 3)": lambda x: x.repeat(2, 1, 3),
        "expand(2, -1, 4)": lambda x: x.expand(2, -1, 4),
        "clone": lambda x: x.clone(),
        "mg.sum, mg.mean, mg.flatten, ... (PyTorch's function forms)": lambda x: module_functions(
            torch, x
        ),
        "amax(1) and amin(0, keepdim=True)": lambda x: x.amax(1).sum() + x.amin(0, keepdim=True),
        "square, neg, reciprocal": lambda x: x.square() + x.neg() + x.reciprocal(),
        "to(float32)": lambda x: x.to(torch.float32).to(x.dtype),
        **_same_spelling(("prod", "var", "std", "norm")),
    }


def _same_spelling(methods):
    """Op-table entries named `method(arguments)` that PyTorch spells the same way."""
    return {
        spec.name: spec.fn
        for spec in OPS
        if spec.name.partition("(")[0] in methods and spec.name.endswith(")")
    }


def op_record(fn, arrays, second_order, rng):
    """Inputs, output, gradients for a random output gradient `gy` and, if asked, the
    Hessian-vector products d/dx_i sum_j <g_j, v_j> with random `v`."""
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    gy = rng.standard_normal(out.shape)
    record = {f"x{i}": a for i, a in enumerate(arrays)}
    record.update(out=out.detach().numpy(), gy=gy)
    grads = torch.autograd.grad(
        out, xs, torch.tensor(gy), create_graph=second_order, allow_unused=True
    )
    record.update({f"g{i}": _array(g, a) for i, (g, a) in enumerate(zip(grads, arrays))})
    if second_order:
        record.update(_second_order(xs, grads, arrays, rng))
    return record


def _second_order(xs, grads, arrays, rng):
    """`v_i` and `h_i`, or only `no_second_order` (the reason) where PyTorch has no
    double backward for the op."""
    vs = [rng.standard_normal(a.shape) for a in arrays]
    pairs = [(g, torch.tensor(v)) for g, v in zip(grads, vs) if g is not None]
    pairs = [(g, v) for g, v in pairs if g.requires_grad]
    hs = [None] * len(xs)
    if pairs:
        gs, vs_used = zip(*pairs)
        try:
            hs = torch.autograd.grad(gs, xs, vs_used, allow_unused=True)
        except RuntimeError as err:  # e.g. "derivative for ... is not implemented"
            return {"no_second_order": str(err)}
    record = {f"v{i}": v for i, v in enumerate(vs)}
    record.update({f"h{i}": _array(h, a) for i, (h, a) in enumerate(zip(hs, arrays))})
    return record


def _array(t, like):
    return np.zeros_like(like) if t is None else t.detach().numpy(force=True).copy()


def op_id(spec, shapes):
    return f"{spec.name}-{'x'.join(map(str, shapes))}"


def ops_section():
    counterparts = torch_ops()
    missing = sorted({s.name for s in OPS} - set(counterparts) - set(cases.NO_TORCH_COUNTERPART))
    if missing:
        sys.exit(
            f"no PyTorch counterpart for op-table entries {missing}: add one to torch_ops() "
            "in tests/golden/generate.py, or a reason to cases.NO_TORCH_COUNTERPART"
        )
    records = {}
    for spec in OPS:
        if spec.name in cases.NO_TORCH_COUNTERPART:
            continue
        for shapes in spec.shapes:
            arrays = spec.make_inputs(np.random.default_rng(0), shapes)
            fn = counterparts[spec.name]
            records[op_id(spec, shapes)] = op_record(
                fn, arrays, spec.second_order, np.random.default_rng(1)
            )
    for edge in FINITE_EDGES + INFINITE_EDGES:
        records["edge: " + edge.name] = edge_record(edge)
    return records


def edge_record(edge):
    """An op-table edge point: its inputs, PyTorch's output and gradients for gy = 1."""
    arrays = [np.array(v, np.float64) for v in edge.inputs]
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = edge.torch_fn(torch, *xs) if edge.torch_fn else edge.fn(*xs)
    grads = torch.autograd.grad(out, xs, torch.ones_like(out))
    record = {f"x{i}": a for i, a in enumerate(arrays)}
    record.update(out=out.detach().numpy(), gy=np.ones(out.shape))
    record.update({f"g{i}": _array(g, a) for i, (g, a) in enumerate(zip(grads, arrays))})
    return record


class TorchSVMLoss(torch.nn.Module):
    """`nn.SVMLoss` for PyTorch: `svm_loss` above as a module."""

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__()
        self.margin, self.reduction = margin, reduction

    def forward(self, scores, target):
        return svm_loss(scores, target, self.margin, self.reduction)


TORCH_NN = types.SimpleNamespace(**vars(torch.nn), SVMLoss=TorchSVMLoss)


def layer_record(case, rng):
    torch.manual_seed(0)
    module = case.build(TORCH_NN).double()
    record = {f"init.{k}": _state(v) for k, v in module.state_dict().items()}
    target = None if case.target is None else torch.tensor(case.target)
    for step, mode in enumerate(case.modes):
        module.train(mode == "train")
        module.zero_grad()
        x = rng.standard_normal(case.input_shape)
        x = torch.tensor(case.squash(x) if case.squash else x, requires_grad=True)
        out = module(x) if target is None else module(x, target)
        gy = rng.standard_normal(out.shape)
        out.backward(torch.tensor(gy))
        record.update({f"x{step}": x.detach().numpy(), f"gy{step}": gy})
        record.update({f"out{step}": out.detach().numpy(), f"gx{step}": x.grad.numpy()})
        for name, p in module.named_parameters():
            record[f"grad{step}.{name}"] = p.grad.numpy().copy()
    record.update({f"final.{k}": _state(v) for k, v in module.state_dict().items()})
    return record


def _state(v):
    return v.detach().numpy().copy()


def nn_section():
    rng = np.random.default_rng(2)
    records = {c.name: layer_record(c, rng) for c in cases.LAYER_CASES}
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    for max_norm, norm_type in cases.CLIP_CASES:
        params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = torch.tensor(g)
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        records[f"clip_grad_norm_({max_norm}, norm_type={norm_type})"] = {
            "g0": grads[0],
            "g1": grads[1],
            "total": total.numpy(),
            "clipped0": params[0].grad.numpy(),
            "clipped1": params[1].grad.numpy(),
        }
    for nonlinearity, param in cases.GAIN_CASES:
        gain = torch.nn.init.calculate_gain(nonlinearity, param)
        records[f"calculate_gain({nonlinearity!r}, {param})"] = {"gain": np.array(gain)}
    return records


def optimizer_trajectory(name, kwargs, problem, groups):
    params = [torch.tensor(problem[f"init{i}"], requires_grad=True) for i in range(3)]
    opt = getattr(torch.optim, name)(cases.param_groups(params) if groups else params, **kwargs)
    trajectory = []
    for step in range(cases.OPTIMIZER_STEPS):
        ws = [p.detach().numpy() for p in params]
        grads = cases.noisy_quadratic_grads(step, ws, problem["hessian"], problem["noise"])
        for p, g in zip(params, grads):
            p.grad = None if g is None else torch.tensor(g)
        opt.step()
        trajectory.append(np.concatenate([p.detach().numpy().reshape(-1) for p in params[:2]]))
    return {"trajectory": np.array(trajectory), "untouched": params[2].detach().numpy()}


def lbfgs_record(problem, kwargs, data):
    x = torch.tensor(cases.LBFGS_START[problem].copy(), requires_grad=True)
    opt = torch.optim.LBFGS([x], **kwargs)
    f = cases.lbfgs_objective(problem, data)

    def closure():
        loss, g = f(x.detach().numpy().copy())
        x.grad = torch.tensor(g)
        return loss

    losses, xs, counts = [], [], []
    for _ in range(cases.LBFGS_OUTER_STEPS):
        losses.append(float(opt.step(closure)))
        xs.append(x.detach().numpy().copy())
        state = opt.state[x]
        counts.append((state["func_evals"], state["n_iter"]))
    return {"loss": np.array(losses), "x": np.array(xs), "counts": np.array(counts)}


def optim_section():
    rng = np.random.default_rng(3)
    problem = {f"init{i}": rng.standard_normal(s) for i, s in enumerate(cases.OPTIMIZER_SHAPES)}
    n = sum(int(np.prod(s)) for s in cases.OPTIMIZER_SHAPES[:2])
    a = rng.standard_normal((n, n))
    problem["hessian"] = a @ a.T / n + np.eye(n)
    problem["noise"] = rng.standard_normal((cases.OPTIMIZER_STEPS, n))
    data = {
        "x": rng.standard_normal((60, 10)) * np.logspace(0, np.log10(30), 10),
        "y": (rng.random(60) < 0.5).astype(float),
    }
    records = {"problem": problem, "logistic data": data}
    for name, kwargs in cases.OPTIMIZER_CASES:
        records[cases.case_id(name, kwargs)] = optimizer_trajectory(name, kwargs, problem, False)
    for name, kwargs in cases.GROUP_CASES:
        rec = optimizer_trajectory(name, kwargs, problem, True)
        records["groups: " + cases.case_id(name, kwargs)] = rec
    for problem_name, kwargs in cases.LBFGS_CASES:
        rec = lbfgs_record(problem_name, kwargs, data)
        records[f"LBFGS on {problem_name}: " + cases.case_id("LBFGS", kwargs)] = rec
    return records


def lr_scheduler_section():
    records = {}
    for name, (make_opt, make_sched) in cases.SCHEDULER_CASES.items():
        params = [torch.ones(n, dtype=torch.float64, requires_grad=True) for n in (3, 2)]
        rows = cases.scheduler_rows(torch.optim, params, make_opt, make_sched)
        records[name] = {"rates": rows}
    return records


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    meta = {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "command": "python tests/golden/generate.py",
    }
    sections = {
        "ops": ops_section,
        "nn": nn_section,
        "optim": optim_section,
        "lr_scheduler": lr_scheduler_section,
    }
    for section, make in sections.items():
        records = make()
        path = store.write(section, records, meta)
        print(f"{path.name}: {len(records)} records, {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
