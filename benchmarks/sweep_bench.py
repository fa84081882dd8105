"""Sweep bench: the three seed sweeps on a real corpus, and worker scaling.

Builds the corpus and its tokenizer into ``artefacts/bench-sweep/`` (a project folder of
its own, hidden test labels included, so each trial's test F1 is scored), then:

1. runs the seed sweeps ``optimizers-cells``, ``depth`` and ``width`` with
   ``ner-kit sweep SEED --workers W --threads 1`` and times each;
2. times the notebook's small sweep (section 6; ``sweeps_section`` of notebook.yaml) with
   one worker and torch's default threads, as the notebook cell runs it;
3. times a 4-point grid twice, side by side in this run: one worker with one thread,
   then two workers with one thread each, on a study of their own.

Writes ``benchmarks/results/sweep_bench.{json,md}`` and copies each seed sweep's
table and plots into ``benchmarks/results/sweeps/<name>/``.

    python benchmarks/sweep_bench.py --source ../shared/data/conll2003
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "artefacts" / "bench-sweep"
RESULTS_DIR = ROOT / "benchmarks" / "results"
NOTEBOOK_RESULTS = ROOT / "notebooks" / "sweep_results"
SEEDS = ("optimizers-cells", "depth", "width")
#: The grid timed with one and with two workers: 4 equal-cost points.
SCALING_SWEEP = """\
name: {name}
base: rnn
settings:
  training.epochs: 2
  training.batch_size: 32
  training.group_by_length: true
  training.average_last_epochs: 1
  data.max_train: 3000
  data.max_val: 500
  model.hidden_dim: 128
  model.num_layers: 1
axes:
  seed: [1, 2, 3, 4]
sampler: grid
"""


#: The same grid with a small embedding table and a wider RNN: the optimizer's update of the
#: 7-million-weight table at every step reads and writes memory that two processes on two
#: cores share, so the default grid measures memory bandwidth as much as workers. Here each
#: trial computes.
SCALING_SWEEP_COMPUTE = SCALING_SWEEP.replace("  data.max_val: 500\n", """\
  data.max_val: 500
  model.embedding_dim: 64
""").replace("training.epochs: 2", "training.epochs: 5").replace(
    "model.hidden_dim: 128", "model.hidden_dim: 512")


def ner_kit(*args: str, threads: int = 1) -> float:
    """Run one ``ner-kit`` command in the bench folder; its wall seconds."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ner_helpers.cli.main", *args], cwd=BENCH_DIR,
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return round(time.perf_counter() - started, 1)


def prepare(source: str) -> None:
    from ner_helpers.config import kit_config
    from ner_helpers.data import build_dataset, load_split
    from ner_helpers.tokenizer import Tokenizer

    if BENCH_DIR.exists():
        shutil.rmtree(BENCH_DIR)
    BENCH_DIR.mkdir(parents=True)
    # The kit resolves paths against the nearest folder holding a pyproject.toml: this
    # one makes the bench folder a project of its own inside the repository.
    (BENCH_DIR / "pyproject.toml").write_text("# the sweep bench's project folder\n")
    build_dataset(source, BENCH_DIR / "dataset",
                  BENCH_DIR / "autograder" / "hidden" / "test_labels.json")
    settings = kit_config()["tokenizer"]
    tokenizer = Tokenizer(lowercase=settings["lowercase"]).train(
        load_split(BENCH_DIR / "dataset" / "train.json"), min_freq=settings["min_freq"],
        remove_frac=settings["remove_frac"])
    tokenizer.save(BENCH_DIR / "artefacts" / "tokenizer.json")


def read_table(name: str) -> list[dict]:
    with open(BENCH_DIR / "artefacts" / "sweeps" / name / "table.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def pivot(rows: list[dict], row_key: str, column_key: str, value: str) -> list[str]:
    """A Markdown table of ``value`` with one row per ``row_key`` value and one column per
    ``column_key`` value, in the order they first appear; the best of each row in bold."""
    row_values = list(dict.fromkeys(row[row_key] for row in rows))
    column_values = list(dict.fromkeys(row[column_key] for row in rows))
    cells = {(row[row_key], row[column_key]): row.get(value, "") for row in rows}
    lines = [f"| {row_key} | " + " | ".join(column_values) + " |",
             "|---|" + "---|" * len(column_values)]
    for row_value in row_values:
        numbers = [cells.get((row_value, c), "") for c in column_values]
        best = max((float(n) for n in numbers if n), default=None)
        shown = [f"**{n}**" if n and float(n) == best else (n or "-") for n in numbers]
        lines.append(f"| {row_value} | " + " | ".join(shown) + " |")
    return lines


def markdown(results: dict) -> str:
    lines = ["# Sweep bench", "",
             f"Source: `{results['source']}`; {results['machine']}; torch {results['torch']}; "
             f"Optuna {results['optuna']}. Seed sweeps with {results['workers']} workers of one "
             "thread each.", ""]
    for sweep in results["sweeps"]:
        if sweep["name"] == "optimizers-cells" and sweep["table"] and "test_f1" in \
                sweep["table"][0]:
            lines += ["## Test entity F1 at the best validation epoch, per optimizer and cell",
                      "", *pivot(sweep["table"], "training.optimizer", "model.cell", "test_f1"),
                      ""]
        lines += [f"## {sweep['name']}", "",
                  f"{sweep['trials']} trials in {sweep['wall_seconds']} s wall "
                  f"(load average {sweep['load_average'][0]} at the start, "
                  f"{sweep['load_average'][1]} at the end).", "",
                  (RESULTS_DIR / "sweeps" / sweep["name"] / "table.md").read_text(), ""]
    notebook = results.get("notebook_sweep")
    if notebook:
        lines += ["## The notebook's sweep", "",
                  f"`{notebook['name']}` (notebook section 6): {notebook['trials']} trials in "
                  f"{notebook['seconds']} s, one worker, torch's default threads.", ""]
    for key, title in (("scaling", "default sizes (embedding 300, hidden 128, 2 epochs)"),
                       ("scaling_compute", "small embedding table (64), hidden 512, 5 epochs")):
        scaling_run = results.get(key)

        def every(run: str, scaling_run: dict | None = scaling_run) -> str:
            return ", ".join(str(s) for s in (scaling_run or {}).get("runs", {}).get(run, []))

        if scaling_run:
            lines += [f"## Workers on one study: {title}", "",
                      "A grid of 4 equal points (the seed varies), one after the other in the "
                      "same run: one worker; two workers on one study (`--workers 2`); and, "
                      "for comparison, the same points as two independent 2-point studies "
                      "run at the same time by two unrelated commands. "
                      f"{scaling_run.get('rounds', 1)} round(s) of the three in turn; the "
                      "medians, and every run's wall time:", "",
                      "| run | wall (s) | speed-up | every run (s) |", "|---|---:|---:|---|",
                      f"| 1 worker x 1 thread | {scaling_run['one_worker_seconds']} | 1.00x | "
                      f"{every('1w')} |",
                      f"| 2 workers x 1 thread, one study | "
                      f"{scaling_run['two_workers_seconds']} | **{scaling_run['speedup']}x** | "
                      f"{every('2w')} |"]
            if "independent_seconds" in scaling_run:
                lines.append(f"| two independent studies at once | "
                             f"{scaling_run['independent_seconds']} | "
                             f"{scaling_run['independent_speedup']}x | "
                             f"{every('independent')} |")
            for workers, spans in scaling_run.get("timelines", {}).items():
                shown = ", ".join(f"{start}-{end}" for start, end in spans)
                lines.append(f"\nTrials of the last {workers} run (start-end, s after the "
                             f"command started): {shown}.")
            lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="../shared/data/conll2003",
                        help="corpus to build (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of each seed sweep (default: %(default)s)")
    parser.add_argument("--only", choices=SEEDS, action="append",
                        help="run only these seed sweeps")
    parser.add_argument("--no-scaling", action="store_true", help="skip the scaling run")
    parser.add_argument("--scaling-only", action="store_true",
                        help="time only the two 4-point grids (workers scaling), on the corpus "
                             "an earlier run built (built now if missing); update "
                             "sweep_bench.json")
    parser.add_argument("--rounds", type=int, default=3,
                        help="times each scaling run is repeated, in turn (medians are "
                             "quoted; default: %(default)s)")
    parser.add_argument("--markdown-only", action="store_true",
                        help="rewrite sweep_bench.md from sweep_bench.json, run nothing")
    args = parser.parse_args()
    if args.markdown_only:
        write_results(json.loads((RESULTS_DIR / "sweep_bench.json").read_text()))
        return 0
    if args.scaling_only:  # on the corpus an earlier run built, or built now
        if not (BENCH_DIR / "artefacts" / "tokenizer.json").is_file():
            prepare(args.source)
        results = json.loads((RESULTS_DIR / "sweep_bench.json").read_text())
        run_scaling(results, args.rounds)
        print(markdown(results))
        return 0
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    import optuna
    import torch

    prepare(args.source)
    results: dict = {"source": args.source,
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                     "torch": torch.__version__, "optuna": optuna.__version__,
                     "workers": args.workers, "sweeps": []}
    for name in args.only or SEEDS:
        print(f"sweep {name}...", flush=True)
        load_before = load_average()
        seconds = ner_kit("sweep", name, "--workers", str(args.workers), "--threads", "1",
                          "--no-progress")
        rows = read_table(name)
        target = RESULTS_DIR / "sweeps" / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(BENCH_DIR / "artefacts" / "sweeps" / name, target)
        # The instructor's precomputed study, shown by the notebook's section 6.
        shown = NOTEBOOK_RESULTS / name
        if shown.exists():
            shutil.rmtree(shown)
        shutil.copytree(target, shown)
        results["sweeps"].append({"name": name, "trials": len(rows), "wall_seconds": seconds,
                                  "load_average": [load_before, load_average()],
                                  "table": rows})
        print(f"  {len(rows)} trials in {seconds} s", flush=True)
        write_results(results)
    if not args.only:
        import yaml

        from ner_helpers.config import load_config

        spec = load_config("notebook")["sweeps_section"]["sweep"]
        path = BENCH_DIR / f"{spec['name']}.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        print("the notebook's sweep...", flush=True)
        seconds = ner_kit("sweep", str(path), "--no-progress", threads=os.cpu_count() or 1)
        results["notebook_sweep"] = {"name": spec["name"], "seconds": seconds,
                                     "trials": len(read_table(spec["name"]))}
        print(f"  {seconds} s", flush=True)
        write_results(results)
    if not args.no_scaling:
        run_scaling(results, args.rounds)
    print(markdown(results))
    return 0


def run_scaling(results: dict, rounds: int) -> None:
    """Time both scaling grids into ``results`` and write the results files."""
    results["scaling"] = scaling(SCALING_SWEEP, "scaling", rounds)
    results["scaling_compute"] = scaling(SCALING_SWEEP_COMPUTE, "scaling-compute", rounds)
    write_results(results)


def scaling(template: str, prefix: str, rounds: int = 1) -> dict:
    """Wall seconds of the 4-point grid ``template`` with one worker, then with two (one
    thread each) on one study, then as two independent 2-point studies at once, each on
    studies of their own; ``rounds`` times in turn, so a slow spell of the machine falls
    on all three alike. The speed-ups are of the medians."""
    runs: dict[str, list[float]] = {"1w": [], "2w": [], "independent": []}
    timelines: dict[str, list] = {}
    for _ in range(rounds):
        for workers in (1, 2):
            name = f"{prefix}-{workers}w"
            path = BENCH_DIR / f"{name}.yaml"
            path.write_text(template.format(name=name), encoding="utf-8")
            # A fresh study each time: the trials of an earlier run would count as done.
            (BENCH_DIR / "artefacts" / "sweeps" / f"{name}.db").unlink(missing_ok=True)
            shutil.rmtree(BENCH_DIR / "artefacts" / "experiments" / "sweeps" / name,
                          ignore_errors=True)
            print(f"4-point grid {prefix} with {workers} worker(s) of 1 thread...", flush=True)
            started = time.time()
            runs[f"{workers}w"].append(ner_kit("sweep", str(path), "--workers", str(workers),
                                               "--threads", "1", "--no-progress",
                                               "--no-report"))
            timelines[f"{workers}w"] = trial_timeline(name, started)
            print(f"  {runs[f'{workers}w'][-1]} s; trials (start, end) in s: "
                  f"{timelines[f'{workers}w']}", flush=True)
        runs["independent"].append(independent_studies(template, prefix))
    one, two, independent = (statistics.median(runs[key])
                             for key in ("1w", "2w", "independent"))
    return {"one_worker_seconds": one, "two_workers_seconds": two,
            "speedup": round(one / two, 2),
            "independent_seconds": independent,
            "independent_speedup": round(one / independent, 2),
            "rounds": rounds, "runs": runs,
            "load_average": load_average(),
            "timelines": timelines,
            "grid": template.format(name=prefix)}


def independent_studies(template: str, prefix: str) -> float:
    """Wall seconds of the same 4 points as two separate 2-point studies run at the same
    time by two unrelated one-worker commands: what the machine gives two processes
    that share nothing but its cores and memory (the bound for two workers)."""
    commands = []
    for half, seeds in (("a", "[1, 2]"), ("b", "[3, 4]")):
        name = f"{prefix}-independent-{half}"
        path = BENCH_DIR / f"{name}.yaml"
        path.write_text(template.format(name=name).replace("[1, 2, 3, 4]", seeds),
                        encoding="utf-8")
        (BENCH_DIR / "artefacts" / "sweeps" / f"{name}.db").unlink(missing_ok=True)
        shutil.rmtree(BENCH_DIR / "artefacts" / "experiments" / "sweeps" / name,
                      ignore_errors=True)
        commands.append([sys.executable, "-m", "ner_helpers.cli.main", "sweep", str(path),
                         "--threads", "1", "--no-progress", "--no-report"])
    print(f"the same points as two independent 2-point studies at once ({prefix})...",
          flush=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    started = time.perf_counter()
    running = [subprocess.Popen(command, cwd=BENCH_DIR, env=env, stdout=subprocess.DEVNULL)
               for command in commands]
    if any(process.wait() != 0 for process in running):
        raise SystemExit("an independent study failed")
    seconds = round(time.perf_counter() - started, 1)
    print(f"  {seconds} s", flush=True)
    return seconds


def trial_timeline(name: str, started: float) -> list[list[float]]:
    """Each trial's start and end, in seconds after the command started (by trial
    number), from the study's own records."""
    import optuna

    study = optuna.load_study(study_name=name,
                              storage=f"sqlite:///{BENCH_DIR / 'artefacts' / 'sweeps' / name}.db")
    return [[round(t.datetime_start.timestamp() - started, 1),
             round(t.datetime_complete.timestamp() - started, 1)]
            for t in study.get_trials(deepcopy=False)
            if t.datetime_start is not None and t.datetime_complete is not None]


def write_results(results: dict) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "sweep_bench.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS_DIR / "sweep_bench.md").write_text(markdown(results))


if __name__ == "__main__":
    sys.exit(main())
