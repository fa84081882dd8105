"""One training run from a YAML config to a folder of results.

An experiment folder (``artefacts/experiments/<name>/``) holds:

- ``config.yaml``: the full config the run used;
- ``checkpoints/epoch_NNN.pt`` and ``metrics.jsonl``: one per epoch;
- ``model/``: the best epoch's model (``config.json`` + ``weights.pt``);
- ``scores.json``: best epoch and its validation scores;
- ``test_predictions.json``: tags for the test split, when there is one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import yaml
from torch.utils.data import DataLoader

from ner_helpers.collator import DataCollator
from ner_helpers.config import kit_config, resolve_path
from ner_helpers.data import load_split
from ner_helpers.errors import KitError
from ner_helpers.model_config import ModelConfig
from ner_helpers.numerics import apply_flush_denormals
from ner_helpers.predictions import predict_rows, save_predictions
from ner_helpers.predictor import NERPredictor
from ner_helpers.rare_words import rare_token_ids
from ner_helpers.seeding import set_seed
from ner_helpers.tokenizer import Tokenizer
from ner_helpers.trainer import Trainer

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD,
              "sgd-momentum": torch.optim.SGD, "adagrad": torch.optim.Adagrad,
              "rmsprop": torch.optim.RMSprop}
#: Settings an optimizer name implies beyond ``lr`` and ``weight_decay``.
OPTIMIZER_SETTINGS: dict[str, dict[str, Any]] = {"sgd-momentum": {"momentum": 0.9}}
FUSED_OPTIMIZERS = ("adam", "adamw")  # training.fused_optimizer applies to these
ENCODER = "encoder"  # the model type of ner_helpers.encoder_predictor (an optional extra)


@dataclass
class ExperimentResult:
    """Where a run wrote its results and what it scored."""

    folder: Path
    best_epoch: int | None
    val_scores: dict[str, Any] | None
    history: list[dict[str, Any]]


def experiment_folder(name: str) -> Path:
    return resolve_path(kit_config()["paths"]["experiments_dir"]) / name


def build_optimizer(model: torch.nn.Module, training: dict[str, Any]) -> torch.optim.Optimizer:
    """The optimizer named by ``training.optimizer`` with its ``lr`` and ``weight_decay``:
    ``sgd``, ``sgd-momentum`` (momentum 0.9), ``adagrad``, ``rmsprop``, ``adam`` or ``adamw``.

    With ``training.fused_optimizer`` (Adam and AdamW only), the update of each
    parameter runs as one fused kernel instead of a sequence of element-wise
    operations: the same update up to rounding, several times faster for the
    large embedding table (see docs/reference-results.md).
    """
    name = training.get("optimizer", "adam")
    if name not in OPTIMIZERS:
        raise KitError(f"training.optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    settings: dict[str, Any] = {"lr": float(training.get("lr", 1e-3)),
                                "weight_decay": float(training.get("weight_decay", 0.0))}
    settings.update(OPTIMIZER_SETTINGS.get(name, {}))
    if training.get("fused_optimizer", False) and name in FUSED_OPTIMIZERS:
        settings["fused"] = True
    return OPTIMIZERS[name](model.parameters(), **settings)


def build_predictor(config: dict[str, Any], tokenizer: Tokenizer | None,
                    train_rows: Sequence[Mapping],
                    coverage_folder: Path | None = None) -> NERPredictor:
    """A freshly initialised predictor for ``config["model"]``, seeded from
    ``config["seed"]``, with its rare words marked from ``train_rows`` when the
    config uses rare-word dropout. An encoder (``model_type: encoder``) is an
    :class:`~ner_helpers.encoder_predictor.EncoderPredictor` with its own pieces.

    With ``model.pretrained_vectors``, the embedding table starts from that vector
    file (:mod:`ner_helpers.vectors`): the file is read and checked before any model
    is built, its dimension sets ``model.embedding_dim`` (or must equal it), and the
    coverage report is printed and, with ``coverage_folder``, saved there.
    """
    set_seed(int(config.get("seed", 0)))
    if is_encoder(config):
        from ner_helpers.encoder_config import EncoderConfig
        from ner_helpers.encoder_predictor import EncoderPredictor

        return EncoderPredictor.build(EncoderConfig.from_dict(dict(config["model"])))
    model_settings = {**config["model"], "vocab_size": tokenizer.vocab_size}
    vector_file = None
    if model_settings.get("pretrained_vectors"):
        from ner_helpers import vectors  # local: only runs with vectors read it

        vector_file = vectors.read_vectors(
            vectors.vectors_path(str(model_settings["pretrained_vectors"])),
            vectors.wanted_words(tokenizer.token2id),
            kit_config()["data"].get("progress_min_bytes"))
        model_settings["embedding_dim"] = vectors.check_dimension(
            vector_file, model_settings.get("embedding_dim"))
    elif model_settings.get("embedding_dim", 0) is None:
        raise KitError("model config: embedding_dim may be left empty only with "
                       "model.pretrained_vectors (the file sets it)")
    model_config = ModelConfig.from_dict(model_settings)
    predictor = NERPredictor(model_config)
    if vector_file is not None:
        report = vectors.load_pretrained_table(
            predictor.embedding.embedding, tokenizer, vector_file,
            model_config.missing_vectors, vectors.token_counts(train_rows, tokenizer),
            seed=int(config.get("seed", 0)))
        print(report.format())
        if coverage_folder is not None:
            report.save(coverage_folder)
    if model_config.rare_word_dropout > 0:
        predictor.set_rare_words(rare_token_ids(tokenizer, train_rows,
                                                model_config.rare_word_max_count))
    return predictor


def is_encoder(config: Mapping[str, Any]) -> bool:
    """Whether an experiment config trains the encoder tagger."""
    return (config.get("model") or {}).get("model_type") == ENCODER


def build_collator(config: dict[str, Any], predictor: torch.nn.Module,
                   tokenizer: Tokenizer | None) -> Any:
    """The collator of ``config["collator"]`` (the encoder's piece collator for an
    encoder)."""
    if is_encoder(config):
        return predictor.collator()
    settings = config.get("collator", {}) or {}
    return DataCollator(tokenizer, padding=settings.get("padding", "longest"),
                        max_length=settings.get("max_length"))


def apply_number_settings(training: dict[str, Any]) -> None:
    """With ``training.flush_denormals`` (default true), the CPU treats denormal floats
    (below about 1e-38) as zero, in every thread torch computes on.

    Adam's moment estimates of embedding rows that get no gradient shrink by a
    constant factor every step and become denormal after a few hundred steps;
    arithmetic on denormals is many times slower on most CPUs, so without this
    every epoch is slower than the one before (docs/reference-results.md). The
    values flushed are far below anything that changes a weight. Importing this
    module already turned flushing on, so that torch's worker threads start with
    it (:mod:`ner_helpers.numerics`); false turns it off for the calling thread.
    """
    apply_flush_denormals(bool(training.get("flush_denormals", True)))


def build_trainer(config: dict[str, Any], model: torch.nn.Module, collator: DataCollator,
                  train_rows: Sequence[Mapping], val_rows: Sequence[Mapping] | None,
                  show_progress: bool = True,
                  trainer_class: type[Trainer] = Trainer) -> Trainer:
    """A :class:`Trainer` for ``model`` with the optimizer and settings of
    ``config["training"]``, on ``config["device"]``, shuffling from ``config["seed"]``.
    ``trainer_class`` may be a subclass (a sweep's, which reports every epoch)."""
    training = config.get("training", {})
    apply_number_settings(training)
    if is_encoder(config):
        from ner_helpers.encoder_training import encoder_optimizer, total_training_steps

        optimizer = encoder_optimizer(model, training, total_training_steps(
            len(train_rows), int(training.get("batch_size", 32)),
            int(training.get("epochs", 5))))
    else:
        optimizer = build_optimizer(model, training)
    trainer = trainer_class(model, optimizer, collator, train_rows, val_rows,
                            grad_clip_max_norm=training.get("grad_clip_max_norm"),
                            use_class_weights=bool(training.get("use_class_weights", False)),
                            device=config.get("device", "auto"),
                            batch_size=int(training.get("batch_size", 32)),
                            seed=int(config.get("seed", 0)), show_progress=show_progress,
                            average_last_epochs=int(training.get("average_last_epochs", 1)),
                            group_by_length=bool(training.get("group_by_length", False)),
                            group_chunk_batches=int(training.get("group_chunk_batches", 50)))
    if is_encoder(config) and val_rows is not None and model.config.label_pieces != "first":
        # Trained on every piece, but validated (and selected) on each word's first
        # piece: the words every other model is scored on.
        from ner_helpers.piece_collator import PieceCollator

        first = PieceCollator(model.pieces, model.config.window_length, "first")
        trainer.val_loader = DataLoader(val_rows, batch_size=trainer.batch_size, shuffle=False,
                                        collate_fn=first)
    return trainer


def _take(rows: list, limit: int | None) -> list:
    return rows if limit is None else rows[:limit]


def prepare_folder(folder: Path, resume: bool, force: bool) -> None:
    """Refuse to overwrite an earlier run unless asked; a forced restart keeps the
    old folder under a new name instead of deleting it."""
    if not folder.exists() or resume:
        return
    if not force:
        raise KitError(f"{folder} already holds an experiment: pass --resume to continue it, "
                       "--name to start another, or --force to start over "
                       "(the old folder is kept as <name>.old-N)")
    number = 1
    while folder.with_name(f"{folder.name}.old-{number}").exists():
        number += 1
    shutil.move(str(folder), str(folder.with_name(f"{folder.name}.old-{number}")))


def run_experiment(config: dict[str, Any], *, resume: bool = False, force: bool = False,
                   show_progress: bool = True,
                   trainer_class: type[Trainer] = Trainer) -> ExperimentResult:
    """Train the model ``config`` describes and write its experiment folder
    (with ``trainer_class``, a :class:`Trainer` subclass, doing the training)."""
    paths = kit_config()["paths"]
    name = str(config.get("name") or config["model"]["model_type"])
    folder = experiment_folder(name)
    prepare_folder(folder, resume, force)
    if resume and not folder.exists():
        raise KitError(f"{folder}: nothing to resume")

    dataset_dir = resolve_path(config.get("dataset_dir", paths["dataset_dir"]))
    data_limits = config.get("data", {}) or {}
    train_rows = _take(load_split(dataset_dir / "train.json"), data_limits.get("max_train"))
    val_rows = _take(load_split(dataset_dir / "val.json"), data_limits.get("max_val"))
    # The encoder reads its own word pieces; the other models the kit's tokenizer.
    tokenizer = None if is_encoder(config) else \
        Tokenizer.load(resolve_path(config.get("tokenizer_path", paths["tokenizer"])))

    predictor = build_predictor(config, tokenizer, train_rows, coverage_folder=folder)
    training = config.get("training", {})
    collator = build_collator(config, predictor, tokenizer)
    trainer = build_trainer(config, predictor, collator, train_rows, val_rows, show_progress,
                            trainer_class)

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    history = trainer.train(int(training.get("epochs", 5)), output_dir=folder,
                            resume_from=folder if resume else None)

    predictor.cpu().save(folder / "model")
    best = next((h for h in history if h["epoch"] == trainer.best_epoch), None)
    val_scores = best["val"] if best else None
    summary = {"best_epoch": trainer.best_epoch, "val": val_scores}
    (folder / "scores.json").write_text(json.dumps(summary, indent=2) + "\n")

    test_path = dataset_dir / "test.json"
    if test_path.exists():
        test_rows = load_split(test_path)
        save_predictions(predict_rows(predictor, tokenizer, test_rows),
                         folder / "test_predictions.json")
    return ExperimentResult(folder, trainer.best_epoch, val_scores, history)
