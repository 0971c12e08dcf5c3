"""minigrad.sweep.storage: storages that fail clearly, studies that keep one search."""

import socket

import optuna
import pytest

from minigrad.sweep.config import build_config
from minigrad.sweep.storage import (
    STUDY_ATTR,
    SweepError,
    close_storage,
    default_url,
    open_storage,
    open_study,
)


@pytest.fixture
def connect():
    """open_storage, with every storage opened closed after the test."""
    opened = []

    def connect(url, heartbeat=5):
        opened.append(open_storage(url, heartbeat))
        return opened[-1]

    yield connect
    for storage in opened:
        close_storage(storage)


def config(**fixed):
    return build_config(
        fixed={"dataset": "digits", "epochs": 2} | fixed,
        space={"lr": {"low": 1e-4, "high": 1e-1, "log": True}},
        settings={"study": "s"},
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_default_storage_is_a_sqlite_file_in_the_sweep_folder(tmp_path, connect):
    storage = connect(default_url(tmp_path))
    study = open_study(storage, config())
    assert (tmp_path / "study.db").is_file()
    assert study.user_attrs[STUDY_ATTR]["space"] == {"lr": {"low": 1e-4, "high": 0.1, "log": True}}
    assert storage.get_heartbeat_interval() == 5


def test_sqlite_storage_logs_ahead_and_syncs_at_checkpoints_only(tmp_path):
    storage = open_storage(default_url(tmp_path), 5)
    try:
        open_study(storage, config()).enqueue_trial({})
        with storage.engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        close_storage(storage)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.db"]  # the log folded in


def test_rerun_loads_the_same_study(tmp_path, connect):
    storage = connect(default_url(tmp_path))
    first = open_study(storage, config())
    first.enqueue_trial({})
    again = open_study(connect(default_url(tmp_path)), config())
    assert len(again.trials) == 1


def test_unreachable_server_fails_fast_naming_it_without_the_password():
    url = f"postgresql://sweeper:hunter2@127.0.0.1:{free_port()}/sweeps"
    with pytest.raises(SweepError) as err:
        open_storage(url, heartbeat=5)
    message = str(err.value)
    assert "cannot reach the storage postgresql://sweeper:***@127.0.0.1" in message
    assert "hunter2" not in message


def test_malformed_url_is_refused_with_examples():
    with pytest.raises(SweepError, match="is not a database URL.*sqlite:///sweep.db"):
        open_storage("sweeps.db", heartbeat=5)


def test_missing_driver_names_the_package():
    with pytest.raises(SweepError, match="needs the Python package 'MySQLdb'"):
        open_storage("mysql://u@127.0.0.1/sweeps", heartbeat=5)


def test_study_with_another_space_or_fixed_settings_is_refused(tmp_path, connect):
    storage = connect(default_url(tmp_path))
    open_study(storage, config())
    other = build_config(
        fixed={"dataset": "digits", "epochs": 2},
        space={"lr": {"low": 1e-3, "high": 1e-1, "log": True}},
        settings={"study": "s"},
    )
    with pytest.raises(SweepError) as err:
        open_study(storage, other)
    assert "[space] lr" in str(err.value) and "give a new --study name" in str(err.value)
    with pytest.raises(SweepError, match=r"\[train\] epochs = 2 \(this run: 3\)"):
        open_study(storage, config(epochs=3))


def test_data_folder_may_differ_between_machines(tmp_path, connect):
    storage = connect(default_url(tmp_path))
    open_study(storage, config(data_dir="/data/a"))
    open_study(storage, config(data_dir="/mnt/b"))


def test_the_study_record_leaves_out_whether_pictures_are_drawn(tmp_path, connect):
    # so a study recorded before TrainConfig had `figures` still matches this version's
    storage = connect(default_url(tmp_path))
    study = open_study(storage, config())
    assert "figures" not in study.user_attrs[STUDY_ATTR]["train"]
    assert "data_dir" not in study.user_attrs[STUDY_ATTR]["train"]


def test_study_not_made_by_a_sweep_is_refused(tmp_path, connect):
    storage = connect(default_url(tmp_path))
    foreign = optuna.create_study(study_name="s", storage=storage, direction="maximize")
    foreign.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    with pytest.raises(SweepError, match="was not made by minigrad sweep"):
        open_study(storage, config())
