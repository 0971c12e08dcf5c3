"""Parity with torch.optim.lr_scheduler, live: the same sequence of rates (and momenta),
exactly, for every case of `golden/cases.py` (`test_golden_optim.py` checks the same
cases against recorded PyTorch answers without PyTorch).

Both compute with Python floats in the same order, so the rates must be bit-identical.
"""

import numpy as np
import pytest
from golden import cases

import minigrad as mg
from minigrad import optim

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", list(cases.SCHEDULER_CASES))
def test_scheduler_matches_torch_exactly(name):
    make_opt, make_sched = cases.SCHEDULER_CASES[name]
    ours = [mg.tensor(np.ones(n), requires_grad=True) for n in (3, 2)]
    theirs = [torch.ones(n, dtype=torch.float64, requires_grad=True) for n in (3, 2)]
    np.testing.assert_array_equal(
        cases.scheduler_rows(optim, ours, make_opt, make_sched),
        cases.scheduler_rows(torch.optim, theirs, make_opt, make_sched),
    )
