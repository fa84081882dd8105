"""``ner-kit``: the student and instructor commands of the helper package.

Each sub-command lives in its own module of this folder and provides ``NAME``,
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``. User mistakes
raise :class:`~ner_helpers.errors.KitError` and are printed without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ner_helpers.errors import KitError

#: Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES = [
    "ner_helpers.cli.data_command",
    "ner_helpers.cli.tokenizer_command",
    "ner_helpers.cli.pieces_command",   # the encoder section (absent when it is off)
    "ner_helpers.cli.train_command",
    "ner_helpers.cli.predict_command",
    "ner_helpers.cli.score_command",
    "ner_helpers.cli.check_command",
    "ner_helpers.cli.submit_command",
    "ner_helpers.cli.sweep_command",
    "ner_helpers.cli.sweep_report_command",
]


def build_parser(prog: str = "ner-kit",
                 modules: list[str] | None = None) -> argparse.ArgumentParser:
    """The top-level parser with one sub-parser per command module."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Named-entity recognition course kit: data, tokenizer, training, submission.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module_name in modules or COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # a command not shipped in this copy of the kit
                continue
            raise
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(handler=module.run)
    return parser


def run_cli(parser: argparse.ArgumentParser, argv: list[str] | None = None) -> int:
    """Parse ``argv``, run the chosen command, turn :class:`KitError` into exit code 2."""
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
