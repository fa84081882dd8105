"""Reference results: train the default FFNN and RNN and measure them.

Writes ``benchmarks/results/reference_results.{json,md}`` with, per model:
per-epoch time and validation F1, the test weighted entity F1, training time
and peak memory; and, measured side by side in one process, the hand-written
RNN's training-step time against ``torch.nn.RNN`` of the same sizes.

    python benchmarks/reference_results.py --source ../shared/data/conll2003

Each model trains in its own child process so that its peak memory
(``ru_maxrss``) is its own. Everything is written under ``artefacts/bench/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "artefacts" / "bench"
RESULTS_DIR = ROOT / "benchmarks" / "results"
MODELS = ("ffnn", "rnn")


def train_one(model: str, epochs: int | None) -> dict:
    """Child process: train one model with its default config; report measurements."""
    from ner_helpers.config import load_config
    from ner_helpers.data import load_hidden_labels
    from ner_helpers.experiment import run_experiment
    from ner_helpers.predictions import load_predictions, score_predictions

    config = load_config(model)
    config["name"] = f"bench-{model}"
    config["dataset_dir"] = str(BENCH_DIR / "dataset")
    config["tokenizer_path"] = str(BENCH_DIR / "tokenizer.json")
    if epochs:
        config["training"]["epochs"] = epochs
    started = time.perf_counter()
    result = run_experiment(config, force=True, show_progress=False)
    seconds = time.perf_counter() - started
    test = score_predictions(load_predictions(result.folder / "test_predictions.json"),
                             load_hidden_labels(BENCH_DIR / "hidden_test_labels.json"))
    return {
        "model": model,
        "config": config,
        "train_seconds": round(seconds, 1),
        "epochs": [{"epoch": h["epoch"], "seconds": h["seconds"],
                    "train_loss": round(h["train"]["loss"], 4),
                    "val_weighted_f1": round(h["val"]["weighted_f1"], 4)} for h in result.history],
        "best_epoch": result.best_epoch,
        "val_weighted_f1": round(result.val_scores["weighted_f1"], 4),
        "test_weighted_f1": round(test["weighted_f1"], 4),
        "test_micro_f1": round(test["micro_f1"], 4),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def rnn_step_times(steps: int, warmup: int = 3) -> dict:
    """Training-step time of the hand-written RNN against torch.nn.RNN, interleaved."""
    import torch
    from torch import nn

    from ner_helpers.collator import DataCollator
    from ner_helpers.config import load_config
    from ner_helpers.data import load_split
    from ner_helpers.rnn import RNN
    from ner_helpers.tokenizer import Tokenizer

    torch.manual_seed(0)
    sizes = load_config("rnn")["model"]
    tokenizer = Tokenizer.load(BENCH_DIR / "tokenizer.json")
    rows = load_split(BENCH_DIR / "dataset" / "train.json")
    batch_size = load_config("rnn")["training"]["batch_size"]
    nonlinearity = sizes.get("nonlinearity", "tanh")
    if nonlinearity not in ("tanh", "relu"):  # the only two torch.nn.RNN has
        raise SystemExit(f"torch.nn.RNN has no {nonlinearity!r} nonlinearity to compare with")
    collate = DataCollator(tokenizer)
    generator = torch.Generator().manual_seed(0)
    order = torch.randperm(len(rows), generator=generator).tolist()
    batches = [collate([rows[i] for i in order[k * batch_size:(k + 1) * batch_size]])
               for k in range(steps + warmup)]

    class TorchTagger(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.RNN(sizes["embedding_dim"], sizes["hidden_dim"], sizes["num_layers"],
                              nonlinearity=nonlinearity, batch_first=True)
            self.V = nn.Linear(sizes["hidden_dim"], 9)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.V(self.rnn(x)[0])

    def tagger(core: nn.Module) -> nn.Module:
        return nn.Sequential(nn.Embedding(tokenizer.vocab_size, sizes["embedding_dim"],
                                          padding_idx=0), core)

    models = {
        "hand-written RNN": tagger(RNN(sizes["embedding_dim"], sizes["hidden_dim"], 9,
                                       sizes["num_layers"], nonlinearity=nonlinearity)),
        "torch.nn.RNN": tagger(TorchTagger()),
    }
    optimizers = {name: torch.optim.Adam(m.parameters(), lr=1e-3) for name, m in models.items()}
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    times: dict[str, list[float]] = {name: [] for name in models}
    for step, batch in enumerate(batches):
        for name, model in models.items():  # interleaved: both see the same machine state
            started = time.perf_counter()
            optimizers[name].zero_grad()
            logits = model(batch["input_ids"])
            loss_fn(logits.reshape(-1, 9), batch["labels"].reshape(-1)).backward()
            optimizers[name].step()
            if step >= warmup:
                times[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    return {
        "steps": steps,
        "batch_size": batch_size,
        "sizes": sizes,
        "median_ms": {k: round(v, 2) for k, v in medians.items()},
        "ratio": round(medians["hand-written RNN"] / medians["torch.nn.RNN"], 3),
    }


def markdown(results: dict) -> str:
    lines = ["# Reference results", "",
             f"Corpus: `{results['source']}`; machine: {results['machine']}; "
             f"torch {results['torch']}; threads {results['threads']}.", "",
             "| model | epochs | train time (s) | best epoch | val F1 | test F1 | peak RSS (MiB) |",
             "|---|---|---|---|---|---|---|"]
    for r in results["models"]:
        lines.append(f"| {r['model']} | {len(r['epochs'])} | {r['train_seconds']} | "
                     f"{r['best_epoch']} | {r['val_weighted_f1']} | {r['test_weighted_f1']} | "
                     f"{r['peak_rss_mib']} |")
    lines += ["", "F1: support-weighted entity F1 (the grading metric).", ""]
    for r in results["models"]:
        lines += [f"## {r['model']} per epoch", "", "| epoch | seconds | train loss | val F1 |",
                  "|---|---|---|---|"]
        lines += [f"| {e['epoch']} | {e['seconds']} | {e['train_loss']} | {e['val_weighted_f1']} |"
                  for e in r["epochs"]]
        lines.append("")
    step = results["rnn_step"]
    lines += ["## RNN training step, side by side", "",
              f"Median over {step['steps']} interleaved steps (batch {step['batch_size']}, "
              f"sizes {step['sizes']['embedding_dim']}/{step['sizes']['hidden_dim']}, "
              f"{step['sizes']['num_layers']} layers, {step['sizes'].get('nonlinearity', 'tanh')}, "
              "forward + backward + Adam step):", ""]
    lines += [f"- {name}: {ms} ms" for name, ms in step["median_ms"].items()]
    lines += [f"- ratio hand-written / torch.nn.RNN: **{step['ratio']}**", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="../shared/data/conll2003",
                        help="corpus to build (default: %(default)s)")
    parser.add_argument("--epochs", type=int, help="override the configs' epochs")
    parser.add_argument("--steps", type=int, default=40, help="RNN steps to time per model")
    parser.add_argument("--only", choices=MODELS, help="train only this model")
    parser.add_argument("--worker", choices=MODELS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    if args.worker:
        print(json.dumps(train_one(args.worker, args.epochs)))
        return 0

    import torch

    from ner_helpers.config import kit_config
    from ner_helpers.data import build_dataset, load_split
    from ner_helpers.tokenizer import Tokenizer

    build_dataset(args.source, BENCH_DIR / "dataset", BENCH_DIR / "hidden_test_labels.json")
    settings = kit_config()["tokenizer"]
    tokenizer = Tokenizer(lowercase=settings["lowercase"]).train(
        load_split(BENCH_DIR / "dataset" / "train.json"), min_freq=settings["min_freq"],
        remove_frac=settings["remove_frac"])
    tokenizer.save(BENCH_DIR / "tokenizer.json")

    results = {"source": args.source, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "torch": torch.__version__, "threads": torch.get_num_threads(), "models": []}
    print("timing the RNN training step against torch.nn.RNN...", flush=True)
    results["rnn_step"] = rnn_step_times(args.steps)
    print(json.dumps(results["rnn_step"]), flush=True)
    for model in ([args.only] if args.only else MODELS):
        print(f"training {model}...", flush=True)
        command = [sys.executable, __file__, "--worker", model]
        if args.epochs:
            command += ["--epochs", str(args.epochs)]
        output = subprocess.run(command, check=True, capture_output=True, text=True,
                                cwd=ROOT).stdout
        results["models"].append(json.loads(output.strip().splitlines()[-1]))
        row = results["models"][-1]
        print(f"  {model}: test F1 {row['test_weighted_f1']}, {row['train_seconds']} s, "
              f"peak {row['peak_rss_mib']} MiB", flush=True)

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "reference_results.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS_DIR / "reference_results.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
