"""Time notes for the training cells, from the measured cell times.

``make bench-notebook`` (benchmarks/notebook_times.py) runs the instructor
notebook at full data on a 2-core CPU and writes every cell's time to
``benchmarks/results/notebook_times.json``. The notes below quote that file, so
after a new measurement, regenerate the notebooks to update them.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

TIMES_FILE = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "notebook_times.json"
NOTEBOOK = "assignment.ipynb"


def _results() -> dict:
    if not TIMES_FILE.is_file():
        return {}
    return json.loads(TIMES_FILE.read_text(encoding="utf-8"))


def _cell_seconds() -> dict[str, float]:
    for run in _results().get("notebooks", []):
        if run["notebook"] == NOTEBOOK:
            return {cell["id"]: cell["seconds"] for cell in run["cells"]
                    if cell["seconds"] is not None}
    return {}


def _machine() -> str:
    """The measuring machine in words: "busy" when other programs kept its cores busy
    (a mean load above its core count), which makes every time longer."""
    results = _results()
    cores = re.search(r"(\d+) cores", results.get("machine", ""))
    load = results.get("mean_load_during_run")
    count = cores.group(1) if cores else "2"
    if load is not None and load <= int(count):
        return f"a {count}-core CPU"
    return f"a busy {count}-core CPU (less on a quiet one)"


def duration(seconds: float) -> str:
    """``seconds`` in words, rounded the way a plan needs it."""
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def notebook_minutes() -> str:
    """The whole assignment notebook's measured time (all its cells), in words."""
    seconds = sum(_cell_seconds().values())
    return duration(seconds) if seconds else "not measured yet"


def time_note(cell_id: str, gpu: str) -> str:
    """A markdown line: how long ``cell_id`` took on a 2-core CPU, and what a GPU changes."""
    seconds = _cell_seconds().get(cell_id)
    measured = f"{duration(seconds)} on {_machine()}" if seconds is not None else "not measured yet"
    return f"**Time:** {measured}. {gpu}"


def with_time_note(text: str, cell_id: str, gpu: str) -> str:
    """Markdown ``text`` (indented like the cell lists) followed by the time note."""
    return textwrap.dedent(text).strip("\n") + "\n\n" + time_note(cell_id, gpu)
