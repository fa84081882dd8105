"""A sweep's results table, read from its trials' experiment folders.

One row per finished trial (complete or pruned): the axis values, the validation
entity F1 of the kept epoch, the training time, the parameter count, the best
epoch, the test entity F1 when the hidden labels were at hand, and the epoch a
pruned trial stopped after. Every figure is read from the trial's own
``metrics.jsonl``, so the table always agrees with the logs.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from ner_helpers.experiment import experiment_folder
from ner_helpers.trainer import METRICS_FILE

REPORTED_STATES = (TrialState.COMPLETE, TrialState.PRUNED)


@dataclass
class TrialRow:
    """One finished trial, as read from its experiment folder."""

    number: int
    state: str
    params: dict[str, Any]
    experiment: str
    history: list[dict[str, Any]]
    best_epoch: int | None
    val_f1: float | None
    train_seconds: float
    parameters: int | None
    test_f1: float | None = None
    pruned_epoch: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def read_history(folder: Path) -> list[dict[str, Any]]:
    path = folder / METRICS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def trial_rows(study: optuna.Study, metric: str = "weighted_f1") -> list[TrialRow]:
    """The finished trials of ``study``, in trial order."""
    rows = []
    for trial in study.get_trials(deepcopy=False, states=REPORTED_STATES):
        name = trial.user_attrs.get("experiment")
        if name is None:
            continue
        history = read_history(experiment_folder(name))
        best = trial.user_attrs.get("best_epoch")
        if best is None and history:  # a pruned trial: its best epoch so far
            best = max(history, key=lambda e: (e["val"] or e["train"])[metric])["epoch"]
        entry = next((e for e in history if e["epoch"] == best), None)
        val_f1 = (entry["val"] or entry["train"])[metric] if entry else None
        rows.append(TrialRow(
            number=trial.number, state=trial.state.name.lower(), params=dict(trial.params),
            experiment=name, history=history, best_epoch=best, val_f1=val_f1,
            train_seconds=round(sum(float(e["seconds"]) for e in history), 1),
            parameters=trial.user_attrs.get("parameters"),
            test_f1=trial.user_attrs.get("test_f1"),
            pruned_epoch=trial.user_attrs.get("pruned_epoch")))
    return rows


def table_columns(rows: list[TrialRow]) -> list[str]:
    axes = list(dict.fromkeys(key for row in rows for key in row.params))
    columns = [*axes, "val_f1", "test_f1", "train_s", "parameters", "best_epoch", "state",
               "pruned_epoch", "experiment"]
    if all(row.test_f1 is None for row in rows):
        columns.remove("test_f1")
    if all(row.pruned_epoch is None for row in rows):
        columns.remove("pruned_epoch")
    return columns


def _cells(row: TrialRow, columns: list[str]) -> list[str]:
    values = {**row.params, "val_f1": row.val_f1, "test_f1": row.test_f1,
              "train_s": row.train_seconds, "parameters": row.parameters,
              "best_epoch": row.best_epoch, "state": row.state,
              "pruned_epoch": row.pruned_epoch, "experiment": row.experiment}
    cells = []
    for column in columns:
        value = values.get(column)
        if value is None:
            cells.append("")
        elif column in ("val_f1", "test_f1"):
            cells.append(f"{value:.4f}")
        else:
            cells.append(str(value))
    return cells


def table_csv(rows: list[TrialRow]) -> str:
    columns = table_columns(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(_cells(row, columns))
    return out.getvalue()


def table_markdown(rows: list[TrialRow]) -> str:
    """The table, best validation F1 first, the best row's F1 in bold."""
    columns = table_columns(rows)
    ordered = sorted(rows, key=lambda r: (-(r.val_f1 or 0.0), r.number))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for index, row in enumerate(ordered):
        cells = _cells(row, columns)
        if index == 0 and "val_f1" in columns:
            position = columns.index("val_f1")
            cells[position] = f"**{cells[position]}**"
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_report(study: optuna.Study, out_dir: Path, metric: str = "weighted_f1",
                 plots: bool = True) -> dict[str, Path]:
    """Write ``table.csv``, ``table.md`` and (with ``plots``) the figures into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = trial_rows(study, metric)
    written = {"csv": out_dir / "table.csv", "markdown": out_dir / "table.md"}
    written["csv"].write_text(table_csv(rows), encoding="utf-8")
    written["markdown"].write_text(table_markdown(rows), encoding="utf-8")
    if plots and rows:
        from ner_helpers.sweep.plots import save_plots

        written.update(save_plots(rows, out_dir, metric, study))
    return written
