"""What a dataset build did: counts per split, the source, the files written."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: Column titles of the table printed by :meth:`BuildReport.format`.
COLUMNS = ("split", "sentences", "tokens", "entities", "-DOCSTART- dropped", "stray I- -> B-")


@dataclass
class SplitReport:
    """Counts for one split, as written."""

    split: str
    origin: str
    sentences: int
    tokens: int
    entities: int
    docstarts_dropped: int
    stray_inside_normalised: int
    empty_docstarts: int = 0


@dataclass
class BuildReport:
    """The outcome of :func:`~ner_helpers.data.build.build_dataset`."""

    source: str
    source_kind: str
    splits: dict[str, SplitReport]
    limit: int | None = None
    tag_names: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def sentences(self) -> int:
        return sum(split.sentences for split in self.splits.values())

    @property
    def tokens(self) -> int:
        return sum(split.tokens for split in self.splits.values())

    @property
    def docstarts_dropped(self) -> int:
        return sum(split.docstarts_dropped for split in self.splits.values())

    @property
    def stray_inside_normalised(self) -> int:
        return sum(split.stray_inside_normalised for split in self.splits.values())

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (the body of ``manifest.json``)."""
        return {
            "source": self.source,
            "source_kind": self.source_kind,
            "limit": self.limit,
            "tag_names": self.tag_names,
            "splits": {name: asdict(split) for name, split in self.splits.items()},
            "totals": {
                "sentences": self.sentences,
                "tokens": self.tokens,
                "docstarts_dropped": self.docstarts_dropped,
                "stray_inside_normalised": self.stray_inside_normalised,
            },
            "outputs": dict(self.outputs),
        }

    def format(self) -> str:
        """A readable summary: the source, a table of counts, the files written."""
        header = COLUMNS
        body = [
            (
                split.split,
                split.sentences,
                split.tokens,
                split.entities,
                split.docstarts_dropped,
                split.stray_inside_normalised,
            )
            for split in self.splits.values()
        ]
        total = (
            "total",
            self.sentences,
            self.tokens,
            sum(split.entities for split in self.splits.values()),
            self.docstarts_dropped,
            self.stray_inside_normalised,
        )
        cells = [header] + [_cells(row) for row in (*body, total)]
        widths = [max(len(row[column]) for row in cells) for column in range(len(header))]

        def line(row: tuple[str, ...]) -> str:
            first = row[0].ljust(widths[0])
            rest = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
            return "  ".join((first, *rest))

        rule = "  ".join("-" * width for width in widths)
        lines = [f"source: {self.source}"]
        if self.tag_names:
            lines.append(f"tag names: {self.tag_names}")
        if self.limit is not None:
            lines.append(f"limit: first {self.limit:,} sentences of each split")
        lines += ["", line(cells[0]), rule]
        lines += [line(row) for row in cells[1:-1]]
        lines += [rule, line(cells[-1])]
        for split in self.splits.values():
            if split.empty_docstarts:
                lines.append(
                    f"note: {split.split}: also dropped {split.empty_docstarts:,} -DOCSTART- "
                    "line(s) that open no document (e.g. on the last line of the file)"
                )
        if self.outputs:
            lines.append("")
            lines += [f"wrote {name}: {path}" for name, path in self.outputs.items()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _cells(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(f"{value:,}" if isinstance(value, int) else str(value) for value in row)
