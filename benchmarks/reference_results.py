"""Reference results: train the default FFNN and RNN and measure them.

Writes ``benchmarks/results/reference_results.{json,md}`` with, per model and
for random batches and length-grouped ones (``training.group_by_length`` off
and on, trained one after the other in the same run): per-epoch time and
validation F1, the padded-to-real token ratio of the training batches, the
test weighted entity F1, training time and peak memory; and, measured side by
side in one process, the hand-written RNN's training-step time against
``torch.nn.RNN`` of the same sizes.

    python benchmarks/reference_results.py --source ../shared/data/conll2003

Each model trains in its own child process so that its peak memory
(``ru_maxrss``) is its own. Everything is written under ``artefacts/bench/``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "artefacts" / "bench"
RESULTS_DIR = ROOT / "benchmarks" / "results"
MODELS = ("ffnn", "rnn")
# Training settings per label: random and length-grouped batches (``training.group_by_length``),
# and, with --with-earlier-settings, the defaults before the speed settings existed: random
# batches, Adam's for-loop update, denormal floats not flushed in any thread.
SETTINGS = {"random": {"group_by_length": False},
            "grouped": {"group_by_length": True},
            "earlier": {"group_by_length": False, "fused_optimizer": False,
                        "flush_denormals": False}}
SIDE_BY_SIDE = ("random", "grouped")


def batch_padding_ratio(config: dict) -> float:
    """Padded-to-real token ratio of one epoch of ``config``'s training batches."""
    import torch

    from ner_helpers.batching import padded_token_ratio, training_loader
    from ner_helpers.data import load_split

    rows = load_split(BENCH_DIR / "dataset" / "train.json")
    training = config["training"]
    loader = training_loader(rows, int(training["batch_size"]), list,
                             torch.Generator().manual_seed(int(config["seed"])),
                             bool(training["group_by_length"]),
                             int(training.get("group_chunk_batches", 50)))
    return padded_token_ratio([len(row["text"]) for row in rows], list(loader.batch_sampler))


def load_average() -> float:
    """The machine's one-minute load average (other processes compete for the cores)."""
    return round(os.getloadavg()[0], 2)


def time_epoch_phases() -> dict[str, list[tuple[float, float]]]:
    """Make every trainer that ``run_experiment`` builds record the wall and CPU
    seconds of each training and evaluation pass; return the lists they fill."""
    from ner_helpers import experiment

    phases: dict[str, list[tuple[float, float]]] = {"_train_epoch": [], "_eval_epoch": []}
    build_trainer = experiment.build_trainer

    def timed(method, times: list[tuple[float, float]]):
        def run() -> dict:
            wall, cpu = time.perf_counter(), time.process_time()
            result = method()
            times.append((time.perf_counter() - wall, time.process_time() - cpu))
            return result
        return run

    def building(*args, **kwargs):
        trainer = build_trainer(*args, **kwargs)
        for name, times in phases.items():
            setattr(trainer, name, timed(getattr(trainer, name), times))
        return trainer

    experiment.build_trainer = building
    return phases


def train_one(model: str, epochs: int | None, batches: str = "random",
              variant: str = "") -> dict:
    """Child process: train one model with its default config and ``batches``
    (random or length-grouped); report measurements. ``variant`` names a changed
    training method (its experiment folder gets its own name)."""
    from ner_helpers.config import load_config
    from ner_helpers.data import load_hidden_labels
    from ner_helpers.experiment import run_experiment
    from ner_helpers.predictions import load_predictions, score_predictions

    config = load_config(model)
    config["name"] = f"bench-{model}-{batches}" + (f"-{variant}" if variant else "")
    config["dataset_dir"] = str(BENCH_DIR / "dataset")
    config["tokenizer_path"] = str(BENCH_DIR / "tokenizer.json")
    config["training"].update(SETTINGS[batches])
    if not config["training"].get("flush_denormals", True):
        # Importing the kit turned flushing on; off again before torch starts its worker
        # threads, so that none of them flushes (ner_helpers/numerics.py).
        import torch
        torch.set_flush_denormal(False)
    if epochs:
        config["training"]["epochs"] = epochs
    phases = time_epoch_phases()
    load_before = load_average()
    started = time.perf_counter()
    result = run_experiment(config, force=True, show_progress=False)
    seconds = time.perf_counter() - started
    test = score_predictions(load_predictions(result.folder / "test_predictions.json"),
                             load_hidden_labels(BENCH_DIR / "hidden_test_labels.json"))
    epoch_seconds = [h["seconds"] for h in result.history]
    return {
        "model": model,
        "batches": batches,
        "config": config,
        "load_average": [load_before, load_average()],
        "padded_ratio": round(batch_padding_ratio(config), 3),
        "mean_epoch_seconds": round(statistics.mean(epoch_seconds), 1),
        # Per epoch, the training pass alone: wall time, and CPU time of this
        # process (all threads), which other programs on the machine disturb less.
        "mean_train_pass_seconds": round(statistics.mean(w for w, _ in phases["_train_epoch"]), 1),
        "mean_train_pass_cpu_seconds": round(statistics.mean(c for _, c in phases["_train_epoch"]),
                                             1),
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


def rnn_step_profile(steps: int, warmup: int = 3) -> dict:
    """Where a training step of the default RNN on length-grouped batches spends its
    time (collating, forward, backward, clipping, optimizer step), and what the
    alternatives to the largest fixed cost, the Adam step over the embedding table,
    would take. Median milliseconds over ``steps`` batches."""
    import torch
    from torch import nn

    from ner_helpers.batching import training_loader
    from ner_helpers.collator import DataCollator
    from ner_helpers.config import load_config
    from ner_helpers.data import load_split
    from ner_helpers.experiment import build_optimizer, build_predictor
    from ner_helpers.tokenizer import Tokenizer

    config = load_config("rnn")
    training = config["training"]
    tokenizer = Tokenizer.load(BENCH_DIR / "tokenizer.json")
    rows = load_split(BENCH_DIR / "dataset" / "train.json")
    model = build_predictor(config, tokenizer, rows)
    model.train()
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    collate = DataCollator(tokenizer)
    batches = iter(training_loader(rows, int(training["batch_size"]), list,
                                   torch.Generator().manual_seed(0), True,
                                   int(training["group_chunk_batches"])))
    optimizers = {
        "Adam for-loop (torch's CPU default)": torch.optim.Adam(model.parameters(), lr=1e-3,
                                                                foreach=False),
        "Adam foreach=True": torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True),
        "Adam fused=True (training.fused_optimizer)": build_optimizer(model, training),
    }
    embedding = model.embedding.embedding.weight
    others = [p for p in model.parameters() if p is not embedding]
    # A sparse embedding gradient with SparseAdam ("lazy" Adam: only the rows of the
    # batch's words move) for the table, Adam for the rest: timed on the same batch.
    sparse_table = nn.Embedding.from_pretrained(embedding.detach().clone(), freeze=False,
                                                sparse=True, padding_idx=0)
    sparse_optimizer = torch.optim.SparseAdam(sparse_table.parameters(), lr=1e-3)
    other_optimizer = torch.optim.Adam(others, lr=1e-3)
    phases = ["collate", "forward + loss", "backward", "clip", *optimizers,
              "lazy: sparse table backward", "lazy: SparseAdam (table) + Adam (rest)"]
    times: dict[str, list[float]] = {phase: [] for phase in phases}
    real_tokens = []

    @contextlib.contextmanager
    def timed(phase: str, step: int) -> Iterator[None]:
        started = time.perf_counter()
        yield
        if step >= warmup:
            times[phase].append(time.perf_counter() - started)

    for step in range(steps + warmup):
        rows_of_batch = next(batches)
        with timed("collate", step):
            batch = collate(rows_of_batch)
        real_tokens.append(int((batch["labels"] != -100).sum()))
        for optimizer in optimizers.values():
            optimizer.zero_grad()
        with timed("forward + loss", step):
            logits = model(batch["input_ids"])  # [B, L, 9]
            loss = loss_fn(logits.reshape(-1, 9), batch["labels"].reshape(-1))
        with timed("backward", step):
            loss.backward()
        with timed("clip", step):
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for name, optimizer in optimizers.items():
            with timed(name, step):
                optimizer.step()
        sparse_optimizer.zero_grad()
        looked_up = sparse_table(batch["input_ids"])  # [B, L, D]
        with timed("lazy: sparse table backward", step):
            looked_up.backward(torch.ones_like(looked_up))
        with timed("lazy: SparseAdam (table) + Adam (rest)", step):
            sparse_optimizer.step()
            other_optimizer.step()
    # The whole step (forward, backward, clipping, fused Adam) with one thread and with
    # the default thread count, interleaved batch by batch.
    default_threads = torch.get_num_threads()
    thread_counts = sorted({1, default_threads, os.cpu_count() or 1})
    step_times: dict[int, list[float]] = {count: [] for count in thread_counts}
    fused = optimizers["Adam fused=True (training.fused_optimizer)"]
    for step in range(steps + warmup):
        batch = collate(next(batches))
        for count in thread_counts:
            torch.set_num_threads(count)
            started = time.perf_counter()
            fused.zero_grad()
            logits = model(batch["input_ids"])
            loss_fn(logits.reshape(-1, 9), batch["labels"].reshape(-1)).backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            fused.step()
            if step >= warmup:
                step_times[count].append(time.perf_counter() - started)
    torch.set_num_threads(default_threads)
    return {"steps": steps, "batch_size": int(training["batch_size"]),
            "step_ms_by_threads": {str(count): round(statistics.median(t) * 1000, 2)
                                   for count, t in step_times.items()},
            "embedding_shape": list(embedding.shape),
            "mean_real_tokens_per_batch": round(statistics.mean(real_tokens), 1),
            "threads": torch.get_num_threads(),
            "median_ms": {phase: round(statistics.median(t) * 1000, 2)
                          for phase, t in times.items()}}


# A fresh interpreter: turns denormal flushing on before or after torch starts its
# worker threads, then times multiplying 7 million denormal floats (median ms of 20).
DENORMAL_PROBE = """
import statistics, sys, time, torch
if sys.argv[1] == "before": torch.set_flush_denormal(True)
torch.ones(1 << 20) * 2.0  # torch's first parallel operation starts its worker threads
torch.set_flush_denormal(True)
denormals = torch.ones(7_000_000, dtype=torch.int32).view(torch.float32)
times = []
for _ in range(20):
    started = time.perf_counter(); denormals * 0.5; times.append(time.perf_counter() - started)
print(round(statistics.median(times) * 1000, 2))
"""


def denormal_thread_times() -> dict[str, float]:
    """Milliseconds to multiply 7 million denormals with flushing turned on before and
    after torch started its worker threads, and with one thread: a worker copies the
    setting once, when it starts (ner_helpers/numerics.py)."""
    def probe(when: str, threads: str) -> float:
        output = subprocess.run([sys.executable, "-c", DENORMAL_PROBE, when], check=True,
                                capture_output=True, text=True,
                                env={**os.environ, "OMP_NUM_THREADS": threads}).stdout
        return float(output.strip())
    return {"2 threads, flushing on before the workers start": probe("before", "2"),
            "2 threads, flushing on after the workers start": probe("after", "2"),
            "1 thread": probe("after", "1")}


def speedups(runs: list[dict]) -> list[dict]:
    """Per model, random against grouped batches: epoch-time ratio and F1 change; and,
    when measured, the earlier settings against the defaults (``training_speedup``)."""
    by_key = {(r["model"], r["batches"]): r for r in runs}
    rows = []
    for model in MODELS:
        plain, grouped = by_key.get((model, "random")), by_key.get((model, "grouped"))
        if plain and grouped:
            row = {"model": model,
                   "epoch_speedup": round(plain["mean_epoch_seconds"]
                                          / grouped["mean_epoch_seconds"], 2),
                   "train_pass_speedup": round(plain["mean_train_pass_seconds"]
                                               / grouped["mean_train_pass_seconds"], 2),
                   "train_pass_cpu_speedup": round(plain["mean_train_pass_cpu_seconds"]
                                                   / grouped["mean_train_pass_cpu_seconds"], 2),
                   "test_f1_change": round(grouped["test_weighted_f1"]
                                           - plain["test_weighted_f1"], 4)}
            earlier = by_key.get((model, "earlier"))
            if earlier:
                default = grouped if load_default_grouping(model) else plain
                row["default_batches"] = default["batches"]
                row["training_speedup"] = round(earlier["train_seconds"]
                                                / default["train_seconds"], 2)
            rows.append(row)
    return rows


def load_default_grouping(model: str) -> bool:
    from ner_helpers.config import load_config

    return bool(load_config(model)["training"].get("group_by_length", False))


def markdown(results: dict) -> str:
    lines = ["# Reference results", "",
             f"Corpus: `{results['source']}`; machine: {results['machine']}; "
             f"torch {results['torch']}; threads {results['threads']}.",
             f"Load at start (`uptime`): {results['uptime']}", "",
             "| model | batches | epochs | epoch time (s) | training pass: wall, CPU (s) "
             "| padded/real tokens | train time (s) "
             "| best epoch | val F1 | test F1 | peak RSS (MiB) | load avg (start, end) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results["models"]:
        lines.append(f"| {r['model']} | {r['batches']} | {len(r['epochs'])} | "
                     f"{r['mean_epoch_seconds']} | {r['mean_train_pass_seconds']}, "
                     f"{r['mean_train_pass_cpu_seconds']} | "
                     f"{r['padded_ratio']} | {r['train_seconds']} | "
                     f"{r['best_epoch']} | {r['val_weighted_f1']} | {r['test_weighted_f1']} | "
                     f"{r['peak_rss_mib']} | {r['load_average'][0]}, {r['load_average'][1]} |")
    lines += ["", "F1: support-weighted entity F1 (the grading metric). Epoch time: mean over "
              "the epochs, training and validation pass; training pass: the mean training "
              "pass alone, wall time and CPU time of the process (all threads).", ""]
    if results.get("speedups"):
        lines += ["Random over grouped batches (higher: grouping is faster):", "",
                  "| model | epoch wall time | training pass, wall | training pass, CPU "
                  "| test F1, grouped - random |", "|---|---|---|---|---|"]
        lines += [f"| {s['model']} | **{s['epoch_speedup']}x** | {s['train_pass_speedup']}x | "
                  f"{s['train_pass_cpu_speedup']}x | {s['test_f1_change']:+.4f} |"
                  for s in results["speedups"]]
        lines.append("")
    if any("training_speedup" in s for s in results.get("speedups", [])):
        lines += ["Earlier settings (random batches, Adam's for-loop update, no denormal "
                  "flushing) over the config's defaults, whole training run (higher: the "
                  "defaults are faster):", "",
                  "| model | defaults' batches | training time speed-up |", "|---|---|---|"]
        lines += [f"| {s['model']} | {s['default_batches']} | **{s['training_speedup']}x** |"
                  for s in results["speedups"] if "training_speedup" in s]
        lines.append("")
    for r in results["models"]:
        lines += [f"## {r['model']} ({r['batches']}) per epoch", "",
                  "| epoch | seconds | train loss | val F1 |", "|---|---|---|---|"]
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


def prepare_bench_corpus(source: str) -> None:
    """Build the bench's dataset from ``source`` and train its tokenizer with kit.yaml's
    settings, under ``artefacts/bench/`` (also used by benchmarks/taggers.py)."""
    from ner_helpers.config import kit_config
    from ner_helpers.data import build_dataset, load_split
    from ner_helpers.tokenizer import Tokenizer

    build_dataset(source, BENCH_DIR / "dataset", BENCH_DIR / "hidden_test_labels.json")
    settings = kit_config()["tokenizer"]
    tokenizer = Tokenizer(lowercase=settings["lowercase"]).train(
        load_split(BENCH_DIR / "dataset" / "train.json"), min_freq=settings["min_freq"],
        remove_frac=settings["remove_frac"])
    tokenizer.save(BENCH_DIR / "tokenizer.json")


def run_header(source: str) -> dict:
    """What a results file says about the run: corpus, machine, torch, threads, load."""
    import torch

    return {"source": source, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "torch": torch.__version__, "threads": torch.get_num_threads(),
            "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
            "models": []}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="../shared/data/conll2003",
                        help="corpus to build (default: %(default)s)")
    parser.add_argument("--epochs", type=int, help="override the configs' epochs")
    parser.add_argument("--steps", type=int, default=40, help="RNN steps to time per model")
    parser.add_argument("--only", choices=MODELS, help="train only this model")
    parser.add_argument("--batches", choices=sorted(SETTINGS), action="append",
                        help="train with these settings only (default: random and grouped, "
                             "side by side)")
    parser.add_argument("--with-earlier-settings", action="store_true",
                        help="also train each model with the defaults from before the speed "
                             "settings (random batches, for-loop Adam, no denormal flushing)")
    parser.add_argument("--profile", action="store_true",
                        help="only profile RNN training steps on grouped batches "
                             "(needs an earlier run's dataset); write rnn_step_profile.json")
    parser.add_argument("--worker", choices=MODELS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    if args.worker:
        print(json.dumps(train_one(args.worker, args.epochs, (args.batches or ["random"])[0])))
        return 0

    if args.profile:
        profile = {"uptime": subprocess.run(["uptime"], capture_output=True,
                                            text=True).stdout.strip(),
                   **rnn_step_profile(args.steps),
                   "denormal_multiply_ms": denormal_thread_times()}
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / "rnn_step_profile.json").write_text(json.dumps(profile, indent=2) + "\n")
        print(json.dumps(profile, indent=2))
        return 0

    prepare_bench_corpus(args.source)
    results = run_header(args.source)
    print("timing the RNN training step against torch.nn.RNN...", flush=True)
    results["rnn_step"] = rnn_step_times(args.steps)
    print(json.dumps(results["rnn_step"]), flush=True)
    for model in ([args.only] if args.only else MODELS):
        for batches in (args.batches or list(SIDE_BY_SIDE)) + (
                ["earlier"] if args.with_earlier_settings else []):
            print(f"training {model} with {batches} batches...", flush=True)
            command = [sys.executable, __file__, "--worker", model, "--batches", batches]
            if args.epochs:
                command += ["--epochs", str(args.epochs)]
            output = subprocess.run(command, check=True, capture_output=True, text=True,
                                    cwd=ROOT).stdout
            results["models"].append(json.loads(output.strip().splitlines()[-1]))
            row = results["models"][-1]
            print(f"  {model}, {batches}: epoch {row['mean_epoch_seconds']} s, "
                  f"padded/real {row['padded_ratio']}, test F1 {row['test_weighted_f1']}, "
                  f"peak {row['peak_rss_mib']} MiB, load {row['load_average']}", flush=True)
            results["speedups"] = speedups(results["models"])
            write_results(results)  # after every run, so a stopped bench keeps what it measured
    print(markdown(results))
    return 0


def write_results(results: dict) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "reference_results.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS_DIR / "reference_results.md").write_text(markdown(results))


if __name__ == "__main__":
    sys.exit(main())
