"""Proposing performance baselines from reference models (``ner-instructor calibrate``).

The reference models are trained with the default experiment configs, once per
seed (or read from existing experiments), and scored on the hidden test labels
with the grading metric. A seed changes the initial weights and the batch order,
and so does anything else that draws other initial weights (a student's
``__init__`` that creates its layers in another order): the spread over seeds is
the spread a correct submission can land in. The proposed baseline of a model is
``fraction`` of its lowest seed's F1, rounded down to a multiple of ``step``
(grading.yaml ``calibration``), so that no reference seed would lose points.
Proposals are written to a file; grading.yaml changes only when asked, after a
backup.

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
class ReferenceRun:
    """One reference experiment: its folder, its seed (None: unknown) and its test F1."""

    experiment: str
    seed: int | None
    f1: float


@dataclass(frozen=True)
class Proposal:
    model: str
    runs: tuple[ReferenceRun, ...]
    current_baseline: float
    proposed_baseline: float
    #: Why the proposal is too low (an under-trained reference), in words.
    warnings: tuple[str, ...] = field(default=())

    @property
    def f1s(self) -> list[float]:
        return [run.f1 for run in self.runs]

    @property
    def mean_f1(self) -> float:
        return sum(self.f1s) / len(self.f1s)

    @property
    def min_f1(self) -> float:
        return min(self.f1s)

    @property
    def max_f1(self) -> float:
        return max(self.f1s)

    @property
    def spread(self) -> float:
        """Highest minus lowest seed F1."""
        return self.max_f1 - self.min_f1

    @property
    def sd(self) -> float:
        """Sample standard deviation of the seeds' F1 (0 for one seed)."""
        if len(self.runs) < 2:
            return 0.0
        mean = self.mean_f1
        return math.sqrt(sum((f1 - mean) ** 2 for f1 in self.f1s) / (len(self.runs) - 1))

    def seeds_below(self, baseline: float) -> int:
        """How many reference runs would lose points with ``baseline``."""
        return sum(1 for f1 in self.f1s if f1 < baseline)


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


def propose_from_runs(f1s: list[float], fraction: float, step: float) -> float:
    """The baseline for a model whose reference runs scored ``f1s``: ``fraction`` of the
    lowest of them, rounded down to a multiple of ``step``."""
    if not f1s:
        raise KitError("no reference runs to propose a baseline from")
    return propose_baseline(min(f1s), fraction, step)


def calibration_seeds(first: int, count: int) -> list[int]:
    """The seeds of ``count`` reference runs: the config's seed ``first``, then the next."""
    return [first + offset for offset in range(count)]


def proposal_table(proposals: list[Proposal]) -> str:
    """Per model: runs, mean, spread (highest - lowest), standard deviation and lowest F1,
    the baseline now and the proposal, each with the runs that would lose points."""
    lines = [f"{'model':<6}{'seeds':>6}{'mean F1':>9}{'spread':>8}{'sd':>8}{'lowest':>8}"
             f"{'baseline now':>14}{'runs below':>11}{'proposed':>10}{'runs below':>11}"]
    for item in proposals:
        lines.append(
            f"{item.model:<6}{len(item.runs):>6}{item.mean_f1:>9.4f}{item.spread:>8.4f}"
            f"{item.sd:>8.4f}{item.min_f1:>8.4f}{item.current_baseline:>14.2f}"
            f"{item.seeds_below(item.current_baseline):>11}{item.proposed_baseline:>10.2f}"
            f"{item.seeds_below(item.proposed_baseline):>11}")
    return "\n".join(lines)


def proposal_verdicts(proposals: list[Proposal]) -> list[str]:
    """One sentence per model: how many of its reference runs each baseline would cost."""
    lines = []
    for item in proposals:
        below = item.seeds_below(item.proposed_baseline)
        now = item.seeds_below(item.current_baseline)
        lines.append(
            f"{item.model}: with the proposed baseline {item.proposed_baseline:g}, "
            f"{below} of {len(item.runs)} reference runs would lose points"
            f"{' (goal: none)' if below else ''}; with the baseline now "
            f"({item.current_baseline:g}), {now} of {len(item.runs)}")
    return lines


def write_proposal(proposals: list[Proposal], settings: GradingSettings, path: Path,
                   dataset: str) -> Path:
    data: dict[str, Any] = {
        "dataset": dataset,
        "rule": {"fraction": settings.calibration.fraction, "step": settings.calibration.step,
                 "of": "the lowest reference run's F1"},
        "models": {item.model: {
            "runs": [{"experiment": run.experiment, "seed": run.seed, "f1": round(run.f1, 4)}
                     for run in item.runs],
            "mean_f1": round(item.mean_f1, 4),
            "spread": round(item.spread, 4),
            "sd": round(item.sd, 4),
            "min_f1": round(item.min_f1, 4),
            "max_f1": round(item.max_f1, 4),
            "current_baseline": item.current_baseline,
            "runs_below_current": item.seeds_below(item.current_baseline),
            "proposed_baseline": item.proposed_baseline,
            "runs_below_proposed": item.seeds_below(item.proposed_baseline)}
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
