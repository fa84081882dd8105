"""Options of the late policy, shared by grade-batch and grade-batch-merge."""

from __future__ import annotations

import argparse

from autograder.course.late_days import LateDays, late_columns, prepare_late_days
from autograder.course.late_policy import read_late_policy
from autograder.grader.settings import GradingSettings
from ner_helpers.config import load_yaml, resolve_path
from ner_helpers.errors import KitError

LATE_EPILOG = """\
Late policy (the `late:` block of grading.yaml, docs/late-days.md): with
--submission-times the gradebook also gets submitted_at, due_at, days_late,
free_days_used, late_penalty and score_after_late (score stays the raw
score), each feedback.md one `Late policy:` line, and the class report a
"Late submissions" section. A submission with no time on record is flagged
(late_penalty "no submission time", no score_after_late), never taken as on
time. With --ledger the free late days each student has used so far are read
from that CSV and it is rewritten with this assignment's (the earlier file
kept as NAME.prev-N.csv).
"""


def add_late_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("late policy")
    group.add_argument("--submission-times", metavar="PATH",
                       help="when each student handed in: a CSV (student, submitted_at), "
                            "Gradescope's submission_metadata.json/.yml (or a folder of "
                            "them), or an nbgrader course folder (submitted/*/*/timestamp.txt)")
    group.add_argument("--due", metavar="TIME",
                       help="the assignment's due time, e.g. 2026-10-02T23:59 (read in "
                            "late.timezone unless it has an offset); Gradescope's metadata "
                            "gives it otherwise")
    group.add_argument("--extensions", metavar="CSV",
                       help="per-student due times: columns student, due")
    group.add_argument("--ledger", metavar="CSV",
                       help="the course's late-day ledger (student, late_days_used, one "
                            "column per assignment); read, then rewritten")
    group.add_argument("--roster", metavar="CSV",
                       help="the whole class (column student): the students the ledger and "
                            "extensions may name (default: those in the submission times)")
    group.add_argument("--assignment", metavar="NAME",
                       help="this assignment's name in the ledger, and nbgrader's "
                            "assignment folder (default: the folder's name)")


def late_days(args: argparse.Namespace, settings: GradingSettings,
              default_assignment: str) -> LateDays | None:
    """The late policy step when --submission-times is given (inputs read and checked)."""
    given = [name for name in ("due", "extensions", "ledger", "roster", "assignment")
             if getattr(args, name, None)]
    if not args.submission_times:
        if given:
            raise KitError(f"--{given[0]} needs --submission-times (when each student "
                           "handed in)")
        return None
    policy = read_late_policy(load_yaml(settings.source), settings.source)

    def path(value: str | None):  # noqa: ANN202 (Path or None)
        return resolve_path(value) if value else None

    return prepare_late_days(
        policy, times=resolve_path(args.submission_times),
        assignment=args.assignment or default_assignment, due=args.due,
        extensions=path(args.extensions), ledger=path(args.ledger), roster=path(args.roster),
        nbgrader_assignment=args.assignment or "", decimals=settings.results.decimals,
        settings_source=settings.source)


def print_late_summary(step: LateDays | None, rows: list[dict]) -> None:
    if step is None:
        return
    names = late_columns(step.policy)
    late = sum(1 for row in rows if isinstance(row.get(names[2]), int) and row[names[2]] > 0)
    flagged = [str(row.get("submission")) for row in rows if row.get("late_penalty") ==
               "no submission time"]
    print(f"late policy: {late} late submissions, {len(flagged)} without a submission time")
    for name in flagged:
        print(f"  {name}: no submission time on record (flagged; check by hand)")
    if step.ledger is not None:
        print(f"ledger: {step.ledger.path}")
    elif step.policy.free_late:
        print(f"no --ledger: every student was given the course's {step.policy.free_late} "
              f"free late {step.policy.units} in full")
