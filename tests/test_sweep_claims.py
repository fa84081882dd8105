"""Claiming trials: of any number of workers that try to start the same waiting trial
at once, exactly one gets it, on SQLite too (no training: processes race on claims
alone, many times over)."""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from optuna.trial import TrialState  # noqa: E402

from ner_helpers.sweep.storage import open_storage  # noqa: E402
from ner_helpers.sweep.worker import claim_trial  # noqa: E402

TRIALS = 200
WORKERS = 4


def claim_all(url: str, trial_ids: list[int], start: object, out: object) -> None:
    """Try to claim every trial, in the same order as the other processes (the worst
    case: all of them want the same trial at the same moment)."""
    storage = open_storage(url, None, "test")
    start.wait()
    out.put([trial_id for trial_id in trial_ids if claim_trial(storage, trial_id)])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks the racing processes")
def test_each_waiting_trial_is_claimed_by_exactly_one_of_several_racing_workers(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    storage = open_storage(url, None, "test")
    study = optuna.create_study(study_name="claims", storage=storage)
    for number in range(TRIALS):
        study.enqueue_trial({"x": number})
    trial_ids = [trial._trial_id for trial in study.get_trials(deepcopy=False)]
    context = multiprocessing.get_context("fork")
    start, out = context.Event(), context.Queue()
    racers = [context.Process(target=claim_all, args=(url, trial_ids, start, out))
              for _ in range(WORKERS)]
    for racer in racers:
        racer.start()
    start.set()
    claimed = [out.get(timeout=120) for _ in racers]
    for racer in racers:
        racer.join(timeout=60)
        assert racer.exitcode == 0
    every = [trial_id for mine in claimed for trial_id in mine]
    assert sorted(every) == sorted(trial_ids), "a trial was claimed twice or not at all"
    states = {t.state for t in optuna.load_study(study_name="claims",
                                                 storage=url).get_trials(deepcopy=False)}
    assert states == {TrialState.RUNNING}
    started = [t.datetime_start for t in optuna.load_study(
        study_name="claims", storage=url).get_trials(deepcopy=False)]
    assert None not in started


def test_a_trial_that_is_not_waiting_is_not_claimed(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'claims.db'}"
    storage = open_storage(url, None, "test")
    study = optuna.create_study(study_name="claims", storage=storage)
    study.enqueue_trial({"x": 1})
    (trial,) = study.get_trials(deepcopy=False)
    assert claim_trial(storage, trial._trial_id)
    assert not claim_trial(storage, trial._trial_id)  # running now
    storage.set_trial_state_values(trial._trial_id, TrialState.COMPLETE, [1.0])
    assert not claim_trial(storage, trial._trial_id)  # finished
