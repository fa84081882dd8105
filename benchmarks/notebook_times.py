"""Notebook times: run the instructor notebooks top to bottom and time every cell.

Runs ``notebooks/setup.ipynb`` (it builds the dataset from ``--source`` and
trains the tokenizer), then ``notebooks/assignment.ipynb`` with the reference
solution at full data (quick mode off), in a Jupyter kernel driven by nbclient,
and writes every cell's time to ``benchmarks/results/notebook_times.{json,md}``.

    python benchmarks/notebook_times.py --source ../shared/data/conll2003

Everything the notebooks write goes into a throw-away project folder under
``artefacts/bench/notebook/``; the executed notebooks are kept there.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK_DIR = ROOT / "artefacts" / "bench" / "notebook"
RESULTS_DIR = ROOT / "benchmarks" / "results"
NOTEBOOKS = ("setup.ipynb", "assignment.ipynb")
LOAD_SAMPLE_SECONDS = 30
# Identity written before the run, so that the submission cells can pack their zips.
IDENTITY = ("s0000000", "Notebook Benchmark")


def make_project(folder: Path) -> Path:
    """A fresh project folder: a ``pyproject.toml`` (the kit resolves ``dataset/``
    and ``artefacts/`` inside it) and copies of the notebooks."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "notebooks").mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "notebook-benchmark"\n')
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, folder / "notebooks" / name)
    return folder


def kernel_environment(jupyter_dir: Path, source: str, quick: bool,
                       limit: int | None) -> dict[str, str]:
    """A ``python3`` kernel spec running this interpreter (so the kernel imports this
    checkout's kit), and the variables the notebooks read."""
    spec_dir = jupyter_dir / "kernels" / "python3"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (benchmark)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return {
        "JUPYTER_PATH": os.pathsep.join([str(jupyter_dir), os.environ.get("JUPYTER_PATH", "")]),
        "PYTHONPATH": str(ROOT),
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "NER_DATA_SOURCE": source,
        "NER_NOTEBOOK_QUICK": "1" if quick else "0",
        "NER_DATA_LIMIT": str(limit or 0),
    }


def cell_seconds(cell) -> float | None:
    """Wall time of one executed cell, from nbclient's timing metadata."""
    timing = cell.get("metadata", {}).get("execution", {})
    start = timing.get("iopub.execute_input") or timing.get("shell.execute_reply.started")
    end = timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = datetime.fromisoformat
    return round((parse(end.replace("Z", "+00:00"))
                  - parse(start.replace("Z", "+00:00"))).total_seconds(), 1)


def execute(path: Path, cell_timeout: int) -> dict:
    """Execute one notebook in place; return its cells' times and errors."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=cell_timeout, kernel_name="python3",
                            allow_errors=True, record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - started
    nbformat.write(notebook, path.with_suffix(".executed.ipynb"))
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        errors = [f"{out.ename}: {out.evalue}" for out in cell.outputs
                  if out.output_type == "error"]
        cells.append({"id": cell.id, "seconds": cell_seconds(cell), "errors": errors})
    return {"notebook": path.name, "seconds": round(seconds, 1), "cells": cells}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def markdown(results: dict) -> str:
    lines = ["# Notebook times", "",
             f"Corpus: `{results['source']}` "
             f"({'quick mode' if results['quick'] else 'quick mode off'}, "
             f"{results['limit'] or 'all'} sentences per split), reference solution; "
             f"machine: {results['machine']}; torch {results['torch']}; "
             f"threads {results['threads']}.",
             f"Load before (`uptime`): {results['uptime_before']}",
             f"Load after (`uptime`): {results['uptime_after']}",
             f"Mean one-minute load average during the run: {results['mean_load_during_run']} "
             f"(sampled every {LOAD_SAMPLE_SECONDS} s; above the core count, other programs "
             "took part of the cores).", ""]
    for run in results["notebooks"]:
        minutes = run["seconds"] / 60
        lines += [f"## {run['notebook']}: {run['seconds']} s ({minutes:.1f} min)", "",
                  "| cell | seconds | errors |", "|---|---|---|"]
        lines += [f"| `{cell['id']}` | {cell['seconds']} | {'; '.join(cell['errors'])} |"
                  for cell in run["cells"]]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="../shared/data/conll2003",
                        help="corpus the setup notebook builds the dataset from "
                             "(default: %(default)s)")
    parser.add_argument("--cell-timeout", type=int, default=3600,
                        help="seconds one cell may run (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="quick mode and no results written: checks that the script runs")
    parser.add_argument("--limit", type=int,
                        help="sentences per split of the built dataset (default: all)")
    args = parser.parse_args()

    import torch

    from ner_helpers.submission import save_identity

    source = str(Path(args.source).resolve()) if Path(args.source).exists() else args.source
    project = make_project(WORK_DIR / "project")
    save_identity(*IDENTITY, path=project / "artefacts" / "identity.json")
    os.environ.update(kernel_environment(WORK_DIR / "jupyter", source, args.quick, args.limit))
    results = {"source": args.source, "quick": args.quick, "limit": args.limit,
               "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "torch": torch.__version__, "threads": torch.get_num_threads(),
               "uptime_before": uptime(), "notebooks": []}
    samples: list[float] = []
    stop = threading.Event()

    def sample_load() -> None:  # the one-minute load average, every LOAD_SAMPLE_SECONDS
        while not stop.wait(LOAD_SAMPLE_SECONDS):
            samples.append(os.getloadavg()[0])

    threading.Thread(target=sample_load, daemon=True).start()
    for name in NOTEBOOKS:
        print(f"running {name}...", flush=True)
        run = execute(project / "notebooks" / name, args.cell_timeout)
        results["notebooks"].append(run)
        slowest = sorted(run["cells"], key=lambda cell: -(cell["seconds"] or 0))[:5]
        print(f"  {run['seconds']} s; slowest: "
              + ", ".join(f"{cell['id']} {cell['seconds']} s" for cell in slowest), flush=True)
    stop.set()
    results["uptime_after"] = uptime()
    results["mean_load_during_run"] = round(statistics.mean(samples), 2) if samples else None

    if args.quick or args.limit:
        print(markdown(results))
    else:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / "notebook_times.json").write_text(json.dumps(results, indent=2) + "\n")
        (RESULTS_DIR / "notebook_times.md").write_text(markdown(results))
    errors = [f"{run['notebook']} {cell['id']}: {error}" for run in results["notebooks"]
              for cell in run["cells"] for error in cell["errors"]]
    for error in errors:
        print("error:", error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
