"""``ner-kit data``: build the kit's dataset files from a corpus."""

from __future__ import annotations

import argparse
from typing import Any

from ner_helpers.config import apply_overrides, kit_config, load_config
from ner_helpers.data.build import build_dataset
from ner_helpers.data.source import FORMATS, HUB_PREFIX, setting

NAME = "data"
HELP = (
    "Build dataset/train.json, val.json and test.json (and the hidden test labels) from a "
    "corpus: CoNLL files, JSON files or a Hugging Face hub dataset."
)

EPILOG = """\
sources:
  (none)                 the sample corpus bundled with the kit (paths.sample_source)
  --source DIR           a directory with one file per split. CoNLL files are found
                         by the names in data.conll_names (train.conllu, eng.testa, ...),
                         JSON files by data.json_names (train.json, ...)
  --source hub:ID        a Hugging Face hub dataset, e.g. hub:Babelscape/wikineural
  --hub [ID]             the same; ID defaults to data.hub.id (WikiNEuRal)

CoNLL files: one token per line, a blank line between sentences. Columns are
split on tabs if a file's first token line has a tab, else on spaces. The tag
is the last column; the token is the first column, or the second when a file
has three columns and the first is an integer (index<TAB>token<TAB>tag).
-DOCSTART- lines are dropped.

JSON files: a JSON array of rows {"text": [tokens], "NER": [tags]}, with NER
for every split (the test split too).

Hub datasets: splits from data.hub.splits (train_en, val_en, test_en); integer
tags are named by the dataset's ClassLabel feature, or else by
data.hub.card_tag_names (the mapping on the dataset card).

Every split is checked (nine IOB2 tags, one tag per token, no empty token,
UTF-8); stray I-X tags that do not continue an X entity become B-X. Nothing is
written unless every split is fine. Outputs: OUT/{train,val,test}.json (test
without NER), OUT/manifest.json, and the test labels at --hidden-labels.

examples:
  ner-kit data
  ner-kit data --source ../shared/data/conll2003
  ner-kit data --hub --limit 2000
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--source",
        metavar="SOURCE",
        help="a directory of CoNLL or JSON files, or hub:ID (default: the bundled sample)",
    )
    where.add_argument(
        "--hub",
        nargs="?",
        const="",
        metavar="ID",
        help="read the Hugging Face hub dataset ID (default ID: data.hub.id in kit.yaml)",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="auto",
        help="how to read a directory source (default: auto, from the file names found)",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="folder for the split files (default: paths.dataset_dir)"
    )
    parser.add_argument(
        "--hidden-labels",
        metavar="PATH",
        help="file for the test labels, instructor-only (default: paths.hidden_labels)",
    )
    parser.add_argument(
        "--limit",
        type=int,
        metavar="N",
        help="keep only the first N sentences of each split (quick runs; the rest is not read)",
    )
    parser.add_argument(
        "--config", metavar="PATH", help="a kit config YAML file to use instead of kit.yaml"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one setting, e.g. --set data.hub.splits.val=validation (repeatable)",
    )
    parser.add_argument(
        "--cache-dir", metavar="DIR", help="download cache for hub datasets (default: HF's own)"
    )
    parser.add_argument("--no-progress", action="store_true", help="never show progress bars")


def _config(args: argparse.Namespace) -> dict[str, Any]:
    config = load_config(args.config) if args.config else kit_config()
    return apply_overrides(config, args.set)


def run(args: argparse.Namespace) -> int:
    config = _config(args)
    source = args.source
    if args.hub is not None:
        source = HUB_PREFIX + (args.hub or str(setting(config, "data.hub.id")))
    report = build_dataset(
        source,
        args.out,
        args.hidden_labels,
        limit=args.limit,
        config=config,
        source_format=args.format,
        progress=not args.no_progress,
        cache_dir=args.cache_dir,
    )
    print(report.format())
    return 0
