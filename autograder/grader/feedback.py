"""``feedback.md``: what a student (or TA) reads about one graded submission.

Per TODO, every hidden test with its points and, when it failed, its message;
then the performance lines with F1 and baseline, and the notes. The notebook's
run order and whether its collaboration statement is filled in come after the
notes. Messages
never hold grader source; they sit in fenced code blocks, so text that student
code raised cannot pass for a heading or a score line. The text depends only on
the result, so regrading gives the same file.
"""

from __future__ import annotations

from autograder.grader.result import GradingResult
from autograder.grader.results_json import GRADER_FAULT
from autograder.grader.safe_text import clean_cut, fenced, markdown_text
from autograder.grader.settings import ResultSettings
from ner_helpers.notebook_run_order import IN_ORDER

#: Said after the score: the kit grades the TODOs, the written answers are graded apart.
HAND_GRADED_NOTE = "autograded; the written answers in your notebook are graded by hand"
#: Fenced blocks sit inside their list item.
INDENT = "  "
#: The longest run-order message shown (it names one cell and the fix).
MESSAGE_CHARS = 600


def _points(value: float) -> str:
    return f"{value:g}"


def score_line(result: GradingResult) -> str:
    """``Score: 40 / 40 autograded; ...``: the score, and that hand-graded points come later."""
    return (f"Score: {_points(result.score)} / {_points(result.max_score)} "
            f"{HAND_GRADED_NOTE}")


def notebook_lines(result: GradingResult) -> list[str]:
    """The notebook's run order and statement state; the run-order message quotes a line
    of the student's cell, so it sits in a fenced block."""
    found = result.notebook
    if found is None:
        return []
    lines = ["Notebook:", f"- run from top to bottom: {markdown_text(found.run_order)}"]
    if found.run_order != IN_ORDER:
        lines += fenced(clean_cut(found.run_order_message, MESSAGE_CHARS), INDENT)
    lines += [f"- collaboration statement: {markdown_text(found.statement)}", ""]
    return lines


#: What each ``review.misnamed_layers`` setting did to the points, for the student.
REVIEW_POLICY_WORDS = {
    "contract": "the tests' points stand (the hint names the layers W, U and V)",
    "review": "the points of the failed tests are left to the course staff's review",
    "full": "the failed tests of these TODOs were given full points",
}


def review_lines(result: GradingResult) -> list[str]:
    """The "Needs review" section: per flagged model, the TODOs, the points at stake, what
    the setting did, and the evidence (escaped: it quotes the student's layer names)."""
    lines = ["## Needs review", ""]
    for finding in result.reviews:
        lines.append(f"- {markdown_text(finding.model.upper())} ({', '.join(finding.todos)}, "
                     f"{_points(finding.points_at_stake)} points at stake): "
                     f"{REVIEW_POLICY_WORDS.get(finding.policy, finding.policy)}. Evidence:")
        lines += [f"  - {markdown_text(line)}" for line in finding.evidence]
    lines.append("")
    return lines


def render(result: GradingResult, settings: ResultSettings) -> str:
    """The Markdown text of ``feedback.md``. Student-derived text is cleaned (see
    :mod:`autograder.grader.safe_text`); test and performance messages, which may hold
    what student code raised or printed, sit in fenced code blocks, and every other text
    (names, IDs, notes, reasons) is escaped for Markdown and HTML."""
    lines = [f"# Feedback: {markdown_text(result.kind)} submission "
             f"{markdown_text(result.submission)}",
             ""]
    if result.identity:
        lines.append(f"Student: {markdown_text(result.identity.get('name') or '(no name)')} "
                     f"({markdown_text(result.identity.get('student_id') or 'no student ID')})")
    lines.append(score_line(result))
    lines.append("")
    if result.grader_error:
        lines += [f"**{GRADER_FAULT}**", ""]
    if result.rejected:
        lines += [f"**The submission was rejected:** {markdown_text(result.rejected)}", ""]
    if result.notes:
        lines.append("Notes:")
        lines += [f"- {markdown_text(note)}" for note in result.notes]
        lines.append("")
    lines += notebook_lines(result)
    if result.reviews:
        lines += review_lines(result)
    totals = result.todo_points()
    current = None
    for test in result.tests:
        if test.todo != current:
            current = test.todo
            points, maximum = totals[current]
            lines += ["", f"## {current} {test.todo_title}: "
                      f"{_points(points)} / {_points(maximum)}", ""]
        mark = "pass" if test.passed else "FAIL"
        line = (f"- [{mark}] {test.name.replace('_', ' ')} ({_points(test.points)}/"
                f"{_points(test.max_points)})")
        if test.passed:
            lines.append(line)
        else:
            lines.append(line + ":")
            lines += fenced(clean_cut(test.message, settings.message_chars), INDENT)
    if result.performance:
        lines += ["", "## Performance", ""]
        for item in result.performance:
            f1 = "no F1" if item.f1 is None else f"F1 {item.f1:.4f}"
            lines.append(f"- {item.title}: {_points(item.points)} / {_points(item.max_points)} "
                         f"({f1}, baseline {item.baseline:.2f}):")
            lines += fenced(clean_cut(item.message, settings.message_chars), INDENT)
            lines += [f"  - note: {markdown_text(note)}" for note in item.notes]
    return "\n".join(lines).rstrip() + "\n"
