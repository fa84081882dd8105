"""A colour-coded table of one sentence's tokens, predicted tags and true tags.

In Jupyter or Colab the table renders as HTML: one column per token, each tag cell
tinted with its entity type's colour (``B-`` and ``I-`` alike), wrong predictions
framed in red, out-of-vocabulary tokens flagged. ``print(table)`` gives the same
content as aligned plain text, for terminals and log files.

Example::

    table = prediction_table(
        ["EU", "rejects", "German", "call"],
        pred_tags=["B-ORG", "O", "B-PER", "O"],
        true_tags=["B-ORG", "O", "B-MISC", "O"],
        unk_flags=[False, False, False, True],
    )
    table          # as the last line of a cell: the HTML table
    print(table)   # the text version
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from ner_helpers.visual.entity_colors import (
    ENTITY_BACKGROUNDS,
    ERROR_COLOR,
    tag_background,
)
from ner_helpers.visual.inputs import (
    as_flag_list,
    as_tag_list,
    as_token_list,
    check_same_length,
)

UNKNOWN_MARK = "UNK"
WRONG_MARK = "^"


class PredictionTable:
    """One sentence laid out as rows (token, unknown flag, predicted, true) by token columns.

    Build it with :func:`prediction_table`. It shows itself as HTML in a notebook
    (``_repr_html_``) and as aligned text with ``str()``; :meth:`show` picks the
    right one.

    Attributes:
        tokens: the sentence's tokens.
        pred_tags: one predicted tag per token.
        true_tags: one gold tag per token, or None.
        unk_flags: True where the token is out of the vocabulary, or None.
        width: the text version wraps into blocks at most this many characters wide.
    """

    def __init__(
        self,
        tokens: list[str],
        pred_tags: list[str],
        true_tags: list[str] | None = None,
        unk_flags: list[bool] | None = None,
        width: int = 100,
    ) -> None:
        self.tokens = tokens
        self.pred_tags = pred_tags
        self.true_tags = true_tags
        self.unk_flags = unk_flags
        self.width = width

    @property
    def wrong(self) -> list[bool]:
        """True at each position where the predicted tag differs from the true tag."""
        if self.true_tags is None:
            return [False] * len(self.tokens)
        return [pred != true for pred, true in zip(self.pred_tags, self.true_tags, strict=True)]

    def summary(self) -> str:
        """One line: sentence length, wrong tags and unknown tokens."""
        parts = [_count(len(self.tokens), "token")]
        if self.true_tags is not None:
            parts.append(_count(sum(self.wrong), "wrong tag"))
        if self.unk_flags is not None:
            parts.append(_count(sum(self.unk_flags), "unknown token"))
        return ", ".join(parts)

    # -- plain text ---------------------------------------------------------

    def rows(self) -> list[tuple[str, list[str]]]:
        """The table as ``(row name, one cell string per token)`` pairs."""
        rows = [("token", list(self.tokens))]
        if self.unk_flags is not None:
            rows.append(("unknown", [UNKNOWN_MARK if flag else "" for flag in self.unk_flags]))
        rows.append(("predicted", list(self.pred_tags)))
        if self.true_tags is not None:
            rows.append(("true", list(self.true_tags)))
            rows.append(("wrong", [WRONG_MARK if flag else "" for flag in self.wrong]))
        return rows

    def __str__(self) -> str:
        rows = self.rows()
        name_width = max(len(name) for name, _ in rows)
        column_widths = [
            max(len(cells[column]) for _, cells in rows) for column in range(len(self.tokens))
        ]
        blocks = []
        for columns in _wrap_columns(column_widths, self.width - name_width - 2):
            lines = []
            for name, cells in rows:
                line = "  ".join(cells[c].ljust(column_widths[c]) for c in columns)
                lines.append(f"{name.ljust(name_width)}  {line}".rstrip())
            blocks.append("\n".join(lines))
        return "\n\n".join([*blocks, f"({self.summary()})"])

    def __repr__(self) -> str:
        return str(self)

    # -- HTML ---------------------------------------------------------------

    def _repr_html_(self) -> str:
        cell_style = "padding:2px 6px;border:1px solid #ccc;text-align:center;color:#000;"
        head_style = "padding:2px 6px;border:1px solid #ccc;text-align:left;color:#000;"
        lines = [
            '<div style="overflow-x:auto">',
            '<table class="ner-prediction-table" '
            'style="border-collapse:collapse;font-family:monospace;background:#fff">',
        ]

        def row(name: str, cells: Iterable[str]) -> None:
            lines.append(f'<tr><th style="{head_style}">{name}</th>{"".join(cells)}</tr>')

        row(
            "token",
            (
                f'<td style="{cell_style}font-weight:bold">{html.escape(t)}</td>'
                for t in self.tokens
            ),
        )
        if self.unk_flags is not None:
            row(
                "unknown",
                (
                    f'<td class="unk" style="{cell_style}background:#fff3b0" '
                    f'title="not in the vocabulary">{UNKNOWN_MARK}</td>'
                    if flag
                    else f'<td style="{cell_style}"></td>'
                    for flag in self.unk_flags
                ),
            )
        wrong = self.wrong
        pred_cells = []
        for position, tag in enumerate(self.pred_tags):
            style = cell_style + _tag_style(tag)
            if wrong[position]:
                true_tag = html.escape(self.true_tags[position])
                style += f"outline:3px solid {ERROR_COLOR};outline-offset:-3px;"
                pred_cells.append(
                    f'<td class="wrong" style="{style}" title="true tag: {true_tag}">'
                    f"{html.escape(tag)}</td>"
                )
            else:
                pred_cells.append(f'<td style="{style}">{html.escape(tag)}</td>')
        row("predicted", pred_cells)
        if self.true_tags is not None:
            row(
                "true",
                (
                    f'<td style="{cell_style}{_tag_style(tag)}">{html.escape(tag)}</td>'
                    for tag in self.true_tags
                ),
            )
        lines.append("</table>")
        lines.append(_legend_html(self.summary(), show_wrong=self.true_tags is not None))
        lines.append("</div>")
        return "\n".join(lines)

    def show(self) -> None:
        """Display as HTML in a notebook, or print the text version elsewhere."""
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            print(self)
            return
        if get_ipython() is None:
            print(self)
        else:
            display(self)


def prediction_table(
    tokens: str | Sequence[str],
    pred_tags: Sequence[str] | Sequence[int],
    true_tags: Sequence[str] | Sequence[int] | None = None,
    unk_flags: Sequence[bool] | None = None,
) -> PredictionTable:
    """Lay out one sentence's predictions for reading.

    Args:
        tokens: the sentence's tokens (a list, or a string split on whitespace).
        pred_tags: one predicted tag per token, as tag strings or tag ids
            (e.g. ``logits.argmax(-1)[0]`` with padding removed).
        true_tags: one gold tag per token, or None when there is no gold.
        unk_flags: one flag per token, true where the token is out of the
            vocabulary (e.g. ``input_ids == tokenizer.token2id[UNK_TOKEN]``), or None.

    Returns:
        A :class:`PredictionTable`: HTML in a notebook, aligned text with ``str()``.

    Raises:
        KitError: a list does not have one entry per token, or a tag id is unknown.
    """
    token_list = as_token_list(tokens)
    pred_list = as_tag_list(pred_tags, "pred_tags")
    check_same_length(token_list, pred_list, "pred_tags")
    true_list = None
    if true_tags is not None:
        true_list = as_tag_list(true_tags, "true_tags")
        check_same_length(token_list, true_list, "true_tags")
    flag_list = None
    if unk_flags is not None:
        flag_list = as_flag_list(unk_flags, "unk_flags")
        check_same_length(token_list, flag_list, "unk_flags")
    return PredictionTable(token_list, pred_list, true_list, flag_list)


def _count(number: int, noun: str) -> str:
    """``3 wrong tags``, ``1 wrong tag``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _tag_style(tag: str) -> str:
    background = tag_background(tag)
    if background is None:
        return ""
    weight = "font-weight:bold;" if tag.startswith("B-") else ""
    return f"background:{background};{weight}"


def _legend_html(summary: str, show_wrong: bool) -> str:
    swatches = [
        f'<span style="background:{color};color:#000;padding:0 6px;margin-right:4px">'
        f"{entity_type}</span>"
        for entity_type, color in ENTITY_BACKGROUNDS.items()
    ]
    if show_wrong:
        swatches.append(
            f'<span style="outline:2px solid {ERROR_COLOR};color:inherit;padding:0 6px;'
            'margin:0 4px">wrong prediction</span>'
        )
    return (
        '<div style="font-size:smaller;margin-top:4px">'
        f"{''.join(swatches)} B- tags in bold &middot; {html.escape(summary)}</div>"
    )


def _wrap_columns(column_widths: list[int], available: int) -> list[list[int]]:
    """Split column indices into consecutive groups that fit in ``available`` characters."""
    groups: list[list[int]] = [[]]
    used = 0
    for column, width in enumerate(column_widths):
        needed = width if not groups[-1] else width + 2
        if groups[-1] and used + needed > available:
            groups.append([])
            needed, used = width, 0
        groups[-1].append(column)
        used += needed
    return groups
