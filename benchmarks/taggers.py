"""Four taggers side by side: FFNN, context-window tagger, CNN tagger and RNN.

Trains each model with its bundled config (``ffnn``, ``window``, ``cnn``, ``rnn``;
random embeddings) one after the other in the same run, each in its own child
process, and writes ``benchmarks/results/taggers.{json,md}``: test entity F1 (the
grading metric), mean epoch time, training time and peak memory. With
``--vectors PATH`` every model is trained a second time with its embedding table
started from that word-vector file (``model.pretrained_vectors``), fine-tuned, and
once more frozen for the CNN.

    python benchmarks/taggers.py --source ../shared/data/conll2003

The dataset and tokenizer are built under ``artefacts/bench/`` as
``benchmarks/reference_results.py`` builds them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "artefacts" / "bench"
RESULTS_DIR = ROOT / "benchmarks" / "results"
MODELS = ("ffnn", "cnn", "window", "rnn")  # the CNN against the FFNN first
#: The CNN must beat the FFNN's test F1 by this much ...
CNN_MIN_F1_GAIN = 0.08
#: ... at no more than this many times its epoch time.
CNN_MAX_EPOCH_RATIO = 2.0


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def train_one(model: str, variant: str, vectors: str | None, epochs: int | None) -> dict:
    """Child process: train ``model`` with its bundled config; ``variant`` is
    ``random``, ``vectors`` (fine-tuned) or ``frozen``."""
    from ner_helpers.config import load_config
    from ner_helpers.data import load_hidden_labels
    from ner_helpers.experiment import run_experiment
    from ner_helpers.predictions import load_predictions, score_predictions

    config = load_config(model)
    config["name"] = f"bench-taggers-{model}-{variant}"
    config["dataset_dir"] = str(BENCH_DIR / "dataset")
    config["tokenizer_path"] = str(BENCH_DIR / "tokenizer.json")
    if variant != "random":
        config["model"]["pretrained_vectors"] = vectors
        config["model"]["embedding_dim"] = None  # the file sets it
        config["model"]["freeze_embeddings"] = variant == "frozen"
    if epochs:
        config["training"]["epochs"] = epochs
    load_before = load_average()
    started = time.perf_counter()
    result = run_experiment(config, force=True, show_progress=False)
    seconds = time.perf_counter() - started
    test = score_predictions(load_predictions(result.folder / "test_predictions.json"),
                             load_hidden_labels(BENCH_DIR / "hidden_test_labels.json"))
    coverage_file = result.folder / "vectors_coverage.json"
    return {
        "model": model,
        "variant": variant,
        "model_config": config["model"],
        "batch_size": config["training"]["batch_size"],
        "group_by_length": config["training"].get("group_by_length", False),
        "load_average": [load_before, load_average()],
        "mean_epoch_seconds": round(statistics.mean(h["seconds"] for h in result.history), 1),
        "train_seconds": round(seconds, 1),
        "epochs": len(result.history),
        "best_epoch": result.best_epoch,
        "val_weighted_f1": round(result.val_scores["weighted_f1"], 4),
        "test_weighted_f1": round(test["weighted_f1"], 4),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "coverage": (json.loads(coverage_file.read_text()) if coverage_file.exists() else None),
    }


def cnn_against_ffnn(runs: list[dict]) -> dict | None:
    """The CNN's test F1 gain and epoch-time ratio over the FFNN (random embeddings)."""
    by_key = {(r["model"], r["variant"]): r for r in runs}
    ffnn, cnn = by_key.get(("ffnn", "random")), by_key.get(("cnn", "random"))
    if not (ffnn and cnn):
        return None
    gain = round(cnn["test_weighted_f1"] - ffnn["test_weighted_f1"], 4)
    ratio = round(cnn["mean_epoch_seconds"] / ffnn["mean_epoch_seconds"], 2)
    return {"test_f1_gain": gain, "epoch_time_ratio": ratio,
            "holds": gain >= CNN_MIN_F1_GAIN and ratio <= CNN_MAX_EPOCH_RATIO}


def describe(config: dict) -> str:
    model = config["model_type"]
    sizes = f"{config.get('embedding_dim')}/{config['hidden_dim']}, {config['num_layers']} layers"
    if model == "window":
        return f"{sizes}, window {config['window']} ({config['window_combine']})"
    if model == "cnn":
        return f"{sizes}, kernel {config['kernel_size']}"
    return sizes


def markdown(results: dict) -> str:
    lines = ["# Four taggers side by side", "",
             f"Corpus: `{results['source']}`; machine: {results['machine']}; "
             f"torch {results['torch']}; threads {results['threads']}; one run, "
             "one model after the other.",
             f"Load at start (`uptime`): {results['uptime']}", "",
             "| model | embeddings | sizes | batches | epochs | epoch time (s) | train time (s) "
             "| best epoch | val F1 | test F1 | peak RSS (MiB) | load avg (start, end) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results["models"]:
        batches = "grouped" if r["group_by_length"] else "random"
        lines.append(f"| {r['model']} | {r['variant']} | {describe(r['model_config'])} | "
                     f"{batches} | {r['epochs']} | {r['mean_epoch_seconds']} | "
                     f"{r['train_seconds']} | {r['best_epoch']} | {r['val_weighted_f1']} | "
                     f"**{r['test_weighted_f1']}** | {r['peak_rss_mib']} | "
                     f"{r['load_average'][0]}, {r['load_average'][1]} |")
    lines += ["", "F1: support-weighted entity F1 (the grading metric). Epoch time: mean over "
              "the epochs, training and validation pass.", ""]
    check = results.get("cnn_against_ffnn")
    if check:
        lines += [f"CNN against FFNN: test F1 {check['test_f1_gain']:+.4f} (at least "
                  f"+{CNN_MIN_F1_GAIN} wanted), epoch time {check['epoch_time_ratio']}x (at most "
                  f"{CNN_MAX_EPOCH_RATIO}x wanted): **{'holds' if check['holds'] else 'fails'}**.",
                  ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="../shared/data/conll2003",
                        help="corpus to build (default: %(default)s)")
    parser.add_argument("--epochs", type=int, help="override the configs' epochs")
    parser.add_argument("--only", choices=MODELS, action="append",
                        help="train only these models (repeatable)")
    parser.add_argument("--vectors", help="a word-vector file: also train with it "
                        "(fine-tuned; the CNN frozen too)")
    parser.add_argument("--worker", choices=MODELS, help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="random", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    if args.worker:
        print(json.dumps(train_one(args.worker, args.variant, args.vectors, args.epochs)))
        return 0

    from reference_results import prepare_bench_corpus, run_header

    prepare_bench_corpus(args.source)
    results = run_header(args.source)
    plan = [(model, "random") for model in (args.only or MODELS)]
    if args.vectors:
        plan += [(model, "vectors") for model in (args.only or MODELS)]
        if "cnn" in (args.only or MODELS):
            plan.append(("cnn", "frozen"))
    for model, variant in plan:
        print(f"training {model} ({variant} embeddings)...", flush=True)
        command = [sys.executable, __file__, "--worker", model, "--variant", variant]
        if args.epochs:
            command += ["--epochs", str(args.epochs)]
        if args.vectors:
            command += ["--vectors", str(Path(args.vectors).resolve())]
        output = subprocess.run(command, check=True, capture_output=True, text=True,
                                cwd=ROOT).stdout
        row = json.loads(output.strip().splitlines()[-1])
        results["models"].append(row)
        print(f"  {model}, {variant}: epoch {row['mean_epoch_seconds']} s, test F1 "
              f"{row['test_weighted_f1']}, load {row['load_average']}", flush=True)
        results["cnn_against_ffnn"] = cnn_against_ffnn(results["models"])
        write_results(results)  # after every run, so a stopped bench keeps what it measured
    print(markdown(results))
    return 0


def write_results(results: dict) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "taggers.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS_DIR / "taggers.md").write_text(markdown(results))


if __name__ == "__main__":
    sys.exit(main())
