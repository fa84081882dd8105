"""Opening a sweep's study: the storage URL, the study itself and its grid.

The default storage is a SQLite file under ``artefacts/sweeps/``; ``--storage URL``
takes any database URL Optuna accepts (``postgresql://user:pass@host/db``...), so
the same command started on several machines works on one shared study.
"""

from __future__ import annotations

import re
import time
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import RDBStorage

from ner_helpers.config import kit_config, resolve_path
from ner_helpers.errors import KitError
from ner_helpers.sweep.sweep_file import SweepFile, key_lines

#: Study user attributes written by the worker that creates the study.
FINGERPRINT_ATTR = "sweep_fingerprint"
SOURCE_ATTR = "sweep_file"
READY_ATTR = "sweep_grid_ready"
#: How long a worker waits for the worker that created the study to enqueue its grid.
READY_TIMEOUT_S = 120.0
#: Tries at opening a storage whose tables another worker is creating at that moment.
TABLE_RACE_ATTEMPTS = 5


def sweeps_dir() -> Path:
    """``artefacts/sweeps``: default storages and the reports."""
    return resolve_path(kit_config()["paths"]["artefacts_dir"]) / "sweeps"


def default_storage_url(name: str) -> str:
    path = sweeps_dir() / f"{name}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def masked(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def with_driver(url: str) -> str:
    """A plain ``postgresql://`` URL names the driver installed (the ``sweep`` extra
    installs psycopg2; SQLAlchemy 2.1 would otherwise look for psycopg 3)."""
    import importlib.util

    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("postgresql", "postgres") \
            and importlib.util.find_spec("psycopg") is None \
            and importlib.util.find_spec("psycopg2") is not None:
        return f"postgresql+psycopg2://{rest}"
    return url


def open_storage(url: str, heartbeat_seconds: float | None, where: str) -> RDBStorage:
    """The RDB storage at ``url``; a worker silent for three heartbeats counts as
    killed, and its trial is failed and enqueued again. Any problem reaching it is
    a :class:`KitError` naming ``where`` (the sweep file)."""
    settings: dict[str, Any] = {}
    if heartbeat_seconds is not None:
        settings = {"heartbeat_interval": max(1, round(heartbeat_seconds)),
                    "grace_period": max(3, round(3 * heartbeat_seconds)),
                    **retry_callback_setting()}
    engine: dict[str, Any] = {}
    if url.startswith("sqlite"):
        engine = {"connect_args": {"timeout": 60}}
    elif url.startswith("postgresql"):
        engine = {"connect_args": {"connect_timeout": 10}, "pool_pre_ping": True}
    for attempt in range(TABLE_RACE_ATTEMPTS):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return RDBStorage(with_driver(url), engine_kwargs=engine, **settings)
        except Exception as exc:  # sqlalchemy raises many types: bad URL, refused, password
            # Workers started together on an empty database race to create Optuna's
            # tables; the loser sees "already exists" (or, on SQLite, the version row
            # the winner wrote) and simply opens them again.
            racing = ("already exists" in str(exc)
                      or "UNIQUE constraint failed: alembic_version" in str(exc))
            if racing and attempt + 1 < TABLE_RACE_ATTEMPTS:
                time.sleep(0.5 * (attempt + 1))
                continue
            reason = " ".join(str(exc).split())[:240]
            raise KitError(f"{where}: storage: cannot open {masked(url)} "
                           f"({type(exc).__name__}: {reason})") from None
    raise AssertionError("unreachable")


def retry_callback() -> Any:
    """Optuna's callback that enqueues a failed trial's point again (named
    ``RetryHeartbeatStaleTrialCallback`` from Optuna 4.9, ``RetryFailedTrialCallback`` before)."""
    storages = optuna.storages
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        warnings.simplefilter("ignore", FutureWarning)
        if hasattr(storages, "RetryHeartbeatStaleTrialCallback"):
            return storages.RetryHeartbeatStaleTrialCallback(max_retry=None)
        return storages.RetryFailedTrialCallback(max_retry=None)


def retry_callback_setting() -> dict[str, Any]:
    if hasattr(optuna.storages, "RetryHeartbeatStaleTrialCallback"):
        return {"heartbeat_stale_trial_callback": retry_callback()}
    return {"failed_trial_callback": retry_callback()}


def make_sampler(sweep: SweepFile) -> optuna.samplers.BaseSampler:
    if sweep.sampler == "grid":
        space = {axis.key: list(axis.values) for axis in sweep.axes}
        return optuna.samplers.GridSampler(space, seed=sweep.seed)
    return optuna.samplers.TPESampler(seed=sweep.seed)


def make_pruner(sweep: SweepFile) -> optuna.pruners.BasePruner:
    if sweep.pruning:
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    return optuna.pruners.NopPruner()


def open_study(sweep: SweepFile, storage: RDBStorage) -> optuna.Study:
    """Create the study, or join it when another worker made it.

    The worker that creates it records the sweep file's fingerprint and, for a
    grid, enqueues every grid point once (creation is atomic in the database, so
    exactly one worker does). A joining worker checks the fingerprint: a study
    made from another sweep file under the same name is refused.
    """
    sampler, pruner = make_sampler(sweep), make_pruner(sweep)
    try:
        study = optuna.create_study(study_name=sweep.name, storage=storage, sampler=sampler,
                                    pruner=pruner, direction="maximize")
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=sweep.name, storage=storage, sampler=sampler,
                                  pruner=pruner)
        _check_joined(sweep, study)
        return study
    study.set_user_attr(FINGERPRINT_ATTR, sweep.fingerprint())
    study.set_user_attr(SOURCE_ATTR, str(sweep.path))
    if sweep.sampler == "grid":
        for point in sweep.grid()[: sweep.budget()]:
            study.enqueue_trial(point)
    study.set_user_attr(READY_ATTR, True)
    return study


def _name_location(sweep: SweepFile) -> str:
    """``FILE:LINE`` of the sweep file's ``name`` key (``FILE`` when it has none)."""
    line = key_lines(sweep.path.read_text(encoding="utf-8")).get("name")
    return f"{sweep.path}:{line}" if line else str(sweep.path)


def _check_joined(sweep: SweepFile, study: optuna.Study) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        attrs = study.user_attrs
        fingerprint = attrs.get(FINGERPRINT_ATTR)
        if fingerprint is not None and fingerprint != sweep.fingerprint():
            raise KitError(f"{_name_location(sweep)}: name: the study {sweep.name!r} in this "
                           f"storage was made from another sweep file "
                           f"({attrs.get(SOURCE_ATTR)}); rename the sweep or use another "
                           "--storage")
        if attrs.get(READY_ATTR):
            return
        if time.monotonic() > deadline:
            raise KitError(f"{_name_location(sweep)}: name: the study {sweep.name!r} exists "
                           "but its grid was never enqueued (its first worker stopped while "
                           "creating it); delete the study and start again")
        time.sleep(0.5)


def load_existing_study(name: str, url: str) -> optuna.Study:
    """A study for reporting; a missing one is a :class:`KitError`."""
    storage = open_storage(url, None, name)
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        known = [s.study_name for s in optuna.get_all_study_summaries(storage)]
        raise KitError(f"{masked(url)}: no study named {name!r}; known: {known}") from None
