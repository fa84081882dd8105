"""What lazy updates of the embedding table would buy: time and scores of the RNN.

A measurement for a possible change to the assignment, not a kit setting. The
default RNN trains with random and with length-grouped batches, like ``make
bench``, but with a sparse gradient for the embedding table, ``SparseAdam`` for
the table (a row moves only in the steps whose batch holds its word) and fused
Adam for the other weights, and gradient clipping that accepts a sparse
gradient (``nn.utils.clip_grad_norm_`` in torch 2.13 does not). Writes
``benchmarks/results/lazy_table_updates.{json,md}``.

    python benchmarks/lazy_table_updates.py

Needs the dataset and tokenizer that ``make bench`` builds under ``artefacts/bench/``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import reference_results
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "benchmarks" / "results"
VARIANT = "lazy"


class TableAndRestOptimizer:
    """SparseAdam for the embedding table, fused Adam for every other weight, behind the
    few methods the trainer calls (``zero_grad``, ``step``, ``state_dict``,
    ``load_state_dict``)."""

    def __init__(self, model: nn.Module, lr: float) -> None:
        table = model.embedding.embedding.weight
        rest = [p for p in model.parameters() if p is not table]
        self.optimizers = [torch.optim.SparseAdam([table], lr=lr),
                           torch.optim.Adam(rest, lr=lr, fused=True)]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        for optimizer in self.optimizers:
            optimizer.step()

    def state_dict(self) -> dict:
        return {"optimizers": [optimizer.state_dict() for optimizer in self.optimizers]}

    def load_state_dict(self, state: dict) -> None:
        for optimizer, saved in zip(self.optimizers, state["optimizers"]):
            optimizer.load_state_dict(saved)


@torch.no_grad()
def clip_grad_norm_(parameters: Iterable[nn.Parameter], max_norm: float,
                    norm_type: float = 2.0, **_: object) -> torch.Tensor:
    """``nn.utils.clip_grad_norm_`` (2-norm) that also takes sparse gradients."""
    grads = [p.grad for p in parameters if p.grad is not None]
    norms = [g.coalesce().values().norm() if g.is_sparse else g.norm() for g in grads]
    total = torch.stack(norms).norm()
    scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
    for grad in grads:
        grad.mul_(scale)
    return total


def use_lazy_table_updates() -> None:
    """Make this process's training runs use a sparse table gradient and lazy updates."""
    from ner_helpers import experiment

    def build_optimizer(model: nn.Module, training: dict) -> TableAndRestOptimizer:
        model.embedding.embedding.sparse = True
        return TableAndRestOptimizer(model, float(training.get("lr", 1e-3)))

    experiment.build_optimizer = build_optimizer
    nn.utils.clip_grad_norm_ = clip_grad_norm_


def markdown(runs: list[dict], dense: dict) -> str:
    lines = ["# Lazy updates of the embedding table (RNN)", "",
             "Sparse table gradient, SparseAdam for the table, fused Adam for the rest, "
             "clipping that takes sparse gradients. Dense: the latest `make bench` "
             "(`reference_results.json`), same machine, another run.", "",
             "| table updates | batches | epoch time (s) | training pass (s) | best epoch "
             "| val F1 | test F1 | peak RSS (MiB) | load avg (start, end) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for label, rows in (("dense", [dense[b] for b in ("random", "grouped") if b in dense]),
                        ("lazy", runs)):
        lines += [f"| {label} | {r['batches']} | {r['mean_epoch_seconds']} | "
                  f"{r['mean_train_pass_seconds']} | {r['best_epoch']} | "
                  f"{r['val_weighted_f1']} | {r['test_weighted_f1']} | {r['peak_rss_mib']} | "
                  f"{r['load_average'][0]}, {r['load_average'][1]} |" for r in rows]
    lazy = {r["batches"]: r for r in runs}
    if {"random", "grouped"} <= lazy.keys() and "random" in dense:
        fastest = lazy["grouped"]["mean_epoch_seconds"]
        lines += ["", "Epoch time, random dense over grouped lazy: "
                  f"**{dense['random']['mean_epoch_seconds'] / fastest:.2f}x**; "
                  f"random lazy over grouped lazy: "
                  f"**{lazy['random']['mean_epoch_seconds'] / fastest:.2f}x**."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, help="override the RNN config's epochs")
    parser.add_argument("--worker", choices=("random", "grouped"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.worker:
        use_lazy_table_updates()
        print(json.dumps(reference_results.train_one("rnn", args.epochs, args.worker, VARIANT)))
        return 0
    if not (reference_results.BENCH_DIR / "tokenizer.json").is_file():
        sys.exit("error: no artefacts/bench/tokenizer.json: run `make bench` first")
    runs = []
    for batches in ("random", "grouped"):
        print(f"training the RNN with lazy table updates, {batches} batches...", flush=True)
        command = [sys.executable, __file__, "--worker", batches]
        if args.epochs:
            command += ["--epochs", str(args.epochs)]
        output = subprocess.run(command, check=True, capture_output=True, text=True,
                                cwd=ROOT).stdout
        runs.append(json.loads(output.strip().splitlines()[-1]))
        print(f"  epoch {runs[-1]['mean_epoch_seconds']} s, test F1 "
              f"{runs[-1]['test_weighted_f1']}", flush=True)
    bench = json.loads((RESULTS_DIR / "reference_results.json").read_text())
    dense = {r["batches"]: r for r in bench["models"] if r["model"] == "rnn"}
    results = {"runs": runs, "dense": dense}
    (RESULTS_DIR / "lazy_table_updates.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS_DIR / "lazy_table_updates.md").write_text(markdown(runs, dense))
    print(markdown(runs, dense))
    return 0


if __name__ == "__main__":
    sys.exit(main())
