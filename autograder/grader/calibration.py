"""Proposing performance baselines from reference models (``ner-instructor calibrate``).

The reference models are trained with the default experiment configs (or read
from existing experiments) and scored on the hidden test labels with the
grading metric. The proposed baseline of a model is ``fraction`` of its
reference F1, rounded down to a multiple of ``step`` (grading.yaml
``calibration``). Proposals are written to a file; grading.yaml changes only
when asked, after a backup.

A reference trained for fewer epochs or on fewer sentences than the shipped
config scores lower than students who train as shipped, so its proposed
baseline is too low: :func:`undertraining_warnings` says so for each model.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from autograder.grader.settings import GradingSettings, load_settings
from ner_helpers.errors import KitError


@dataclass(frozen=True)
class Proposal:
    model: str
    experiment: str
    reference_f1: float
    current_baseline: float
    proposed_baseline: float
    #: Why the proposal is too low (an under-trained reference), in words.
    warnings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class TrainingAmount:
    """How much an experiment trained: epochs run and training sentences used."""

    epochs: int | None
    sentences: int | None  # None: the whole training split


def _limit(value: Any) -> int | None:
    return None if value is None else int(value)


def shipped_training(config: dict[str, Any], train_size: int) -> TrainingAmount:
    """The training a config asks for, on a training split of ``train_size`` sentences."""
    epochs = _limit((config.get("training") or {}).get("epochs"))
    limit = _limit((config.get("data") or {}).get("max_train"))
    return TrainingAmount(epochs, train_size if limit is None else min(limit, train_size))


def experiment_training(folder: Path, train_size: int) -> TrainingAmount:
    """What the experiment in ``folder`` trained: epochs logged in ``metrics.jsonl`` (else
    its config's epochs) and the sentences its config's ``data.max_train`` allowed."""
    config_path = folder / "config.yaml"
    config: dict[str, Any] = {}
    if config_path.is_file():
        loaded = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        config = loaded if isinstance(loaded, dict) else {}
    amount = shipped_training(config, train_size)
    metrics = folder / "metrics.jsonl"
    if metrics.is_file():
        epochs = set()
        for line in metrics.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "epoch" in record:
                epochs.add(record["epoch"])
        if epochs:
            amount = TrainingAmount(len(epochs), amount.sentences)
    return amount


def undertraining_warnings(model: str, experiment: str, trained: TrainingAmount,
                           shipped: TrainingAmount, config_name: str) -> list[str]:
    """One line per way the reference trained less than the shipped config (none: fine)."""
    found = []
    if trained.epochs is not None and shipped.epochs is not None \
            and trained.epochs < shipped.epochs:
        found.append(f"{trained.epochs} epochs, fewer than the {shipped.epochs} of {config_name}")
    if trained.sentences is not None and shipped.sentences is not None \
            and trained.sentences < shipped.sentences:
        found.append(f"{trained.sentences:,} training sentences, fewer than the "
                     f"{shipped.sentences:,} of {config_name}")
    if not found:
        return []
    return [f"{model}: the reference {experiment} trained {' and '.join(found)}; its F1 is "
            "lower than a model trained as shipped, so the proposed baseline is too low "
            "(calibrate without --epochs/--max-train, or with experiments trained as shipped)"]


def propose_baseline(f1: float, fraction: float, step: float) -> float:
    """``fraction * f1`` rounded down to a multiple of ``step`` (at least one step)."""
    steps = math.floor(round(fraction * f1 / step, 9))
    decimals = max(0, -math.floor(math.log10(step)) + 1)
    return round(max(steps, 1) * step, decimals)


def proposal_table(proposals: list[Proposal]) -> str:
    lines = [f"{'model':<6}{'reference F1':>14}{'baseline now':>14}{'proposed':>10}"]
    for item in proposals:
        lines.append(f"{item.model:<6}{item.reference_f1:>14.4f}{item.current_baseline:>14.2f}"
                     f"{item.proposed_baseline:>10.2f}")
    return "\n".join(lines)


def write_proposal(proposals: list[Proposal], settings: GradingSettings, path: Path,
                   dataset: str) -> Path:
    data: dict[str, Any] = {
        "dataset": dataset,
        "rule": {"fraction": settings.calibration.fraction, "step": settings.calibration.step},
        "models": {item.model: {"experiment": item.experiment,
                                "reference_f1": round(item.reference_f1, 4),
                                "current_baseline": item.current_baseline,
                                "proposed_baseline": item.proposed_baseline}
                   for item in proposals},
    }
    warnings = [line for item in proposals for line in item.warnings]
    if warnings:
        data["warnings"] = warnings
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ("# Proposed performance baselines (ner-instructor calibrate). grading.yaml is\n"
              "# unchanged unless the command ran with --write.\n")
    path.write_text(header + yaml.safe_dump(data, sort_keys=True), encoding="utf-8")
    return path


KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_]+):(?P<rest>.*)$")


def set_baseline(text: str, model: str, value: float) -> str:
    """``text`` of grading.yaml with ``performance.<model>.baseline`` set to ``value``,
    every other line (comments included) kept as it was."""
    lines = text.splitlines(keepends=True)
    wanted = ["performance", model, "baseline"]
    open_keys: list[tuple[int, str]] = []  # (indent, key) of the mappings around a line
    for number, line in enumerate(lines):
        match = KEY_LINE.match(line.rstrip("\n"))
        if not match or line.lstrip().startswith("#"):
            continue
        indent = len(match.group("indent"))
        while open_keys and open_keys[-1][0] >= indent:
            open_keys.pop()
        keys = [key for _, key in open_keys] + [match.group("key")]
        if keys == wanted:
            rest = match.group("rest")
            comment = rest[rest.index("#"):] if "#" in rest else ""
            spacing = "  " if comment else ""
            lines[number] = f"{match.group('indent')}baseline: {value:g}{spacing}{comment}\n"
            return "".join(lines)
        open_keys.append((indent, match.group("key")))
    raise KitError(f"grading.yaml has no performance.{model}.baseline line to update")


def write_baselines(settings_path: Path, baselines: dict[str, float]) -> Path:
    """Update the baselines in ``settings_path`` after copying it to ``NAME.bak-N``."""
    number = 1
    while settings_path.with_name(f"{settings_path.name}.bak-{number}").exists():
        number += 1
    backup = settings_path.with_name(f"{settings_path.name}.bak-{number}")
    shutil.copyfile(settings_path, backup)
    text = settings_path.read_text(encoding="utf-8")
    for model, value in sorted(baselines.items()):
        text = set_baseline(text, model, value)
    temporary = settings_path.with_name(settings_path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(settings_path)
    reloaded = load_settings(settings_path)
    for model, value in baselines.items():
        if reloaded.models[model].baseline != value:
            raise KitError(f"{settings_path}: the baseline of {model} did not update; the "
                           f"previous file is kept as {backup}")
    return backup
