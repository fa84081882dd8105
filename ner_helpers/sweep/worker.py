"""A sweep worker: claims trials of a study and runs each as an experiment folder.

Any number of workers, on one machine or many, may run on one study at once:

- a grid's points are enqueued once, when the study is created; a worker claims a
  waiting trial by switching it to running in the database, which succeeds for
  exactly one worker, so no point runs to completion twice;
- a running worker records a heartbeat; a worker killed mid-trial stops beating,
  and the next worker to look fails that trial and enqueues its point again
  (Optuna's ``RetryFailedTrialCallback``); the retry resumes the point's
  experiment folder from its latest epoch checkpoint;
- Ctrl-C fails the current trial, enqueues its point again and stops: the
  finished trials stay, and the next run continues with the rest.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import RDBStorage, fail_stale_trials
from optuna.trial import TrialState

from ner_helpers.config import kit_config, resolve_path
from ner_helpers.errors import KitError
from ner_helpers.experiment import experiment_folder, run_experiment
from ner_helpers.sweep.storage import retry_callback
from ner_helpers.sweep.sweep_file import SweepFile
from ner_helpers.trainer import CHECKPOINT_DIR, METRICS_FILE, Trainer

#: Trial states that use up a grid point or a trial of the budget.
DONE_STATES = (TrialState.COMPLETE, TrialState.PRUNED)
EXPERIMENT_ATTR = "experiment"
#: The worker that ran a trial: ``host:pid``.
WORKER_ATTR = "worker"


def point_slug(params: dict[str, Any]) -> str:
    """A folder name for one grid point: ``optimizer-adam_cell-gru``."""
    parts = []
    for key, value in params.items():
        text = json.dumps(value) if not isinstance(value, str) else value
        parts.append(f"{key.rsplit('.', 1)[-1]}-{re.sub(r'[^A-Za-z0-9.+-]', '', text)}")
    return "_".join(parts)


def trial_experiment_name(sweep: SweepFile, trial: optuna.Trial, params: dict) -> str:
    """``sweeps/<study>/<point>`` for a grid, ``sweeps/<study>/trial-NNNN`` for sampled
    trials (a retried trial keeps the folder of the trial it retries)."""
    if sweep.sampler == "grid":
        return f"sweeps/{sweep.name}/{point_slug(params)}"
    number = int(trial.system_attrs.get("failed_trial", trial.number))
    return f"sweeps/{sweep.name}/trial-{number:04d}"


def suggest(sweep: SweepFile, trial: optuna.Trial) -> dict[str, Any]:
    """The trial's value on every axis (fixed for an enqueued grid point)."""
    params: dict[str, Any] = {}
    for axis in sweep.axes:
        if axis.values is not None:
            params[axis.key] = trial.suggest_categorical(axis.key, list(axis.values))
        elif axis.integer:
            params[axis.key] = trial.suggest_int(axis.key, int(axis.low), int(axis.high),
                                                 log=axis.log)
        else:
            params[axis.key] = trial.suggest_float(axis.key, float(axis.low), float(axis.high),
                                                   log=axis.log)
    return params


def claim_trial(storage: RDBStorage, trial_id: int) -> bool:
    """Switch a waiting trial to running; True for exactly one of any number of workers
    that try at once.

    One conditional ``UPDATE ... WHERE state = 'WAITING'`` does it, which every database
    applies atomically. Optuna's own ``set_trial_state_values`` reads the state and then
    writes it, and on SQLite (which ignores ``SELECT ... FOR UPDATE``) two processes can
    both read "waiting" and both start the trial.
    """
    import sqlalchemy
    from optuna.storages._rdb import models

    with storage.engine.begin() as connection:
        result = connection.execute(
            sqlalchemy.update(models.TrialModel)
            .where(models.TrialModel.trial_id == trial_id,
                   models.TrialModel.state == TrialState.WAITING)
            .values(state=TrialState.RUNNING))
    if result.rowcount != 1:
        return False
    session = storage.scoped_session()
    try:  # the start time, written as Optuna writes it when it starts a trial
        trial = session.get(models.TrialModel, trial_id)
        trial.datetime_start = datetime.now()
        session.commit()
    except Exception:
        session.rollback()
        raise
    return True


class _TakenOver(Exception):
    """Raised inside training when another worker has already failed this worker's trial
    (its heartbeats were missed): the trial's retry counts, so this run stops."""


class _Heartbeat:
    """Records the trial's heartbeat every ``interval`` seconds in a thread."""

    def __init__(self, storage: RDBStorage, trial_id: int, interval: float) -> None:
        self.storage, self.trial_id, self.interval = storage, trial_id, interval
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.storage.record_heartbeat(self.trial_id)
            except Exception:  # a transient database error: try again at the next beat
                pass
            self.stop_event.wait(self.interval)

    def __enter__(self) -> _Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.thread.join()


def reporting_trainer(on_epoch: Callable[[int, dict[str, Any]], None]) -> type[Trainer]:
    """A :class:`Trainer` that calls ``on_epoch(epoch, entry)`` once each epoch's
    checkpoint and log line are written (so a pruned trial keeps them)."""

    class ReportingTrainer(Trainer):
        def save_checkpoint(self, path: str | Path, epoch: int) -> None:
            super().save_checkpoint(path, epoch)
            on_epoch(epoch, self.history[-1])

    return ReportingTrainer


@dataclass
class WorkerSummary:
    completed: int = 0
    pruned: int = 0
    failed: int = 0
    interrupted: bool = False


class SweepWorker:
    """Runs trials of ``study`` until the grid is done or the budget is used."""

    def __init__(self, sweep: SweepFile, study: optuna.Study, storage: RDBStorage,
                 show_progress: bool = True, poll_seconds: float | None = None,
                 trial_ended: Any = None) -> None:
        self.sweep, self.study, self.storage = sweep, study, storage
        self.study_id = storage.get_study_id_from_name(sweep.name)
        self.show_progress = show_progress
        self.poll_seconds = poll_seconds or 1.0
        #: An event (``set``/``wait``/``clear``) the workers of one machine share: set
        #: whenever one of them ends a trial, so a waiting worker looks again at once
        #: instead of after its poll interval (None: poll only, as across machines).
        self.trial_ended = trial_ended
        self.summary = WorkerSummary()

    # ------------------------------------------------------------------ claiming
    def counts(self) -> dict[TrialState, int]:
        counts = dict.fromkeys(TrialState, 0)
        for trial in self.study.get_trials(deepcopy=False):
            counts[trial.state] += 1
        return counts

    def finished(self) -> int:
        counts = self.counts()
        return sum(counts[state] for state in DONE_STATES)

    def _claim_waiting(self) -> int | None:
        """Switch one waiting trial to running; None when there is none left."""
        waiting = self.storage.get_all_trials(self.study_id, deepcopy=False,
                                              states=(TrialState.WAITING,))
        for frozen in sorted(waiting, key=lambda t: t.number):
            trial_id = self.storage.get_trial_id_from_study_id_trial_number(
                self.study_id, frozen.number)
            if claim_trial(self.storage, trial_id):
                # A first beat at once: a worker that dies before its trial starts
                # training still leaves a trial the others see go stale.
                self.storage.record_heartbeat(trial_id)
                return trial_id
        return None

    def next_trial(self) -> optuna.Trial | None:
        """The next trial to run, or None when this worker has nothing left to do.

        A grid worker waits while other workers' trials run: one of them may have been
        killed, and its point comes back as a waiting trial once its heartbeat is stale.
        """
        while True:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                fail_stale_trials(self.study)
            trial_id = self._claim_waiting()
            if trial_id is not None:
                # The study's trial cache must know the claimed trial before it is used.
                self.study.get_trials(deepcopy=False)
                return optuna.Trial(self.study, trial_id)
            counts = self.counts()
            done = sum(counts[state] for state in DONE_STATES)
            if done >= self.sweep.budget():
                return None
            if self.sweep.sampler == "tpe":
                if done + counts[TrialState.RUNNING] >= self.sweep.budget():
                    if counts[TrialState.RUNNING] == 0:
                        return None
                    self._wait()
                    continue
                with warnings.catch_warnings():
                    # The heartbeat is this worker's own (_Heartbeat), not Study.optimize's.
                    warnings.filterwarnings("ignore", "Heartbeat of storage")
                    trial = self.study.ask()
                self.storage.record_heartbeat(trial._trial_id)
                return trial
            if counts[TrialState.RUNNING] == 0:
                return None  # the points left failed with an error: nothing to retry
            self._wait()

    def _wait(self) -> None:
        """Until another worker here ends a trial, or the poll interval has passed."""
        if self.trial_ended is None:
            time.sleep(self.poll_seconds)
            return
        self.trial_ended.wait(self.poll_seconds)
        self.trial_ended.clear()

    # ------------------------------------------------------------------ running
    def run(self, on_trial_done: Callable[[], None] | None = None) -> WorkerSummary:
        """Run trials until none is left; Ctrl-C stops after putting the current one back."""
        while True:
            trial = self.next_trial()
            if trial is None:
                return self.summary
            try:
                self.run_trial(trial)
            except KeyboardInterrupt:
                self._put_back(trial)
                self.summary.interrupted = True
                return self.summary
            finally:
                if self.trial_ended is not None:
                    self.trial_ended.set()
            if on_trial_done is not None:
                on_trial_done()

    def _put_back(self, trial: optuna.Trial) -> None:
        """Fail an interrupted trial and enqueue its point again, so the next run does it."""
        try:
            self.study.tell(trial, state=TrialState.FAIL)
        except Exception:  # already finished by someone else: nothing to put back
            return
        retry_callback()(self.study, self.storage.get_trial(trial._trial_id))

    def run_trial(self, trial: optuna.Trial) -> None:
        params = suggest(self.sweep, trial)
        name = trial_experiment_name(self.sweep, trial, params)
        trial.set_user_attr(EXPERIMENT_ATTR, name)
        trial.set_user_attr(WORKER_ATTR, f"{socket.gethostname()}:{os.getpid()}")
        config = self.sweep.trial_config(params)
        config["name"] = name
        folder = experiment_folder(name)
        resume = bool(list((folder / CHECKPOINT_DIR).glob("epoch_*.pt")))
        for entry in _logged_epochs(folder) if resume else []:
            trial.report(float(entry["val"][self.sweep.metric]), int(entry["epoch"]))

        def on_epoch(epoch: int, entry: dict[str, Any]) -> None:
            scores = entry["val"] or entry["train"]
            try:
                trial.report(float(scores[self.sweep.metric]), epoch)
            except optuna.exceptions.UpdateFinishedTrialError:
                raise _TakenOver from None
            if self.sweep.pruning and trial.should_prune():
                trial.set_user_attr("pruned_epoch", epoch)
                raise optuna.TrialPruned(f"pruned after epoch {epoch}")

        with _Heartbeat(self.storage, trial._trial_id, self.sweep.heartbeat_seconds):
            try:
                result = run_experiment(config, resume=resume, force=not resume,
                                        show_progress=self.show_progress,
                                        trainer_class=reporting_trainer(on_epoch))
            except optuna.TrialPruned:
                self._tell(trial, state=TrialState.PRUNED)
                self.summary.pruned += 1
                return
            except _TakenOver:
                print(f"trial {trial.number} ({name}): another worker took it over after "
                      "missed heartbeats; this worker stops it", file=sys.stderr)
                return
            except Exception as exc:  # a bad setting, or an unfinished TODO in the model
                problem = str(exc) if isinstance(exc, KitError) else f"{type(exc).__name__}: {exc}"
                print(f"trial {trial.number} ({name}) failed: {problem}", file=sys.stderr)
                trial.set_user_attr("error", problem)
                self._tell(trial, state=TrialState.FAIL)
                self.summary.failed += 1
                return
            try:
                for key, value in trial_figures(result.folder).items():
                    trial.set_user_attr(key, value)
            except optuna.exceptions.UpdateFinishedTrialError:
                pass  # taken over by another worker: _tell below says so
            scores = result.val_scores or {}
            if self._tell(trial, float(scores.get(self.sweep.metric, 0.0))):
                self.summary.completed += 1

    def _tell(self, trial: optuna.Trial, value: float | None = None,
              state: TrialState | None = None) -> bool:
        """Finish ``trial``; False when another worker already failed it (this worker
        missed its heartbeats), so the result is dropped and its retry counts instead."""
        try:
            self.study.tell(trial, value, state=state)
        except optuna.exceptions.UpdateFinishedTrialError:
            print(f"trial {trial.number}: another worker took it over after missed heartbeats; "
                  "this result is dropped", file=sys.stderr)
            return False
        return True


def _logged_epochs(folder: Path) -> list[dict[str, Any]]:
    path = folder / METRICS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def trial_figures(folder: Path) -> dict[str, Any]:
    """What a finished trial's folder says: best epoch, train time, parameters and,
    when the hidden test labels are at hand, the test entity F1 of the kept model."""
    from ner_helpers.data import load_hidden_labels
    from ner_helpers.predictions import load_predictions, score_predictions
    from ner_helpers.predictor import NERPredictor

    history = _logged_epochs(folder)
    scores = json.loads((folder / "scores.json").read_text(encoding="utf-8"))
    figures: dict[str, Any] = {
        "best_epoch": scores["best_epoch"],
        "train_seconds": round(sum(float(entry["seconds"]) for entry in history), 3),
        "parameters": NERPredictor.load(folder / "model").num_parameters(),
    }
    labels = resolve_path(kit_config()["paths"]["hidden_labels"])
    predictions = folder / "test_predictions.json"
    if labels.is_file() and predictions.is_file():
        try:
            test = score_predictions(load_predictions(predictions), load_hidden_labels(labels))
            figures["test_f1"] = test["weighted_f1"]
        except KitError:
            pass  # hidden labels of another corpus: no test score
    return figures
