"""The end-to-end instructor flow on one corpus, with a readable summary.

dataset -> tokenizer -> short FFNN and RNN runs -> test predictions -> scores
on the hidden labels (-> a final submission graded by the autograder, when
the grader is installed).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ner_helpers.config import kit_config, load_config, resolve_path
from ner_helpers.data import build_dataset, load_hidden_labels, load_split
from ner_helpers.experiment import experiment_folder, run_experiment
from ner_helpers.predictions import load_predictions, score_predictions
from ner_helpers.tokenizer import Tokenizer


@dataclass
class DemoSummary:
    """What the demo did and measured, for printing."""

    source: str
    split_sizes: dict[str, int]
    vocab_size: int = 0
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    grading: list[str] = field(default_factory=list)

    def format(self) -> str:
        lines = [f"corpus: {self.source}",
                 "sentences: " + ", ".join(f"{k} {v:,}" for k, v in self.split_sizes.items()),
                 f"vocabulary: {self.vocab_size:,} ids", "",
                 f"{'model':<6} {'epochs':>6} {'seconds':>8} {'val F1':>8} {'test F1':>8}",
                 f"{'-' * 6} {'-' * 6} {'-' * 8} {'-' * 8} {'-' * 8}"]
        for name, row in self.models.items():
            lines.append(f"{name:<7}{row['epochs']:>6} {row['seconds']:>8.1f} "
                         f"{row['val_f1']:>8.3f} {row['test_f1']:>8.3f}")
        lines.append("(F1: support-weighted entity F1, the grading metric)")
        if self.grading:
            lines += ["", *self.grading]
        return "\n".join(lines)


def run_demo(source: str | None, epochs: int | None = None, max_train: int | None = None,
             show_progress: bool = True, grade: bool = True) -> DemoSummary:
    """Run the whole flow; ``source`` None means the bundled sample corpus."""
    kit = kit_config()
    settings = kit["demo"]
    report = build_dataset(source, resolve_path(kit["paths"]["dataset_dir"]),
                           resolve_path(kit["paths"]["hidden_labels"]))
    print(report.format() if hasattr(report, "format") else report, flush=True)
    dataset_dir = resolve_path(kit["paths"]["dataset_dir"])
    summary = DemoSummary(report.source if hasattr(report, "source") else str(source),
                          {s: len(load_split(dataset_dir / f"{s}.json"))
                           for s in kit["data"]["splits"]})

    tokenizer = Tokenizer(lowercase=kit["tokenizer"]["lowercase"])
    tokenizer.train(load_split(dataset_dir / "train.json"), min_freq=kit["tokenizer"]["min_freq"],
                    remove_frac=kit["tokenizer"]["remove_frac"])
    tokenizer.save(resolve_path(kit["paths"]["tokenizer"]))
    summary.vocab_size = tokenizer.vocab_size

    hidden = load_hidden_labels(resolve_path(kit["paths"]["hidden_labels"]))
    for model in settings["models"]:
        config = load_config(model)
        config["name"] = f"{settings['experiment_prefix']}{model}"
        config["training"]["epochs"] = epochs or settings["epochs"]
        config.setdefault("data", {})["max_train"] = max_train or settings["max_train"]
        folder = experiment_folder(config["name"])
        if folder.exists():  # the demo's own earlier output, nothing of a student's
            shutil.rmtree(folder)
        print(f"\ntraining {model} ({config['training']['epochs']} epochs)...", flush=True)
        started = time.perf_counter()
        result = run_experiment(config, show_progress=show_progress)
        predictions = load_predictions(result.folder / "test_predictions.json")
        summary.models[model] = {
            "epochs": config["training"]["epochs"],
            "seconds": time.perf_counter() - started,
            "val_f1": (result.val_scores or {}).get("weighted_f1", 0.0),
            "test_f1": score_predictions(predictions, hidden)["weighted_f1"],
            "folder": result.folder,
        }
    if settings.get("encoder") and encoder_section_present():
        summary.models["encoder"] = train_demo_encoder(settings, dataset_dir, hidden,
                                                       epochs, max_train, show_progress)
    if grade:
        summary.grading = grade_demo_submission(summary)
    return summary


def encoder_section_present() -> bool:
    """Whether this copy of the kit holds the encoder section and its extra."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None
               for name in ("ner_helpers.encoder_predictor", "transformers", "tokenizers"))


def train_demo_encoder(settings: dict[str, Any], dataset_dir: Path, hidden: Any,
                       epochs: int | None, max_train: int | None,
                       show_progress: bool) -> dict[str, Any]:
    """The encoder section's offline model: word pieces from the training split, then a
    tiny random encoder (``demo.encoder`` of kit.yaml)."""
    from ner_helpers.config import apply_overrides
    from ner_helpers.word_pieces import train_word_pieces

    kit = kit_config()
    demo = settings["encoder"]
    pieces = resolve_path(kit["pieces"]["folder"])
    pieces.mkdir(parents=True, exist_ok=True)
    train_word_pieces((row["text"] for row in load_split(dataset_dir / "train.json")),
                      kit["pieces"]["vocab_size"], kit["pieces"]["min_frequency"]) \
        .save(str(pieces / "tokenizer.json"))
    config = apply_overrides(load_config(demo["config"]), list(demo.get("overrides") or []))
    config["name"] = f"{settings['experiment_prefix']}encoder"
    config["training"]["epochs"] = epochs or demo["epochs"]
    config.setdefault("data", {})["max_train"] = max_train or demo["max_train"]
    folder = experiment_folder(config["name"])
    if folder.exists():  # the demo's own earlier output
        shutil.rmtree(folder)
    print(f"\ntraining the tiny encoder ({config['training']['epochs']} epochs)...", flush=True)
    started = time.perf_counter()
    result = run_experiment(config, show_progress=show_progress)
    predictions = load_predictions(result.folder / "test_predictions.json")
    return {"epochs": config["training"]["epochs"], "seconds": time.perf_counter() - started,
            "val_f1": (result.val_scores or {}).get("weighted_f1", 0.0),
            "test_f1": score_predictions(predictions, hidden)["weighted_f1"],
            "folder": result.folder}


def grade_demo_submission(summary: DemoSummary) -> list[str]:
    """Build a final submission from the demo's models and grade it like a student's."""
    try:
        from autograder.grader.demo_grading import grade_demo
    except ModuleNotFoundError:
        return []
    return grade_demo({name: Path(row["folder"]) for name, row in summary.models.items()})
