"""Grading budget: wall time and peak memory of grading one realistic final submission.

Gradescope runs the autograder in a container with 768 MiB of memory by
default; the kit aims to grade a final submission within 60 s there. This
script builds a final submission of the shipped model sizes (configs/ffnn.yaml
and rnn.yaml: embedding 300, hidden 512, 2 layers) with the vocabulary of the
full training split of a corpus, grades it with ``ner-instructor grade``
(the real command, in its own process) against the full test split several
times, and measures each grading:

- wall time, from starting the command to its exit;
- memory of the grader's whole process tree (the grader and the sandboxed
  child it starts, with the child's launcher), polled every 50 ms with psutil:
  the peak of the summed RSS (shared pages counted once per process, an upper
  bound) and of the summed PSS (shared pages split between the processes that
  map them: what the tree itself occupies, the closest figure to what a
  container's memory limit counts for it);
- per process, the exact peak RSS (``VmHWM`` of ``/proc/PID/status``, read at
  every poll) and ``ru_maxrss`` from ``wait4`` on the grader (the largest peak
  of any process of the tree, exact, without polling).

Everything is built under ``artefacts/bench-grading/`` (a small project
folder: dataset, hidden labels, tokenizer, two experiments, the submission,
the grading outputs); the models are trained for one epoch on the first 500
training sentences (their size is what matters here, not their F1). Results
go to ``benchmarks/results/grading_budget.{json,md}``.

    .venv/bin/python benchmarks/grading_budget.py --source ../shared/data/conll2003

``--rebuild`` builds the submission again; ``--repeats N`` grades N times (3).
The grader runs with ``OMP_NUM_THREADS=1`` (its sandboxed child always runs
with ``sandbox.threads`` = 1 of ``grading.yaml``).
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
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "artefacts" / "bench-grading"
RESULTS_DIR = ROOT / "benchmarks" / "results"
BIN = Path(sys.executable).parent
TARGET_WALL_S = 60.0
TARGET_MEMORY_MIB = 768.0
POLL_S = 0.05
MAX_TRAIN = 500
MIB = 1024 * 1024
SUBMISSION = WORK / "submission" / "final-latest.zip"
HIDDEN_LABELS = WORK / "autograder" / "hidden" / "test_labels.json"
TEST_SPLIT = WORK / "dataset" / "test.json"


def run(command: list[str], **options: Any) -> None:
    print("$ " + " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=WORK, **options)


def build_submission(source: str) -> None:
    """The project folder, dataset, tokenizer, two one-epoch experiments and the zip."""
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    # A project root of its own: the kit resolves its paths from here.
    (WORK / "pyproject.toml").write_text("# the grading benchmark's project folder\n")
    (WORK / "notebooks").mkdir()
    shutil.copyfile(ROOT / "notebooks" / "assignment.ipynb",
                    WORK / "notebooks" / "assignment.ipynb")
    kit = str(BIN / "ner-kit")
    run([kit, "data", "--source", str(Path(source).resolve()), "--out", str(WORK / "dataset"),
         "--hidden-labels", str(HIDDEN_LABELS)])
    run([kit, "tokenizer", "--dataset-dir", str(WORK / "dataset"),
         "--out", str(WORK / "artefacts" / "tokenizer.json")])
    for model in ("ffnn", "rnn"):
        run([kit, "train", "--config", model, "--epochs", "1", "--max-train", str(MAX_TRAIN),
             "--max-val", str(MAX_TRAIN), "--device", "cpu", "--no-progress"])
    run([kit, "submit", "final", "--student-id", "bench-1", "--name", "Grading Benchmark",
         "--out-dir", str(WORK / "submission")])


def describe_submission() -> dict[str, Any]:
    import zipfile

    with zipfile.ZipFile(SUBMISSION) as archive:
        sizes = {info.filename: info.file_size for info in archive.infolist()}
        configs = {model: json.loads(archive.read(f"models/{model}/config.json"))
                   for model in ("ffnn", "rnn")}
    with open(TEST_SPLIT, encoding="utf-8") as handle:
        test_rows = json.load(handle)
    return {
        "zip_bytes": SUBMISSION.stat().st_size,
        "weights_bytes": {model: sizes[f"models/{model}/weights.pt"] for model in configs},
        "models": configs,
        "training": f"1 epoch on the first {MAX_TRAIN} training sentences (sizes matter, not F1)",
        "test_sentences": len(test_rows),
        "test_tokens": sum(len(row["text"]) for row in test_rows),
    }


def _status_bytes(pid: int, key: str) -> int:
    """A ``/proc/PID/status`` size of a process (``VmHWM``: peak RSS so far, exact;
    ``VmPeak``: peak address space, what RLIMIT_AS limits); 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(f"{key}:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def grade_once(number: int | str, extra: tuple[str, ...] = (),
               submission: Path = SUBMISSION) -> dict[str, Any]:
    """One ``ner-instructor grade`` run, its process tree polled every 50 ms."""
    out = WORK / "graded" / f"run-{number}"
    if out.exists():
        shutil.rmtree(out)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    command = [str(BIN / "ner-instructor"), "grade", str(submission), "--kind", "final",
               "--hidden-labels", str(HIDDEN_LABELS), "--test-split", str(TEST_SPLIT),
               "--out", str(out), *extra]
    load_before = os.getloadavg()
    log = open(WORK / "graded" / f"run-{number}.log", "w")  # noqa: SIM115 (closed below)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=WORK, env=env, stdout=log, stderr=subprocess.STDOUT)
    root = psutil.Process(process.pid)
    peak_rss = peak_pss = 0
    hwm: dict[int, tuple[str, int]] = {}
    vm_peak: dict[int, int] = {}
    polls = 0
    while True:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = []
        rss = pss = 0
        for proc in tree:
            try:
                info = proc.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            rss += info.rss
            pss += info.pss
            role = "grader" if proc.pid == root.pid else "child"
            hwm[proc.pid] = (role, max(hwm.get(proc.pid, (role, 0))[1],
                                       _status_bytes(proc.pid, "VmHWM")))
            if role == "child":
                vm_peak[proc.pid] = max(vm_peak.get(proc.pid, 0),
                                        _status_bytes(proc.pid, "VmPeak"))
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        polls += 1
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        time.sleep(POLL_S)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    load_after = os.getloadavg()
    if process.returncode != 0:
        raise SystemExit(f"grading failed (exit {process.returncode}); see {log.name}")
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    children = [peak for role, peak in hwm.values() if role == "child"]
    return {
        "run": number,
        "wall_s": round(wall, 2),
        "peak_tree_rss_mib": round(peak_rss / MIB, 1),
        "peak_tree_pss_mib": round(peak_pss / MIB, 1),
        "grader_peak_rss_mib": round(max((p for r, p in hwm.values() if r == "grader"),
                                         default=0) / MIB, 1),
        "largest_child_peak_rss_mib": round(max(children, default=0) / MIB, 1),
        "largest_child_vm_peak_mib": round(max(vm_peak.values(), default=0) / MIB, 1),
        "sum_of_process_peaks_mib": round(sum(p for _, p in hwm.values()) / MIB, 1),
        "ru_maxrss_mib": round(usage.ru_maxrss / 1024, 1),
        "processes": len(hwm),
        "polls": polls,
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "score": results["score"],
        "performance": [test["output"].split(";")[0] for test in results["tests"]
                        if "performance" in test.get("tags", [])],
    }


def hidden_tests_only_config() -> Path:
    """A grading.yaml whose final kind grades no model (the hidden tests alone)."""
    import yaml

    from autograder.grader.settings import default_settings_path

    data = yaml.safe_load(default_settings_path().read_text(encoding="utf-8"))
    data["kinds"]["final"]["models"] = []
    path = WORK / "grading-hidden-tests-only.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ["wall_s", "peak_tree_rss_mib", "peak_tree_pss_mib", "grader_peak_rss_mib",
            "largest_child_peak_rss_mib", "sum_of_process_peaks_mib", "ru_maxrss_mib"]
    return {key: {"median": round(statistics.median(r[key] for r in runs), 2),
                  "max": round(max(r[key] for r in runs), 2)} for key in keys}


def machine() -> dict[str, Any]:
    import torch

    return {"platform": platform.platform(), "python": platform.python_version(),
            "torch": torch.__version__, "cpus": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 1024 ** 3, 1),
            "omp_num_threads_grader": 1}


def write_markdown(report: dict[str, Any], path: Path) -> None:
    summary, runs, sub = report["summary"], report["runs"], report["submission"]
    verdict = report["verdict"]
    lines = [
        "# Grading budget: one final submission",
        "",
        f"Machine: {report['machine']['cpus']} cores, {report['machine']['memory_gib']} GiB, "
        f"{report['machine']['platform']}; Python {report['machine']['python']}, torch "
        f"{report['machine']['torch']}. Grader with OMP_NUM_THREADS=1 (its sandboxed child "
        "always uses one thread).",
        "",
        f"Submission: {sub['zip_bytes'] / MIB:.1f} MiB zip; FFNN and RNN with embedding "
        f"{sub['models']['ffnn']['embedding_dim']}, hidden {sub['models']['ffnn']['hidden_dim']},"
        f" {sub['models']['ffnn']['num_layers']} layers, vocabulary "
        f"{sub['models']['ffnn']['vocab_size']:,} ids (the full training split); weights "
        f"{sub['weights_bytes']['ffnn'] / MIB:.1f} MiB (FFNN) and "
        f"{sub['weights_bytes']['rnn'] / MIB:.1f} MiB (RNN); {sub['training']}. Scored on the "
        f"full test split: {sub['test_sentences']:,} sentences, {sub['test_tokens']:,} tokens.",
        "",
        "| measure | median | max | target |",
        "|---|---|---|---|",
        f"| wall time (s) | {summary['wall_s']['median']} | {summary['wall_s']['max']} | "
        f"{TARGET_WALL_S:g} |",
        f"| peak memory of the process tree, PSS (MiB) | {summary['peak_tree_pss_mib']['median']}"
        f" | {summary['peak_tree_pss_mib']['max']} | {TARGET_MEMORY_MIB:g} |",
        f"| peak memory of the process tree, RSS (MiB) | {summary['peak_tree_rss_mib']['median']}"
        f" | {summary['peak_tree_rss_mib']['max']} | |",
        f"| sum of each process' own peak RSS (MiB) | "
        f"{summary['sum_of_process_peaks_mib']['median']} | "
        f"{summary['sum_of_process_peaks_mib']['max']} | |",
        f"| grader process, peak RSS (MiB) | {summary['grader_peak_rss_mib']['median']} | "
        f"{summary['grader_peak_rss_mib']['max']} | |",
        f"| largest child process, peak RSS (MiB) | "
        f"{summary['largest_child_peak_rss_mib']['median']} | "
        f"{summary['largest_child_peak_rss_mib']['max']} | |",
        f"| ru_maxrss from wait4 (MiB) | {summary['ru_maxrss_mib']['median']} | "
        f"{summary['ru_maxrss_mib']['max']} | |",
        "",
        f"Verdict: {verdict}",
        "",
        f"Where the time goes: the same grading without the two models (hidden tests only, "
        f"one run) takes {report['breakdown']['hidden_tests_only_wall_s']} s, so rebuilding "
        f"both models in the sandbox, tagging the test split and scoring take about "
        f"{report['breakdown']['models_wall_s_estimate']} s of the median.",
        "",
        "| run | wall (s) | tree PSS (MiB) | tree RSS (MiB) | grader (MiB) | child (MiB) | "
        "processes | load before | load after | score |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(f"| {r['run']} | {r['wall_s']} | {r['peak_tree_pss_mib']} | "
                     f"{r['peak_tree_rss_mib']} | {r['grader_peak_rss_mib']} | "
                     f"{r['largest_child_peak_rss_mib']} | {r['processes']} | "
                     f"{' '.join(map(str, r['load_before']))} | "
                     f"{' '.join(map(str, r['load_after']))} | {r['score']:g} |")
    lines += [
        "",
        "Memory is polled every 50 ms over the grader and every process below it (the "
        "sandboxed child, and its launcher or bubblewrap's two processes). RSS counts shared "
        "pages (the Python and torch "
        "libraries) once per process; PSS splits them between the processes that map them. "
        "Per-process peaks are exact (VmHWM, ru_maxrss).",
        "",
        "Reproduce: `.venv/bin/python benchmarks/grading_budget.py --source "
        "../shared/data/conll2003` (or `make bench-grading`).",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=str(ROOT.parent / "shared" / "data" / "conll2003"),
                        help="corpus folder (default: ../shared/data/conll2003)")
    parser.add_argument("--repeats", type=int, default=3, help="gradings to measure (3)")
    parser.add_argument("--rebuild", action="store_true",
                        help="build the submission again even when it exists")
    args = parser.parse_args(argv)
    if args.rebuild or not SUBMISSION.is_file():
        build_submission(args.source)
    (WORK / "graded").mkdir(parents=True, exist_ok=True)
    runs = []
    for number in range(1, args.repeats + 1):
        runs.append(grade_once(number))
        print(json.dumps(runs[-1]), flush=True)
    summary = summarise(runs)
    tests_only = grade_once("hidden-tests-only", ("--grading-config",
                                                  str(hidden_tests_only_config())))
    print(json.dumps(tests_only), flush=True)
    breakdown = {"hidden_tests_only_wall_s": tests_only["wall_s"],
                 "models_wall_s_estimate": round(summary["wall_s"]["median"]
                                                 - tests_only["wall_s"], 2)}
    over = []
    if summary["wall_s"]["max"] > TARGET_WALL_S:
        over.append(f"wall time {summary['wall_s']['max']} s > {TARGET_WALL_S:g} s")
    if summary["peak_tree_pss_mib"]["max"] > TARGET_MEMORY_MIB:
        over.append(f"memory {summary['peak_tree_pss_mib']['max']} MiB > "
                    f"{TARGET_MEMORY_MIB:g} MiB")
    verdict = ("within both targets (" + f"{TARGET_WALL_S:g} s, {TARGET_MEMORY_MIB:g} MiB)"
               if not over else "over target: " + "; ".join(over))
    report = {"machine": machine(), "submission": describe_submission(),
              "targets": {"wall_s": TARGET_WALL_S, "memory_mib": TARGET_MEMORY_MIB},
              "summary": summary, "verdict": verdict, "runs": runs, "breakdown": breakdown,
              "command": "python benchmarks/grading_budget.py --source ../shared/data/conll2003"}
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "grading_budget.json").write_text(json.dumps(report, indent=2) + "\n")
    write_markdown(report, RESULTS_DIR / "grading_budget.md")
    print(verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
