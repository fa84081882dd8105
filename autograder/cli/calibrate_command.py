"""``ner-instructor calibrate``: propose performance baselines for the corpus in use."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from autograder.grader.calibration import (
    Proposal,
    ReferenceRun,
    calibration_seeds,
    experiment_training,
    proposal_table,
    proposal_verdicts,
    propose_from_runs,
    shipped_training,
    undertraining_warnings,
    write_baselines,
    write_proposal,
)
from autograder.grader.engine import default_hidden_labels
from autograder.grader.settings import default_settings_path, load_settings
from ner_helpers.config import kit_config, load_config, resolve_path
from ner_helpers.data import build_dataset, load_hidden_labels, load_split
from ner_helpers.errors import KitError
from ner_helpers.experiment import run_experiment
from ner_helpers.predictions import load_predictions, score_predictions
from ner_helpers.submission import experiment_dir
from ner_helpers.tokenizer import Tokenizer

NAME = "calibrate"
HELP = ("Train the reference FFNN and RNN with the default configs (or read existing "
        "experiments), score them on the hidden test labels, and propose baselines.")

EPILOG = """\
Without --from-experiments, a tokenizer is trained with kit.yaml's tokenizer
settings on the current training split (calibration.tokenizer_file), then the
ffnn and rnn configs are trained as they ship, once per seed (--seeds N, default
calibration.seeds: the config's seed, seed + 1, ...), as experiments named
calibrate-ffnn-seed13, calibrate-ffnn-seed14, ... --source first rebuilds the
dataset (and the hidden labels) from a corpus, exactly as `ner-kit data --source`
does.

Per model the table gives the mean, spread (highest - lowest), standard
deviation and lowest test F1 over the seeds. A proposed baseline is
calibration.fraction of the LOWEST seed's F1, rounded down to a multiple of
calibration.step (grading.yaml), and the command says how many reference runs
would lose points with it and with the baseline now (goal: none). The proposal
is printed and written to calibration.proposal_file; grading.yaml changes only
with --write, which first copies it to grading.yaml.bak-N.

Training the defaults on a full corpus takes a while on a CPU; --epochs and
--max-train make a quick trial run. A reference that trained fewer epochs or
on fewer sentences than the shipped config (also one read with
--from-experiments) gets a warning: its proposed baseline is then too low.

examples:
  ner-instructor calibrate
  ner-instructor calibrate --source ../shared/data/conll2003
  ner-instructor calibrate --seeds 3
  ner-instructor calibrate --from-experiments --ffnn ffnn --rnn rnn
  ner-instructor calibrate --from-experiments --ffnn ffnn-a,ffnn-b --rnn rnn-a,rnn-b
  ner-instructor calibrate --from-experiments --write
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("--source", metavar="SOURCE",
                        help="rebuild the dataset from this corpus first (as ner-kit data)")
    parser.add_argument("--from-experiments", action="store_true",
                        help="score existing experiments instead of training")
    for model in ("ffnn", "rnn"):
        parser.add_argument(f"--{model}", metavar="EXPERIMENT",
                            help=f"with --from-experiments: the {model} experiment(s), names or "
                                 f"folders separated by commas (default: {model})")
    parser.add_argument("--seeds", type=int, metavar="N",
                        help="reference runs per model, each with its own seed (default: "
                             "calibration.seeds of grading.yaml)")
    parser.add_argument("--epochs", type=int, help="override the configs' epochs (trial runs)")
    parser.add_argument("--max-train", type=int, metavar="N",
                        help="train on the first N sentences only (trial runs)")
    parser.add_argument("--hidden-labels", metavar="PATH",
                        help="hidden test labels (default: kit.yaml paths.hidden_labels)")
    parser.add_argument("--proposal", metavar="PATH",
                        help="where to write the proposal (default: calibration.proposal_file)")
    parser.add_argument("--write", action="store_true",
                        help="also put the proposed baselines into grading.yaml (backup first)")
    parser.add_argument("--grading-config", metavar="PATH",
                        help="a grading.yaml to read (and, with --write, update)")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def _train_tokenizer(path: Path) -> Path:
    settings = kit_config()["tokenizer"]
    rows = load_split(resolve_path(kit_config()["paths"]["dataset_dir"]) / "train.json")
    tokenizer = Tokenizer(lowercase=bool(settings["lowercase"]))
    tokenizer.train(rows, min_freq=int(settings["min_freq"]),
                    remove_frac=float(settings["remove_frac"]))
    tokenizer.save(path)
    print(f"reference tokenizer: {tokenizer.vocab_size:,} ids -> {path}")
    return path


def _train(model: str, args: argparse.Namespace, prefix: str, tokenizer: Path,
           seed: int) -> Path:
    config = load_config(model)
    config["name"] = f"{prefix}{model}-seed{seed}"
    config["seed"] = seed
    config["tokenizer_path"] = str(tokenizer)
    if args.epochs is not None:
        config.setdefault("training", {})["epochs"] = args.epochs
    if args.max_train is not None:
        config.setdefault("data", {})["max_train"] = args.max_train
    print(f"training the reference {model} ({config['name']}, seed {seed}) ...")
    return run_experiment(config, force=True, show_progress=not args.no_progress).folder


def _test_f1(folder: Path, labels: object) -> float:
    predictions = folder / "test_predictions.json"
    if not predictions.is_file():
        raise KitError(f"{predictions}: not found; train the experiment (or run "
                       f"`ner-kit predict --experiment {folder.name}`) first")
    return float(score_predictions(load_predictions(predictions), labels)["weighted_f1"])


def _experiment_seed(folder: Path) -> int | None:
    """The seed in an experiment's ``config.yaml`` (None when it names none)."""
    path = folder / "config.yaml"
    if not path.is_file():
        return None
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    seed = loaded.get("seed") if isinstance(loaded, dict) else None
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def run(args: argparse.Namespace) -> int:
    settings_path = Path(args.grading_config) if args.grading_config else default_settings_path()
    settings = load_settings(settings_path)
    if args.source:
        if args.from_experiments:
            raise KitError("--source rebuilds the dataset, which the experiments of "
                           "--from-experiments were not tested on; use one or the other")
        print(build_dataset(args.source, progress=not args.no_progress).format())
    labels = load_hidden_labels(resolve_path(args.hidden_labels) if args.hidden_labels
                                else default_hidden_labels())
    tokenizer = None
    if not args.from_experiments:
        tokenizer = _train_tokenizer(resolve_path(settings.calibration.tokenizer_file))
    train_size = len(load_split(resolve_path(kit_config()["paths"]["dataset_dir"])
                                / "train.json"))
    count = settings.calibration.seeds if args.seeds is None else args.seeds
    if count < 1:
        raise KitError(f"--seeds must be at least 1, got {count}")
    proposals = []
    for model, entry in settings.models.items():
        if entry.section is not None:
            continue  # an optional section's model (the encoder): its baseline is set by hand
        if args.from_experiments:
            names = (getattr(args, model, None) or model).split(",")
            folders = [experiment_dir(name.strip()) for name in names if name.strip()]
        else:
            first = int(load_config(model).get("seed", 0))
            folders = [_train(model, args, settings.calibration.experiment_prefix, tokenizer,
                              seed) for seed in calibration_seeds(first, count)]
        runs, warnings = [], []
        for folder in folders:
            runs.append(ReferenceRun(str(folder), _experiment_seed(folder),
                                     _test_f1(folder, labels)))
            warnings += undertraining_warnings(
                model, folder.name, experiment_training(folder, train_size),
                shipped_training(load_config(model), train_size), f"the shipped {model}.yaml")
        proposals.append(Proposal(model, tuple(runs), entry.baseline, propose_from_runs(
            [run.f1 for run in runs], settings.calibration.fraction,
            settings.calibration.step), tuple(warnings)))
    print(proposal_table(proposals))
    print(f"(proposed = {settings.calibration.fraction:g} x the lowest run's F1, rounded down "
          f"to a multiple of {settings.calibration.step:g}; runs below: reference runs that "
          "would lose points)")
    for line in proposal_verdicts(proposals):
        print(line)
    for proposal_item in proposals:
        for warning in proposal_item.warnings:
            print(f"warning: {warning}")
    dataset = str(resolve_path(kit_config()["paths"]["dataset_dir"]))
    proposal = write_proposal(proposals, settings, resolve_path(
        args.proposal or settings.calibration.proposal_file), dataset)
    print(f"proposal written: {proposal}")
    if args.write:
        backup = write_baselines(settings_path, {p.model: p.proposed_baseline
                                                 for p in proposals})
        print(f"baselines written to {settings_path} (previous version: {backup})")
    else:
        print("grading.yaml unchanged (pass --write to apply the proposal)")
    return 0
