"""Independent correct solutions of each TODO, and disguised copies of them, for the
similarity tests and for the calibration table of docs/grading.md ("Similarity").

Independent solutions: the reference solution and every entry of the catalogue of
correct alternatives (tests/correct_alternatives/) that writes a TODO's whole body
(``solutions:``). Entries that change a snippet of the reference (``change:``) are the
reference with one line changed, and entries marked ``derived_from_reference`` are its
statements in another order: neither is independent work, and both are left out.

A *planted copy* takes one solution and disguises it the way students do:
every name the code assigns is renamed, comments are removed and others added,
two adjacent assignments that do not depend on each other swap places, and
unused lines are added at the start, in the middle and at the end.

Run as a script, it prints the table of docs/grading.md::

    .venv/bin/python tests/similarity_corpus.py
"""

from __future__ import annotations

import ast
import io
import itertools
import keyword
import sys
import textwrap
import tokenize
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO))

from autograder.release.markers import find_regions  # noqa: E402

ALTERNATIVES = REPO / "tests" / "correct_alternatives"
PACKAGE = REPO / "ner_helpers"
REFERENCE = "reference"


def reference_solutions() -> dict[str, str]:
    """TODO -> the reference solution's code (dedented), from the solution markers."""
    found = {}
    for path in sorted(PACKAGE.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for region in find_regions(text, str(path)):
            found[region.todo] = textwrap.dedent(
                "\n".join(lines[region.begin_line + 1:region.end_line]))
    return found


def independent_solutions() -> dict[str, dict[str, str]]:
    """TODO -> {author name -> code}: the reference and the catalogue's whole-body
    alternatives."""
    by_todo: dict[str, dict[str, str]] = {todo: {REFERENCE: code}
                                          for todo, code in reference_solutions().items()}
    for path in sorted(ALTERNATIVES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("derived_from_reference"):
            continue
        for todo, code in (data.get("solutions") or {}).items():
            by_todo[todo][path.stem] = textwrap.dedent(code).rstrip("\n")
    return by_todo


def solution_file(file: str, solutions: dict[str, str]) -> str:
    """The reference ``file`` as handed in by a student whose TODO bodies are
    ``solutions`` (TODO -> code; the reference's where absent): markers gone."""
    text = (PACKAGE / file).read_text(encoding="utf-8")
    lines = text.splitlines()
    out: list[str] = []
    cursor = 0
    for region in find_regions(text, file):
        out.extend(lines[cursor:region.begin_line])
        body = solutions.get(region.todo)
        if body is None:
            out.extend(lines[region.begin_line + 1:region.end_line])
        else:
            out.extend(region.indent + line if line.strip() else ""
                       for line in body.splitlines())
        cursor = region.end_line + 1
    out.extend(lines[cursor:])
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------- disguises
def _assigned_names(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.append(node.id)
        elif isinstance(node, ast.arg):
            names.append(node.arg)
    return sorted(set(names) - {"self"})


def rename_identifiers(code: str) -> str:
    """Every name the code assigns renamed (``tokens`` -> ``my_tokens_v``), as tokens."""
    mapping = {name: f"my_{name}_v" for name in _assigned_names(ast.parse(code))}
    out = []
    previous = None
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if (token.type == tokenize.NAME and token.string in mapping
                and not keyword.iskeyword(token.string)
                and not (previous is not None and previous.string == ".")):
            token = token._replace(string=mapping[token.string])
        out.append(token)
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token
    return tokenize.untokenize(out)


def change_comments(code: str) -> str:
    """Comments removed; a comment of the copier's own before every third line."""
    out = []
    for number, line in enumerate(code.splitlines()):
        stripped = line.split("#", 1)[0].rstrip() if "#" in line and '"' not in line \
            and "'" not in line else line
        if not stripped.strip() and line.strip().startswith("#"):
            continue
        if number % 3 == 0 and stripped.strip():
            indent = stripped[:len(stripped) - len(stripped.lstrip())]
            out.append(f"{indent}# step {number}: my own approach here")
        out.append(stripped)
    return "\n".join(out)


def _reads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and
            isinstance(n.ctx, ast.Load)}


def _writes(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and
            isinstance(n.ctx, ast.Store)}


def reorder_statements(code: str) -> str:
    """The first two adjacent one-line assignments (at any depth) that neither read nor
    write each other's names swap places; the code unchanged when there are none."""
    tree = ast.parse(code)
    lines = code.splitlines()
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if not isinstance(body, list):
                continue
            for first, second in itertools.pairwise(body):
                if not (isinstance(first, ast.Assign) and isinstance(second, ast.Assign)):
                    continue
                if first.lineno != first.end_lineno or second.lineno != second.end_lineno:
                    continue
                if second.lineno != first.lineno + 1:
                    continue
                if (_writes(first) & (_reads(second) | _writes(second))
                        or _writes(second) & _reads(first)):
                    continue
                a, b = first.lineno - 1, second.lineno - 1
                lines[a], lines[b] = lines[b], lines[a]
                return "\n".join(lines)
    return code


def add_unused_lines(code: str) -> str:
    """Unused assignments before the first statement, before the statement nearest the
    middle (at its depth) and before the last top-level statement."""
    tree = ast.parse(code)
    lines = code.splitlines()
    starts = sorted({node.lineno - 1 for node in ast.walk(tree) if isinstance(node, ast.stmt)})
    middle = min(starts, key=lambda line: (abs(line - len(lines) // 2), line))
    last = tree.body[-1].lineno - 1
    inserts = {0: "debug_counter = 0\nscratch_values = [1, 2, 3]",
               middle: "unused_total = sum(range(10))", last: "final_note = 'checked'"}
    out = []
    for number, line in enumerate(lines):
        if number in inserts:
            indent = line[:len(line) - len(line.lstrip())]
            out += [indent + extra for extra in inserts[number].split("\n")]
        out.append(line)
    return "\n".join(out)


def planted_copy(code: str) -> str:
    """``code`` disguised: renamed, recommented, reordered, padded with unused lines."""
    disguised = add_unused_lines(change_comments(reorder_statements(rename_identifiers(code))))
    ast.parse(disguised)  # still valid Python
    return disguised


# ---------------------------------------------------------------------------- the table
def independent_scores(k: int, window: int, min_chars: int) -> dict[str, list[float]]:
    """TODO -> the scores of every pair of independent solutions (those long enough)."""
    from autograder.similarity.analysis import todo_boilerplate
    from autograder.similarity.compare import comparable, match_regions
    from autograder.similarity.fingerprints import fingerprint
    from autograder.similarity.regions import todo_specs

    boilerplate = todo_boilerplate(todo_specs(), k)
    scores: dict[str, list[float]] = {}
    for todo, authors in independent_solutions().items():
        prints = [fingerprint(code, k, window, boilerplate[todo]) for _, code in
                  sorted(authors.items())]
        prints = [p for p in prints if comparable(p, min_chars)]
        scores[todo] = sorted(match_regions(a, b).score
                              for a, b in itertools.combinations(prints, 2))
    return scores


def independent_overall(k: int, window: int, min_chars: int,
                        weak: tuple[str, ...]) -> tuple[list[float], list[float]]:
    """The overall scores of every pair of independent students and of each student
    with a planted copy of all their code, in increasing order. Student ``j`` writes the
    ``j``-th independent solution of every TODO that has one; ``weak`` TODOs are left
    out of the overall score, as the report does."""
    from autograder.similarity.analysis import todo_boilerplate
    from autograder.similarity.compare import Author, PairResult, comparable, match_regions
    from autograder.similarity.fingerprints import fingerprint
    from autograder.similarity.regions import todo_specs

    boilerplate = todo_boilerplate(todo_specs(), k)
    solutions = independent_solutions()
    count = max(len(authors) for authors in solutions.values())

    def student(index: int, planted: bool) -> Author:
        author = Author(f"s{index}", f"s{index}", False)
        for todo, authors in solutions.items():
            names = sorted(authors)
            if index < len(names):
                code = authors[names[index]]
                print_ = fingerprint(planted_copy(code) if planted else code, k, window,
                                     boilerplate[todo])
                if comparable(print_, min_chars):
                    author.regions[todo] = print_
        return author

    def pair(a: Author, b: Author) -> float:
        todos = {todo: match_regions(a.regions[todo], b.regions[todo])
                 for todo in a.regions if todo in b.regions}
        return PairResult(a, b, todos, frozenset(weak)).overall

    students = [student(index, False) for index in range(count)]
    independent = sorted(pair(a, b) for a, b in itertools.combinations(students, 2))
    planted = sorted(pair(a, student(index, True)) for index, a in enumerate(students)
                     if any(todo not in weak for todo in a.regions))
    return independent, planted


def calibration_table(k: int, window: int, min_chars: int) -> str:
    """The Markdown table of docs/grading.md: per TODO, the independent solutions and
    their pairwise overlap (min, median, max)."""
    solutions = independent_solutions()
    scores = independent_scores(k, window, min_chars)
    rows = ["| TODO | independent solutions | pairs | lowest | median | highest |",
            "|---|---:|---:|---:|---:|---:|"]
    for todo in sorted(solutions, key=lambda t: [int(x) for x in
                                                 t.removeprefix("TODO-").replace(".", "-")
                                                 .split("-")]):
        values = scores[todo]
        if not values:
            rows.append(f"| {todo} | {len(solutions[todo])} | 0 | not scored (shorter than "
                        f"{min_chars} normalised characters) | | |")
            continue
        median = values[len(values) // 2] if len(values) % 2 else \
            (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
        rows.append(f"| {todo} | {len(solutions[todo])} | {len(values)} | "
                    f"{values[0]:.0%} | {median:.0%} | {values[-1]:.0%} |")
    return "\n".join(rows)


if __name__ == "__main__":
    from autograder.grader.settings import default_settings_path
    from autograder.similarity.settings import load_similarity

    chosen = load_similarity(default_settings_path())
    print(calibration_table(chosen.k, chosen.window, chosen.min_region_chars))
    pairs, copies = independent_overall(chosen.k, chosen.window, chosen.min_region_chars,
                                        chosen.weak_todos)
    print(f"\noverall, independent pairs: {', '.join(f'{v:.0%}' for v in pairs)}")
    print(f"overall, planted copies: {', '.join(f'{v:.0%}' for v in copies)}")
