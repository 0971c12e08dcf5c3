"""PyTorch parity without PyTorch: optimizer and scheduler trajectories against PyTorch's
recorded ones (`tests/golden/optim.npz` and `lr_scheduler.npz`, see
`golden/generate.py`).

Optimizers follow the gradients of a fixed noisy quadratic (computed in NumPy from the
weights each framework reached) for 300 steps; LBFGS minimises a logistic regression or the
Rosenbrock function over ten `step(closure)` calls; schedulers report their rates and
momenta for 300 steps, which must be bit-identical (both compute them with Python floats in
the same order).
"""

import numpy as np
import pytest
from golden import cases, store

import minigrad as mg
from minigrad import optim

RECORDS, META = store.read("optim")
SCHEDULES, _ = store.read("lr_scheduler")
PROBLEM = RECORDS["problem"]


def trajectory(name, kwargs, groups):
    params = [mg.tensor(PROBLEM[f"init{i}"].copy(), requires_grad=True) for i in range(3)]
    opt = getattr(optim, name)(cases.param_groups(params) if groups else params, **kwargs)
    rows = []
    for step in range(cases.OPTIMIZER_STEPS):
        ws = [p.data for p in params]
        grads = cases.noisy_quadratic_grads(step, ws, PROBLEM["hessian"], PROBLEM["noise"])
        for p, g in zip(params, grads):
            p.grad = None if g is None else mg.tensor(g)
        opt.step()
        rows.append(np.concatenate([p.data.reshape(-1) for p in params[:2]]))
    return np.array(rows), params[2].data


def check_trajectory(record, ours, untouched):
    for step, (a, b) in enumerate(zip(ours, record["trajectory"])):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=f"after step {step + 1}")
    np.testing.assert_array_equal(untouched, record["untouched"])  # it never had a gradient


OPTIMIZER_IDS = [cases.case_id(n, k) for n, k in cases.OPTIMIZER_CASES]


@pytest.mark.parametrize(("name", "kwargs"), cases.OPTIMIZER_CASES, ids=OPTIMIZER_IDS)
def test_optimizer_follows_pytorch_for_300_steps(name, kwargs):
    record = RECORDS[cases.case_id(name, kwargs)]
    check_trajectory(record, *trajectory(name, kwargs, groups=False))


GROUP_IDS = [name for name, _ in cases.GROUP_CASES]


@pytest.mark.parametrize(("name", "kwargs"), cases.GROUP_CASES, ids=GROUP_IDS)
def test_parameter_groups_follow_pytorch(name, kwargs):
    record = RECORDS["groups: " + cases.case_id(name, kwargs)]
    check_trajectory(record, *trajectory(name, kwargs, groups=True))


def test_every_optimizer_and_option_is_recorded():
    # the two modules: lr_scheduler is recorded below, swa_utils checked in test_swa_utils*.py
    names = {n for n in optim.__all__ if n not in ("Optimizer", "lr_scheduler", "swa_utils")}
    covered = {n for n, _ in cases.OPTIMIZER_CASES} | {"LBFGS"}
    assert names == covered, names ^ covered
    for name in names - {"LBFGS"}:
        options = {k for n, kw in cases.OPTIMIZER_CASES if n == name for k in kw}
        defaults = set(getattr(optim, name)([mg.tensor([0.0], requires_grad=True)]).defaults)
        assert defaults <= options | {"lr"}, f"{name}: no case sets {defaults - options}"
    lbfgs = {k for _, kw in cases.LBFGS_CASES for k in kw}
    assert {"line_search_fn", "history_size", "max_iter", "max_eval", "lr"} <= lbfgs


LBFGS_IDS = [f"{p}-{cases.case_id('LBFGS', k)}" for p, k in cases.LBFGS_CASES]


@pytest.mark.parametrize(("problem", "kwargs"), cases.LBFGS_CASES, ids=LBFGS_IDS)
def test_lbfgs_follows_pytorch(problem, kwargs):
    record = RECORDS[f"LBFGS on {problem}: " + cases.case_id("LBFGS", kwargs)]
    x = mg.tensor(cases.LBFGS_START[problem].copy(), requires_grad=True)
    opt = optim.LBFGS([x], **kwargs)
    f = cases.lbfgs_objective(problem, RECORDS["logistic data"])

    def closure():
        loss, g = f(x.data.copy())
        x.grad = mg.tensor(g)
        return loss

    # Rosenbrock's valley amplifies last-bit differences (dot products summed in another
    # order) to ~4e-8 by the end; the counts of iterations and evaluations stay exact.
    rtol = 1e-6 if problem == "rosenbrock" else 1e-10
    for step in range(cases.LBFGS_OUTER_STEPS):
        loss = opt.step(closure)
        np.testing.assert_allclose(float(loss), record["loss"][step], rtol=rtol, atol=1e-12)
        np.testing.assert_allclose(x.data, record["x"][step], rtol=rtol, atol=1e-10)
        state = opt.state[x]
        assert (state["func_evals"], state["n_iter"]) == tuple(record["counts"][step])


@pytest.mark.parametrize("name", list(cases.SCHEDULER_CASES))
def test_scheduler_matches_pytorch_bit_for_bit_for_300_steps(name):
    make_opt, make_sched = cases.SCHEDULER_CASES[name]
    params = [mg.tensor(np.ones(n), requires_grad=True) for n in (3, 2)]
    rows = cases.scheduler_rows(optim, params, make_opt, make_sched)
    np.testing.assert_array_equal(rows, SCHEDULES[name]["rates"])


def test_every_scheduler_is_recorded():
    names = {n for n in optim.lr_scheduler.__all__ if n != "LRScheduler"}
    covered = {name.split("(")[0].split(" ")[0] for name in cases.SCHEDULER_CASES}
    assert names <= covered, names - covered
    assert set(cases.SCHEDULER_CASES) == set(SCHEDULES)
