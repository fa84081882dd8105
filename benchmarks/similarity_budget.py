"""Similarity budget: wall time and peak memory of ``ner-instructor similarity`` on a class.

Generates a class of final submission zips (300 by default) under
``artefacts/bench-similarity/``: each student writes, for every TODO, one of the
independent correct solutions (tests/similarity_corpus.py: the reference and the
catalogue's whole-body alternatives), chosen by a seeded random draw, with every
assigned name renamed to the student's own and the comments changed; every tenth
student hands in a disguised copy of another student's code (renamed, reordered,
unused lines added). Then it runs the real command, in its own process, against
that folder and a folder of known solutions, and measures:

- wall time, from starting the command to its exit (reading and unpacking every
  zip, regions, fingerprints, all pairs, the report);
- peak memory: ``ru_maxrss`` of the command's process (exact peak RSS, from
  ``wait4``).

Results go to ``benchmarks/results/similarity_budget.{json,md}``; the target is
under 2 minutes on the machine's 2 cores.

    .venv/bin/python benchmarks/similarity_budget.py --students 300
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
WORK = ROOT / "artefacts" / "bench-similarity"
RESULTS_DIR = ROOT / "benchmarks" / "results"
BIN = Path(sys.executable).parent
TARGET_WALL_S = 120.0
COPY_EVERY = 10
SEED = 2026


def generate_class(folder: Path, known: Path, students: int, seed: int) -> None:
    """Write ``students`` final submission zips into ``folder`` and one known solution
    (the reference, laid out as the original course's package) into ``known``."""
    from similarity_corpus import (
        change_comments,
        independent_solutions,
        planted_copy,
        rename_identifiers,
        solution_file,
    )

    from autograder.similarity.regions import submitted_reference
    from autograder.similarity.regions import todo_specs as specs

    rng = random.Random(seed)
    solutions = independent_solutions()
    by_file: dict[str, list[str]] = {}
    for spec in specs():
        by_file.setdefault(spec.file, []).append(spec.todo)
    written: list[dict[str, str]] = []
    for index in range(students):
        if index % COPY_EVERY == COPY_EVERY - 1 and written:
            source = written[rng.randrange(len(written))]
            bodies = {todo: planted_copy(code) for todo, code in source.items()}
        else:
            bodies = {}
            for todo, authors in sorted(solutions.items()):
                code = authors[sorted(authors)[rng.randrange(len(authors))]]
                bodies[todo] = change_comments(rename_identifiers(code).replace(
                    "my_", f"s{index}_"))
        written.append(bodies)
        path = folder / f"student{index:04d}_final-001.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("identity.json", json.dumps(
                {"student_id": f"student{index:04d}", "name": f"Student {index}"}))
            archive.writestr("submission.json", json.dumps({"kind": "final"}))
            for file, todos in by_file.items():
                archive.writestr(f"ner_helpers/{file}", solution_file(
                    file, {todo: bodies[todo] for todo in todos}))
    package = known / "public-repo" / "ner" / "nn" / "models"
    package.mkdir(parents=True)
    (package / "rnn.py").write_text(submitted_reference(
        (ROOT / "ner_helpers" / "rnn.py").read_text(encoding="utf-8")), encoding="utf-8")


def measure(folder: Path, known: Path, out: Path) -> dict[str, float]:
    """Run the command once; its wall time and peak RSS."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    command = [str(BIN / "ner-instructor"), "similarity", str(folder), "--known", str(known),
               "--out", str(out), "--no-progress"]
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stdout = process.stdout.read() if process.stdout else ""
    stderr = process.stderr.read() if process.stderr else ""
    process.returncode = 0
    if not (out / "similarity.html").exists():
        raise SystemExit(f"the command failed:\n{stdout}\n{stderr}")
    return {"wall_s": round(wall, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "user_cpu_s": round(usage.ru_utime, 2), "system_cpu_s": round(usage.ru_stime, 2),
            "summary": stdout.splitlines()[0] if stdout else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300, help="class size (300)")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed of the class")
    parser.add_argument("--reuse", action="store_true",
                        help="compare the class generated by the last run again")
    args = parser.parse_args()
    folder, known, out = WORK / "class", WORK / "known", WORK / "out"
    generated = 0.0
    if not (args.reuse and len(list(folder.glob("*.zip"))) == args.students):
        if WORK.exists():
            shutil.rmtree(WORK)
        folder.mkdir(parents=True)
        generated = time.perf_counter()
        generate_class(folder, known, args.students, args.seed)
        generated = time.perf_counter() - generated
    elif out.exists():
        shutil.rmtree(out)
    result = measure(folder, known, out)
    pairs = args.students * (args.students - 1) // 2 + args.students
    record = {
        "students": args.students,
        "pairs": pairs,
        "generation_s": round(generated, 1),
        **result,
        "target_wall_s": TARGET_WALL_S,
        "within_target": result["wall_s"] < TARGET_WALL_S,
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "own_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "similarity_budget.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = [
        "# Similarity budget",
        "",
        f"`ner-instructor similarity` on {args.students} generated final submissions and one "
        f"known solution ({pairs:,} pairs, 10 TODOs each), {record['cpus']} CPUs, "
        f"Python {record['python']}.",
        "",
        "| wall time | peak RSS | user CPU | system CPU | target |",
        "|---:|---:|---:|---:|---:|",
        f"| {result['wall_s']:.1f} s | {result['peak_rss_mib']:.0f} MiB | "
        f"{result['user_cpu_s']:.1f} s | {result['system_cpu_s']:.1f} s | "
        f"under {TARGET_WALL_S:.0f} s |",
        "",
        f"Command output: {result['summary']}",
    ]
    (RESULTS_DIR / "similarity_budget.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
