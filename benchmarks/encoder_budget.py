"""Grading budget of a base-size encoder model (the encoder section).

The grader's child tags the test split with a submitted model on one thread, under
``sandbox.memory_mb`` of address space (RLIMIT_AS) and ``performance_timeout_s``;
the parent refuses an encoder whose weights exceed ``inputs.encoder_weights_mb``
and the unpacker any file above ``unpack.max_file_mb``. This script measures what
a base-size encoder (the shape of ``bert-base-cased``: 12 layers, hidden size 768,
a vocabulary of 28,996 pieces, plus the kit's BiGRU head) needs: it builds one with
random weights (the weights' values change neither the time nor the memory), saves
it as a submission holds it, then in a fresh process on one thread loads it as the
child does and tags the test split (or its first ``--sentences`` sentences), and
reports the weights file's size, the load and tagging times (and the tagging time
scaled to the whole split by its number of pieces), and the process's peak address
space (``VmPeak``, what RLIMIT_AS limits) and peak resident memory (``VmHWM``).
With ``--grade`` it then grades, with ``ner-instructor grade``, a final submission
that holds this encoder beside the FFNN and RNN of ``benchmarks/grading_budget.py``,
the encoder section on and the limits raised as ``GRADING_LIMITS`` says, and reports
the grading's wall time and memory (the child's peak address space included).
Results go to ``benchmarks/results/encoder_budget.{json,md}``.

    .venv/bin/python benchmarks/encoder_budget.py --source ../shared/data/conll2003
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "artefacts" / "bench-encoder"
RESULTS = ROOT / "benchmarks" / "results"
BASE = {"tiny_hidden_size": 768, "tiny_layers": 12, "tiny_heads": 12, "tiny_max_length": 512}
VOCAB = 28996  # bert-base-cased

CHILD = r"""
import json, resource, sys, time
import torch
torch.set_num_threads(1)
started = time.perf_counter()
from ner_helpers.encoder_predictor import EncoderPredictor
from ner_helpers.data import load_split
predictor = EncoderPredictor.load(sys.argv[1])
loaded = time.perf_counter() - started
rows = load_split(sys.argv[2])[: int(sys.argv[3]) or None]
sentences = [row["text"] for row in rows]
started = time.perf_counter()
tags = predictor.tag(None, sentences, batch_size=64)
tagging = time.perf_counter() - started
if len(sys.argv) > 4:  # the test predictions an experiment folder holds
    from ner_helpers.predictions import save_predictions
    save_predictions([{"index": row["index"], "NER": row_tags}
                      for row, row_tags in zip(rows, tags)], sys.argv[4])
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
kib = lambda key: int(status[key].split()[0])
pieces = sum(len(predictor.pieces.encode(s).input_ids) for s in sentences)
print(json.dumps({"load_s": loaded, "tag_s": tagging, "sentences": len(sentences),
                  "pieces": pieces, "vm_peak_mib": kib("VmPeak") / 1024,
                  "vm_hwm_mib": kib("VmHWM") / 1024}))
"""


#: The limits of grading.yaml raised for a base-size encoder (docs/encoder.md).
GRADING_LIMITS = """
unpack: {max_file_mb: 500, max_total_mb: 600}
inputs: {encoder_weights_mb: 500}
sandbox: {memory_mb: 3072, performance_timeout_s: 400, submission_timeout_s: 900,
          cpu_seconds: 1200}
"""


def grade_with_encoder(source: str, model_dir: Path, predictions: Path) -> dict:
    """Grade, with the real command, a final submission that holds the base-size encoder
    beside the FFNN and RNN of the grading bench, the encoder section on and the limits
    of :data:`GRADING_LIMITS`; its wall time, memory and the encoder's result line."""
    import shutil

    import grading_budget as budget
    import yaml

    from autograder.grader.settings import default_settings_path

    if not budget.SUBMISSION.is_file():
        budget.build_submission(source)
    experiment = budget.WORK / "artefacts" / "experiments" / "encoder"
    if experiment.exists():
        shutil.rmtree(experiment)
    shutil.copytree(model_dir, experiment / "model")
    shutil.copyfile(predictions, experiment / "test_predictions.json")
    out_dir = budget.WORK / "submission-encoder"
    budget.run([str(budget.BIN / "ner-kit"), "submit", "final", "--student-id", "bench-1",
                "--name", "Grading Benchmark", "--out-dir", str(out_dir)])
    settings_dir = budget.WORK / "grading-encoder"
    settings_dir.mkdir(exist_ok=True)
    grading = yaml.safe_load(default_settings_path().read_text(encoding="utf-8"))
    for section, values in yaml.safe_load(GRADING_LIMITS).items():
        grading[section].update(values)
    (settings_dir / "grading.yaml").write_text(yaml.safe_dump(grading, sort_keys=False))
    release = yaml.safe_load((ROOT / "autograder" / "config" / "release.yaml").read_text())
    release["optional_sections"]["encoder"]["enabled"] = True
    (settings_dir / "release.yaml").write_text(yaml.safe_dump(release, sort_keys=False))
    (budget.WORK / "graded").mkdir(parents=True, exist_ok=True)
    run = budget.grade_once("encoder", ("--grading-config", str(settings_dir / "grading.yaml")),
                            submission=out_dir / "final-latest.zip")
    keep = ("wall_s", "peak_tree_rss_mib", "peak_tree_pss_mib", "grader_peak_rss_mib",
            "largest_child_peak_rss_mib", "largest_child_vm_peak_mib", "score", "performance")
    return {"zip_mib": round((out_dir / "final-latest.zip").stat().st_size / 2**20, 1),
            **{key: run[key] for key in keep}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="corpus folder (CoNLL or JSON)")
    parser.add_argument("--grade", action="store_true",
                        help="also grade a final submission holding the encoder with "
                             "`ner-instructor grade` (the section on, limits raised; the "
                             "FFNN and RNN of benchmarks/grading_budget.py)")
    parser.add_argument("--sentences", type=int, default=0,
                        help="tag only the first N test sentences and scale the time to the "
                             "whole split by its pieces (default: the whole split)")
    args = parser.parse_args(argv)

    import torch

    from ner_helpers.data import build_dataset, load_split
    from ner_helpers.encoder_config import EncoderConfig
    from ner_helpers.encoder_predictor import EncoderPredictor
    from ner_helpers.word_pieces import train_word_pieces

    dataset = WORK / "dataset"
    if not (dataset / "test.json").is_file():
        build_dataset(args.source, dataset, WORK / "hidden" / "test_labels.json",
                      progress=False)
    pieces = WORK / "pieces"
    pieces.mkdir(parents=True, exist_ok=True)
    train = load_split(dataset / "train.json")
    train_word_pieces((row["text"] for row in train), VOCAB).save(str(pieces / "tokenizer.json"))
    torch.manual_seed(0)
    config = EncoderConfig.from_dict({"model_type": "encoder", "encoder": f"tiny:{pieces}",
                                      **BASE})
    model_dir = EncoderPredictor.build(config).save(WORK / "model")
    weights_mib = (model_dir / "weights.pt").stat().st_size / 2**20
    parameters = EncoderConfig.from_dict(
        json.loads((model_dir / "config.json").read_text())).parameter_estimate()

    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    predictions = WORK / "test_predictions.json"
    done = subprocess.run([sys.executable, "-c", CHILD, str(model_dir),
                           str(dataset / "test.json"), str(args.sentences),
                           *([str(predictions)] if args.grade else [])],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    child = json.loads(done.stdout.strip().splitlines()[-1])
    test = load_split(dataset / "test.json")
    loaded = EncoderPredictor.load(model_dir)
    all_pieces = sum(len(loaded.pieces.encode(row["text"]).input_ids) for row in test)
    result = {"machine": platform.processor() or platform.machine(),
              "parameters": parameters, "weights_mib": round(weights_mib, 1),
              **{k: round(v, 2) if isinstance(v, float) else v for k, v in child.items()},
              "test_sentences": len(test), "test_pieces": all_pieces,
              "tag_whole_split_s": round(child["tag_s"] * all_pieces / child["pieces"], 1)}
    if args.grade:
        result["grading"] = grade_with_encoder(args.source, model_dir, predictions)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "encoder_budget.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in result.items() if key != "grading"]
    if args.grade:
        lines += ["", "Grading a final submission with this encoder (`--grade`), "
                  "limits raised to:", "", "```yaml", GRADING_LIMITS.strip(), "```", "",
                  "| measure | value |", "|---|---|"]
        lines += [f"| {key} | {value} |" for key, value in result["grading"].items()]
    (RESULTS / "encoder_budget.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
