"""Grading budget of a base-size encoder model (the encoder section).

The grader's child tags the test split with a submitted model on one thread, under
``sandbox.memory_mb`` of address space (RLIMIT_AS) and ``performance_timeout_s``;
the parent refuses an encoder whose weights exceed ``inputs.encoder_weights_mb``
and the unpacker any file above ``unpack.max_file_mb``. This script measures what
a base-size encoder (the shape of ``bert-base-cased``: 12 layers, hidden size 768,
a vocabulary of 28,996 pieces, plus the kit's BiGRU head) needs: it builds one with
random weights (the weights' values change neither the time nor the memory), saves
it as a submission holds it, then in a fresh process on one thread loads it as the
child does and tags the first ``--sentences`` sentences of the test split, and
reports the weights file's size, the load and tagging times (and the tagging time
scaled to the whole split by its number of pieces), and the process's peak address
space (``VmPeak``, what RLIMIT_AS limits) and peak resident memory (``VmHWM``).
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
rows = load_split(sys.argv[2])[: int(sys.argv[3])]
sentences = [row["text"] for row in rows]
started = time.perf_counter()
tags = predictor.tag(None, sentences, batch_size=64)
tagging = time.perf_counter() - started
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
kib = lambda key: int(status[key].split()[0])
pieces = sum(len(predictor.pieces.encode(s).input_ids) for s in sentences)
print(json.dumps({"load_s": loaded, "tag_s": tagging, "sentences": len(sentences),
                  "pieces": pieces, "vm_peak_mib": kib("VmPeak") / 1024,
                  "vm_hwm_mib": kib("VmHWM") / 1024}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="corpus folder (CoNLL or JSON)")
    parser.add_argument("--sentences", type=int, default=1000,
                        help="test sentences to tag (default: %(default)s)")
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
    done = subprocess.run([sys.executable, "-c", CHILD, str(model_dir),
                           str(dataset / "test.json"), str(args.sentences)],
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
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "encoder_budget.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in result.items()]
    (RESULTS / "encoder_budget.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
