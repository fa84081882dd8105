"""Where the code a student wrote for each TODO is.

The solution markers of the reference package (:mod:`autograder.release.markers`)
say which method holds each TODO. The release (``strip_solutions``) leaves in that
method the provided code, the TODO's hint comment and a ``raise
NotImplementedError`` stub; a student replaces the stub. A TODO's *student
region* in a submitted file is therefore the code from the hint (the hint
comment and its continuation lines excluded) to the end of the method, less:

- the release's stub line, where the student left it;
- the provided lines the release has after the stub (``return
  record.summary()`` in the trainer), where they end the method;
- when the student deleted the hint: the provided lines the release has before
  it, where they start the method body.

Files are parsed with :mod:`ast`, never imported. A file that is not valid
Python is still read: from the hint line, as long as lines are indented at
least as deep (the problem is reported with the file's regions).
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from autograder.release.markers import BEGIN, END, find_regions, strip_solutions
from autograder.sandbox.stub_package import reference_package_dir
from ner_helpers.config import kit_config
from ner_helpers.submission import final_file_names

STUB_START = re.compile(r'^raise\s+NotImplementedError\(\s*["\']TODO-')


@dataclass(frozen=True)
class TodoSpec:
    """One TODO of the package, as the release lays it out.

    Attributes:
        todo: the TODO number, e.g. ``TODO-1.1-1``.
        file: the student file, e.g. ``tokenizer.py``.
        owner: the class holding the method (``""`` for a module-level function).
        method: the method's name.
        prefix: provided code lines of the method before the hint (stripped).
        suffix: provided code lines of the method after the stub (stripped).
        boilerplate: the release's text of the region: hint, stub and provided lines
            (its fingerprints never count as overlap).
    """

    todo: str
    file: str
    owner: str
    method: str
    prefix: tuple[str, ...]
    suffix: tuple[str, ...]
    boilerplate: str


@dataclass(frozen=True)
class Region:
    """The student-written code of one TODO in one file.

    Attributes:
        todo: the TODO number.
        code: the region's lines, dedented (comments kept: the report shows them).
        first_line: the 1-based line of the file where ``code`` starts.
    """

    todo: str
    code: str
    first_line: int


@dataclass
class FileRegions:
    """The regions found in one file and what stopped the others."""

    regions: dict[str, Region]
    problems: list[str]


def _hint_pattern(todo: str) -> re.Pattern[str]:
    return re.compile(r"#\s*" + re.escape(todo) + r"(?![\d.-]*\d)")


def _is_code(line: str) -> bool:
    text = line.strip()
    return bool(text) and not text.startswith("#")


def _find_method(tree: ast.Module, owner: str, method: str) -> ast.AST | None:
    """The last definition of ``owner.method`` (``method`` at module level when
    ``owner`` is empty), as Python would bind it."""
    scopes: list[list[ast.stmt]] = []
    if owner:
        scopes = [node.body for node in tree.body
                  if isinstance(node, ast.ClassDef) and node.name == owner]
    else:
        scopes = [tree.body]
    found = None
    for body in scopes:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == method:
                found = node
    return found


def _body_start(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """The 1-based first line of the body after the docstring."""
    first = node.body[0]
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        return (first.end_lineno or first.lineno) + 1
    return first.lineno


def _after_hint(lines: list[str], hint_at: int, end: int) -> int:
    """The 0-based line after the hint at ``hint_at`` and its comment continuation."""
    position = hint_at + 1
    while position < end and lines[position].strip().startswith("#"):
        position += 1
    return position


def _find_hint(lines: list[str], todo: str, start: int, end: int) -> int | None:
    pattern = _hint_pattern(todo)
    for number in range(start, end):
        stripped = lines[number].strip()
        if stripped.startswith("#") and pattern.search(stripped):
            return number
    return None


def _strip_prefix(lines: list[str], prefix: tuple[str, ...]) -> int:
    """How many leading ``lines`` are the provided ``prefix`` (blank lines and comments
    among them included)."""
    wanted = list(prefix)
    cut = 0
    for number, line in enumerate(lines):
        if not wanted:
            break
        if not _is_code(line):
            continue
        if line.strip() != wanted[0]:
            break
        wanted.pop(0)
        cut = number + 1
    return cut


def _strip_suffix(lines: list[str], suffix: tuple[str, ...]) -> int:
    """How many lines from the end of ``lines`` are the provided ``suffix``."""
    wanted = list(suffix)
    keep = len(lines)
    for number in range(len(lines) - 1, -1, -1):
        if not wanted:
            break
        line = lines[number]
        if not _is_code(line):
            continue
        if line.strip() != wanted[-1]:
            break
        wanted.pop()
        keep = number
    return keep


def _region(lines: list[str], first: int, spec: TodoSpec, max_lines: int,
            after_hint: bool = False) -> Region:
    """The region of ``lines`` (0-based ``first``) with stub and provided lines cut;
    the provided prefix only when the region does not start after the hint."""
    body = list(lines) if after_hint else lines[_strip_prefix(lines, spec.prefix):]
    offset = len(lines) - len(body)
    body = body[:_strip_suffix(body, spec.suffix)]
    while body and not body[0].strip():
        body, offset = body[1:], offset + 1
    kept = ["" if STUB_START.match(line.strip()) else line for line in body[:max_lines]]
    while kept and not kept[-1].strip():
        kept.pop()
    return Region(spec.todo, textwrap.dedent("\n".join(kept)), first + offset + 1)


def _regions_from_tree(tree: ast.Module, lines: list[str], specs: list[TodoSpec],
                       max_lines: int) -> FileRegions:
    result = FileRegions({}, [])
    for spec in specs:
        node = _find_method(tree, spec.owner, spec.method)
        where = f"{spec.owner}.{spec.method}" if spec.owner else spec.method
        if node is None or not node.body:
            result.problems.append(f"{spec.todo}: no method {where}")
            continue
        end = node.end_lineno or node.lineno
        hint = _find_hint(lines, spec.todo, node.lineno, end)
        if hint is not None:
            start = _after_hint(lines, hint, end)
            region = _region(lines[start:end], start, spec, max_lines, after_hint=True)
        else:
            start = _body_start(node) - 1
            region = _region(lines[start:end], start, spec, max_lines)
        result.regions[spec.todo] = region
    return result


def _regions_by_indent(lines: list[str], specs: list[TodoSpec], max_lines: int,
                       problem: str) -> FileRegions:
    """Regions of a file that does not parse: from each hint, while lines are indented
    at least as deep as the hint."""
    result = FileRegions({}, [problem])
    for spec in specs:
        hint = _find_hint(lines, spec.todo, 0, len(lines))
        if hint is None:
            result.problems.append(f"{spec.todo}: not found (the file does not parse and "
                                   "its hint comment is gone)")
            continue
        depth = len(lines[hint]) - len(lines[hint].lstrip())
        end = hint + 1
        while end < len(lines) and (not lines[end].strip() or
                                    len(lines[end]) - len(lines[end].lstrip()) >= depth):
            end += 1
        start = _after_hint(lines, hint, end)
        result.regions[spec.todo] = _region(lines[start:end], start, spec,
                                            max_lines, after_hint=True)
    return result


def extract_regions(source: str, specs: list[TodoSpec], max_lines: int = 400) -> FileRegions:
    """The student regions of ``specs`` (TODOs of one file) in ``source``."""
    lines = source.splitlines()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None)
        where = f"line {line}: " if line else ""
        message = getattr(exc, "msg", None) or type(exc).__name__
        return _regions_by_indent(lines, specs, max_lines,
                                  f"not valid Python ({where}{message}); regions read from "
                                  "the hint comments")
    return _regions_from_tree(tree, lines, specs, max_lines)


def submitted_reference(source: str) -> str:
    """The reference file as a student who wrote the reference solution would hand it in:
    the solution markers gone, the code kept."""
    kept = [line for line in source.splitlines() if line.strip() not in (BEGIN, END)]
    return "\n".join(kept) + "\n"


def _spec_from_release(todo: str, file: str, reference: ast.Module, release: str,
                       begin_line: int) -> TodoSpec:
    owner, method = _enclosing(reference, begin_line + 1)
    tree = ast.parse(release)
    node = _find_method(tree, owner, method)
    lines = release.splitlines()
    if node is None:
        raise ValueError(f"{file}: {todo}: no method {owner}.{method} in the release text")
    end = node.end_lineno or node.lineno
    hint = _find_hint(lines, todo, node.lineno, end)
    if hint is None:
        raise ValueError(f"{file}: {todo}: the release has no hint comment")
    stub = _after_hint(lines, hint, end)
    prefix = tuple(line.strip() for line in lines[_body_start(node) - 1:hint] if _is_code(line))
    suffix = tuple(line.strip() for line in lines[stub + 1:end] if _is_code(line))
    boilerplate = textwrap.dedent("\n".join(lines[hint:end]))
    return TodoSpec(todo, file, owner, method, prefix, suffix, boilerplate)


def _enclosing(tree: ast.Module, line: int) -> tuple[str, str]:
    """``(class, method)`` of the innermost function holding 1-based ``line``."""
    best: tuple[str, str] | None = None
    for node in tree.body:
        candidates: list[tuple[str, ast.AST]] = []
        if isinstance(node, ast.ClassDef):
            candidates = [(node.name, item) for item in node.body]
        else:
            candidates = [("", node)]
        for owner, item in candidates:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                    item.lineno <= line <= (item.end_lineno or item.lineno):
                best = (owner, item.name)
    if best is None:
        raise ValueError(f"line {line} is in no function")
    return best


@lru_cache(maxsize=4)
def _specs(package_dir: Path, files: tuple[str, ...]) -> tuple[TodoSpec, ...]:
    specs = []
    for name in files:
        path = package_dir / name
        source = path.read_text(encoding="utf-8")
        reference = ast.parse(source)
        release = strip_solutions(source, str(path))
        for region in find_regions(source, str(path)):
            specs.append(_spec_from_release(region.todo, name, reference, release,
                                            region.begin_line))
    return tuple(specs)


def todo_specs(package_dir: Path | None = None) -> list[TodoSpec]:
    """Every TODO of the student files, in file order (read from the reference package):
    the core files, then those of the optional sections that the package holds."""
    package = package_dir or reference_package_dir()
    files = tuple(name for name in final_file_names(kit_config()["submission"])
                  if (package / name).is_file())
    return list(_specs(package, files))


def specs_by_file(specs: list[TodoSpec]) -> dict[str, list[TodoSpec]]:
    grouped: dict[str, list[TodoSpec]] = {}
    for spec in specs:
        grouped.setdefault(spec.file, []).append(spec)
    return grouped
