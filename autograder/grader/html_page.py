"""The shell of the class pages (leaderboard and class report): one HTML file
with its style inline and nothing loaded from elsewhere, so it opens offline
and can be mailed or archived as it is."""

from __future__ import annotations

from html import escape

STYLE = """\
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; color: #1b1b1b;
       margin: 0 auto; padding: 1.2em 1.5em 3em; max-width: 1100px; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 2px solid #d0d7de;
     padding-bottom: 0.2em; }
p.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.92em; }
th, td { border: 1px solid #d0d7de; padding: 0.28em 0.6em; text-align: left;
         vertical-align: top; white-space: nowrap; }
td:last-child { white-space: normal; }
th { background: #f3f5f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafbfc; }
figure { margin: 0.6em 0 1.2em; }
figure img { max-width: 100%; height: auto; border: 1px solid #e4e8eb; }
figcaption { color: #555; font-size: 0.88em; }
.message { font-family: "DejaVu Sans Mono", monospace; font-size: 0.85em;
           overflow-wrap: anywhere; }
.summary td { min-width: 6em; }
details summary { cursor: pointer; color: #0a58ca; margin: 0.4em 0; }
"""


NUMERIC = ' class="num"'


def page(title: str, body: str) -> str:
    """A whole HTML document holding ``body`` (already HTML) under ``title`` (text)."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)}</title>\n<style>\n{STYLE}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def table(headers: list[tuple[str, bool]], rows: list[list[str]], css_class: str = "") -> str:
    """A table: ``headers`` are (text, numeric) pairs; ``rows`` hold cells that are
    already HTML (each a ``<td>`` body)."""
    head = "".join(f"<th{NUMERIC if numeric else ''}>{escape(text)}</th>"
                   for text, numeric in headers)
    numeric = [flag for _, flag in headers]
    body = "\n".join("<tr>" + "".join(
        f"<td{NUMERIC if numeric[i] else ''}>{cell}</td>" for i, cell in enumerate(row))
        + "</tr>" for row in rows)
    attribute = f" class=\"{css_class}\"" if css_class else ""
    return (f"<table{attribute}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n"
            "</tbody>\n</table>")


def figure_cell(key: str, text: str) -> str:
    """A number shown on the page, marked with ``data-figure`` so that it can be read
    back (the tests check each against the gradebook)."""
    return f"<span data-figure=\"{escape(key)}\">{escape(text)}</span>"
