"""minigrad.sweep.worker: taking trials from a shared study, the budget, Ctrl-C."""

import signal
import threading

import optuna
import pytest

from minigrad.sweep.storage import close_storage, default_url, open_storage
from minigrad.sweep.worker import StopRequest, TrialBudget, claim_waiting


def claim_until_empty(url: str, claimed: list) -> None:
    storage = open_storage(url, heartbeat=5)
    try:
        study = optuna.load_study(study_name="race", storage=storage)
        study_id = storage.get_study_id_from_name("race")
        while (got := claim_waiting(study, storage, study_id)) is not None:
            claimed.append(got[1].number)
    finally:
        close_storage(storage)


def test_each_waiting_trial_is_taken_by_one_worker_only(tmp_path):
    url = default_url(tmp_path)
    storage = open_storage(url, heartbeat=5)
    study = optuna.create_study(study_name="race", storage=storage)
    for _ in range(40):
        study.enqueue_trial({})
    close_storage(storage)
    claimed = []
    workers = [threading.Thread(target=claim_until_empty, args=(url, claimed)) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(claimed) == list(range(40))


def test_budget_counts_down_and_closes():
    budget = TrialBudget(2)
    assert [budget.take() for _ in range(3)] == [True, True, False]
    unlimited = TrialBudget(None)
    assert all(unlimited.take() for _ in range(100))
    unlimited.close()
    assert not unlimited.take()


@pytest.fixture
def ctrl_c_raises():
    """SIGINT handled as in a terminal, also where the suite started with it ignored (run in
    the background or under nohup), in which case StopRequest rightly stays out of the way."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_first_ctrl_c_asks_to_stop_and_the_second_stops_at_once(ctrl_c_raises):
    lines = []
    with StopRequest(lines.append) as stop:
        signal.raise_signal(signal.SIGINT)
        assert stop.asked and lines == [
            "stopping at the end of the running epoch (Ctrl-C again: at once)"
        ]
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
