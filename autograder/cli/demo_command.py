"""``ner-instructor demo``: the whole instructor flow, end to end."""

from __future__ import annotations

import argparse

from autograder.demo import run_demo

NAME = "demo"
HELP = ("Build the dataset, train the tokenizer, train short FFNN and RNN runs, tag the test "
        "split, score on the hidden labels and grade the resulting submission.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", help="corpus: a CoNLL or JSON folder, or hub:ID "
                        "(default: the bundled sample in dataset/sample)")
    parser.add_argument("--epochs", type=int, help="epochs per model (default: kit.yaml demo)")
    parser.add_argument("--max-train", type=int,
                        help="training sentences per model (default: kit.yaml demo)")
    parser.add_argument("--no-grade", action="store_true", help="skip grading the submission")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def run(args: argparse.Namespace) -> int:
    summary = run_demo(args.source, epochs=args.epochs, max_train=args.max_train,
                       show_progress=not args.no_progress, grade=not args.no_grade)
    print("\n" + summary.format())
    return 0
