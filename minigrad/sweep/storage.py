"""Where a sweep's trials live: an Optuna storage with heartbeats, and the study inside it.

The default storage is a SQLite file in the sweep folder (nothing to start). Any SQLAlchemy
URL Optuna accepts works the same way, and a PostgreSQL or MySQL server is what lets several
machines share one search: each runs the same command with the same `--storage` and `--study`.

Every running trial records a heartbeat; a trial whose worker died (SIGKILL, power loss) goes
silent, is marked failed by the next worker that looks, and is queued again with the same
parameters (Optuna's retry callback), so no trial stays "running" forever.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minigrad.train import LOCAL_SETTINGS

if TYPE_CHECKING:
    from minigrad.sweep.config import SweepConfig

__all__ = [
    "SweepError",
    "open_storage",
    "close_storage",
    "open_study",
    "STUDY_ATTR",
    "LOCAL_FIELDS",
]

STUDY_ATTR = "minigrad_sweep"
# Training settings that may differ between machines and runs of one search: where the data
# is, whether pictures are drawn (not part of a study's record, so a study recorded before a
# field of this kind existed still matches).
LOCAL_FIELDS = LOCAL_SETTINGS
MAX_RETRY = 2  # a trial that keeps killing its worker (out of memory, say) is not run forever
CONNECT_TIMEOUT = 10  # seconds; an unreachable server fails this fast instead of hanging


class SweepError(RuntimeError):
    """A sweep cannot start or go on; the message says what to do."""


def import_optuna() -> Any:
    """optuna, or a SweepError saying how to install it."""
    try:
        import optuna
    except ModuleNotFoundError:
        raise SweepError("minigrad sweep needs Optuna: pip install 'minigrad[sweep]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def default_url(folder: Path) -> str:
    return f"sqlite:///{(folder / 'study.db').resolve()}"


def shown_url(url: str) -> str:
    """`url` with any password hidden, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: show it as given (it holds no password)
        return url


def open_storage(url: str, heartbeat: int) -> Any:
    """An `optuna.storages.RDBStorage` at `url` with heartbeats every `heartbeat` seconds,
    stale trials failed after two silent intervals and queued again up to `MAX_RETRY` times.

    Raises:
        SweepError: the URL is malformed, its driver is not installed, or the database
            cannot be reached; raised before any training starts.
    """
    optuna = import_optuna()
    import sqlalchemy.exc

    for attempt in range(3):
        try:
            return _rdb_storage(optuna, url, heartbeat)
        except sqlalchemy.exc.IntegrityError:
            if attempt == 2:
                raise
            time.sleep(0.5)  # another process created the tables at the same moment
        except ImportError as err:
            missing = getattr(err.__cause__, "name", None) or getattr(err, "name", None)
            raise SweepError(
                f"the storage {shown_url(url)} needs the Python package {missing!r}; "
                "pip install 'minigrad[sweep]' brings the PostgreSQL driver (others: see the "
                "SQLAlchemy dialect's docs)"
            ) from None
        except sqlalchemy.exc.ArgumentError as err:
            raise SweepError(
                f"--storage {shown_url(url)} is not a database URL ({err}); examples: "
                "sqlite:///sweep.db, postgresql://user:password@host:5432/dbname"
            ) from None
        except sqlalchemy.exc.SQLAlchemyError as err:
            reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
            raise SweepError(
                f"cannot reach the storage {shown_url(url)}: {reason}; check that the "
                "database server is running and the URL's host, port, user and password"
            ) from None


def _rdb_storage(optuna: Any, url: str, heartbeat: int) -> Any:
    with warnings.catch_warnings():
        # heartbeats and the retry callback are marked experimental; they are what we want
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage = optuna.storages.RDBStorage(
            _with_driver(url),
            engine_kwargs={"connect_args": _connect_args(url)},
            heartbeat_interval=heartbeat,
            grace_period=2 * heartbeat,
            heartbeat_stale_trial_callback=(
                optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY)
            ),
        )
    if url.startswith("sqlite"):
        _write_ahead_log(storage.engine)
        _serialise_sqlite(storage.engine)
    return storage


def _write_ahead_log(engine: Any) -> None:
    """SQLite in write-ahead-log mode, synced at checkpoints rather than at every commit: a
    sweep commits a few times per epoch, and a sync each time made the storage cost as much
    as training a small model. A killed process loses nothing committed; a power cut may
    undo the last commits, never corrupt the file, and a trial it leaves running is retried
    once its heartbeat is stale."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def write_ahead_log(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    engine.dispose()  # connections opened while the tables were made reconnect with it


def _serialise_sqlite(engine: Any) -> None:
    """Python's sqlite3 reads outside any transaction and locks the file only at the first
    write, so two workers could both read a trial as waiting and both take it. Here every
    transaction begins with BEGIN IMMEDIATE, taking the write lock before it reads
    (SQLAlchemy's recipe for serializable SQLite), so a waiting trial is taken once."""
    from sqlalchemy import event

    @event.listens_for(engine, "begin")
    def begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def close_storage(storage: Any) -> None:
    """Close the storage's database connections (a sweep keeps none open after it)."""
    storage.remove_session()
    storage.engine.dispose()


def _with_driver(url: str) -> str:
    """A bare postgresql:// URL gets the driver the sweep extra installs (psycopg 3), which
    SQLAlchemy before 2.1 would not pick by itself; an explicit driver is kept."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _connect_args(url: str) -> dict:
    if url.startswith("sqlite"):
        # several local workers write to one file: wait for the lock; no implicit
        # transactions, since _serialise_sqlite begins them
        return {"timeout": 60, "isolation_level": None}
    if url.startswith(("postgresql", "mysql")):
        return {"connect_timeout": CONNECT_TIMEOUT}
    return {}


def open_study(storage: Any, config: SweepConfig, sampler: Any = None, pruner: Any = None) -> Any:
    """Create the study `config.study` in `storage` (an RDBStorage), or load it and check
    that it searches the same space with the same fixed settings; the first run records both
    in the study.

    Raises:
        SweepError: the study exists with another space or other fixed settings, or was not
            made by `minigrad sweep` (another direction, trials without our record).
    """
    optuna = import_optuna()
    study = optuna.create_study(
        study_name=config.study,
        storage=storage,
        sampler=sampler,
        pruner=pruner,
        direction="maximize",
        load_if_exists=True,
    )
    wanted = search_record(config)
    found = study.user_attrs.get(STUDY_ATTR)
    if found is None:
        if study.directions != [optuna.study.StudyDirection.MAXIMIZE] or study.trials:
            raise SweepError(
                f"the study {config.study!r} in {shown_url(storage.url)} was not made "
                "by minigrad sweep; choose another --study name"
            )
        study.set_user_attr(STUDY_ATTR, wanted)
    elif found != wanted:
        raise SweepError(
            f"the study {config.study!r} already holds a search with "
            f"{_differences(found, wanted)}; run the sweep with those settings to add trials "
            "to it, or give a new --study name for this search"
        )
    return study


def search_record(config: SweepConfig) -> dict:
    """What must match for trials to be compared: the space and the fixed settings."""
    train = {k: v for k, v in config.fixed_train().to_dict().items() if k not in LOCAL_FIELDS}
    return json.loads(json.dumps({"space": config.searched.to_spec(), "train": train}))


def _differences(found: dict, wanted: dict) -> str:
    parts = []
    for table in ("space", "train"):
        old, new = found.get(table, {}), wanted[table]
        for key in sorted(set(old) | set(new)):
            if old.get(key, "(absent)") != new.get(key, "(absent)"):
                parts.append(
                    f"[{table}] {key} = {json.dumps(old.get(key, '(absent)'))} "
                    f"(this run: {json.dumps(new.get(key, '(absent)'))})"
                )
    return "; ".join(parts)
