"""Reading CoNLL-style files: one token per line, a blank line between sentences.

Column rule. A file's layout is decided by its first non-blank line and must
hold for every other line of the file:

- columns are separated by tabs when that line contains a tab, else by runs
  of spaces;
- the **tag** is always the last column;
- the **token** is the first column, except in the three-column layout whose
  first column is an integer (``index<TAB>token<TAB>tag``, as in the shared
  CoNLL-2003 copy), where the token is the second column and the first must be
  an integer on every line.

So ``token tag``, ``index token tag`` and the classic ``token POS chunk tag``
all work. ``-DOCSTART-`` lines are document boundaries, not sentences: they
end the current sentence and are dropped (with the blank line after them).
The report counts the markers that open a document; a marker that opens none
(the shared CoNLL-2003 copy has one on the last line of ``val`` and ``test``)
is dropped as well and counted apart, as an empty marker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ner_helpers.data.corpus import Sentence, SplitSource
from ner_helpers.data.source import find_split_file
from ner_helpers.data.tags import is_known_tag, unknown_tag_problem
from ner_helpers.data.text_files import iter_lines
from ner_helpers.errors import located

DOCSTART = "-DOCSTART-"
MIN_COLUMNS = 2


@dataclass(frozen=True)
class ColumnLayout:
    """How the lines of one file split into columns."""

    columns: int
    tab_separated: bool
    indexed: bool

    @property
    def token_column(self) -> int:
        return 1 if self.indexed else 0

    def split(self, text: str) -> list[str]:
        if self.tab_separated:
            return [field.strip() for field in text.strip().split("\t")]
        return text.split()

    def describe(self) -> str:
        if self.indexed:
            return "index, token, tag"
        if self.columns == MIN_COLUMNS:
            return "token, tag"
        return "token first, tag last"


def _is_integer(text: str) -> bool:
    return text.isascii() and text.isdigit()


def detect_layout(text: str, path: Path, line: int) -> ColumnLayout:
    """The layout of a file, from its first non-blank line."""
    tab_separated = "\t" in text
    fields = [f.strip() for f in text.strip().split("\t")] if tab_separated else text.split()
    if len(fields) < MIN_COLUMNS:
        raise located(
            path,
            line,
            f"expected at least {MIN_COLUMNS} columns (token and tag), found {len(fields)}",
        )
    indexed = len(fields) == 3 and _is_integer(fields[0])
    return ColumnLayout(columns=len(fields), tab_separated=tab_separated, indexed=indexed)


def read_conll_file(
    path: Path,
    split: str,
    limit: int | None = None,
    progress_min_bytes: int | None = None,
) -> SplitSource:
    """Read one CoNLL file into a :class:`SplitSource`, validating every line.

    With ``limit``, reading stops after that many sentences.
    """
    result = SplitSource(split=split, origin=str(path))
    layout: ColumnLayout | None = None
    tokens: list[str] = []
    tags: list[str] = []
    start_line = 0
    last_line = 0
    open_marker = False  # a -DOCSTART- seen and no sentence after it yet

    def finish_sentence() -> None:
        nonlocal tokens, tags, open_marker
        if tokens:
            result.sentences.append(Sentence(tokens=tokens, tags=tags, line=start_line))
            tokens, tags = [], []
            if open_marker:
                result.docstarts_dropped += 1
                open_marker = False

    for number, text in iter_lines(path, progress_min_bytes):
        if limit is not None and len(result.sentences) >= limit:
            break
        last_line = number
        if not text.strip():
            finish_sentence()
            continue
        if layout is None:
            layout = detect_layout(text, path, number)
        fields = layout.split(text)
        if len(fields) != layout.columns:
            raise located(
                path,
                number,
                f"expected {layout.columns} columns ({layout.describe()}) as on the first line, "
                f"found {len(fields)}",
            )
        if layout.indexed and not _is_integer(fields[0]):
            raise located(
                path, number, f"expected an integer token index in column 1, found {fields[0]!r}"
            )
        token, tag = fields[layout.token_column], fields[-1]
        if token == DOCSTART:
            finish_sentence()
            if open_marker:
                result.empty_docstarts += 1
            open_marker = True
            continue
        if not token:
            raise located(path, number, "empty token")
        if not is_known_tag(tag):
            raise located(path, number, unknown_tag_problem(tag))
        if not tokens:
            start_line = number
        tokens.append(token)
        tags.append(tag)
    finish_sentence()
    if open_marker:
        result.empty_docstarts += 1
    if limit is not None:
        del result.sentences[limit:]

    if not result.sentences:
        if last_line == 0:
            raise located(path, 1, "file is empty: no sentences")
        raise located(path, last_line, "no sentences in file (only blank or -DOCSTART- lines)")
    return result


def read_conll_dir(
    directory: Path,
    names: Mapping[str, Sequence[str]],
    splits: Sequence[str],
    limit: int | None = None,
    progress_min_bytes: int | None = None,
) -> dict[str, SplitSource]:
    """Read one CoNLL file per split from ``directory`` (file names per split in ``names``)."""
    paths = {split: find_split_file(directory, split, names.get(split, ())) for split in splits}
    return {
        split: read_conll_file(path, split, limit=limit, progress_min_bytes=progress_min_bytes)
        for split, path in paths.items()
    }
