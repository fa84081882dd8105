"""``ner-kit check``: run the public checks of the TODOs from a terminal."""

from __future__ import annotations

import argparse

from ner_helpers.errors import KitError

NAME = "check"
HELP = "Run the public checks of the TODOs (all of them, or the ones named)."

EPILOG = """\
TODO numbers: 1.1-1 1.2-1 2-1 2-2 3-1 3-2 4-1 4-2 5-1 5-2 (TODO-1.1-1 works too).
Exit status: 0 when every TODO checked passes, 1 otherwise.

examples:
  ner-kit check
  ner-kit check 1.1-1
  ner-kit check --milestone
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("todos", nargs="*", metavar="TODO",
                        help="TODO numbers to check (default: all ten)")
    parser.add_argument("--milestone", action="store_true",
                        help="check the TODOs of the milestone (1.1-1 to 3-2)")


def run(args: argparse.Namespace) -> int:
    from ner_helpers.checks import MILESTONE_TODOS, TODOS, UnknownTodo, run_check
    from ner_helpers.checks.runner import normalise_number

    if args.milestone and args.todos:
        raise KitError("give TODO numbers or --milestone, not both")
    numbers = list(MILESTONE_TODOS) if args.milestone else args.todos or list(TODOS)
    try:
        numbers = [normalise_number(number) for number in numbers]
    except UnknownTodo as error:
        raise KitError(str(error)) from None
    failed = 0
    for number in numbers:
        result = run_check(number)
        if result.passed:
            print(result.line())
        else:
            failed += 1
            print("\n".join(result.failure.report_lines()))
    if failed:
        print(f"{failed} of {len(numbers)} TODOs do not pass yet")
        return 1
    print(f"all {len(numbers)} TODOs checked pass")
    return 0
