"""Optional section 6 of the assignment notebook: sweeps.

The instructor's precomputed seed sweeps (``notebooks/sweep_results/``, written by
``make bench-sweep``) as tables and plots, a small sweep the student reruns on a slice
(``sweeps_section`` of notebook.yaml), and written questions (manually graded). No
graded TODO. The release ships this section only when ``optional_sections.sweeps`` of
autograder/config/release.yaml is on.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from cell_times import duration
from cells import answer, code, markdown, read_only

BENCH_FILE = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "sweep_bench.json"
GPU_SWEEP = ("On a GPU (see `setup.ipynb`) PyTorch's GRU and LSTM run on cuDNN and gain the "
             "most; the hand-written RNN's steps still run one after another.")


def question(cell_id: str, points: int, text: str) -> dict:
    unit = "point" if points == 1 else "points"
    return read_only(cell_id, f"{textwrap.dedent(text).strip()} *({points} {unit})*")


def rerun_time_note() -> str:
    """The measured time of the rerun cell, from ``make bench-sweep``."""
    measured = "not measured yet"
    if BENCH_FILE.is_file():
        results = json.loads(BENCH_FILE.read_text(encoding="utf-8"))
        run = results.get("notebook_sweep")
        if run:
            cores = re.search(r"(\d+) cores", results.get("machine", ""))
            machine = f"a {cores.group(1)}-core CPU" if cores else "a CPU"
            measured = (f"{duration(run['seconds'])} on {machine} ({run['trials']} trials, "
                        f"{run['seconds']:.0f} s, measured by `make bench-sweep`)")
    return f"**Time:** {measured}. {GPU_SWEEP}"


def cells() -> list[dict]:
    return [
        read_only("sweeps-title", """
            ## 6 Sweeps: optimizers, depth, width and recurrent cells

            *Optional section.* A **sweep** trains one experiment per point of a grid of
            settings and compares them. The kit runs sweeps with `ner-kit sweep FILE.yaml`
            on [Optuna](https://optuna.org): each trial is an ordinary experiment folder
            (checkpoints, `metrics.jsonl`, the best model), and at the end a table and plots
            compare them. Three seed sweeps come with the kit: six optimizers (SGD, SGD with
            momentum, Adagrad, RMSprop, Adam, AdamW) against four recurrent cells (your
            hand-written RNN, `torch.nn.RNN`, GRU and LSTM), depth (1 to 4 layers) and width
            (128 to 1,024 hidden units). Your instructor ran them on the full corpus; their
            results are below. The commands, the sweep file and how to share a sweep between
            machines are in `docs/sweeps.md` of the kit.
            """),
        markdown("sweeps-results-intro", """
            **The instructor's sweeps.** For each seed sweep: the table (validation entity F1
            of the kept epoch, test entity F1 of that epoch's model, training time,
            parameters, best epoch), the validation F1 against each axis, and the learning
            curves of each axis value overlaid.
            """),
        code("sweeps-results", """
            from IPython.display import Image, Markdown, display

            SWEEP_RESULTS = resolve_path("notebooks/sweep_results")
            for sweep_name in ("optimizers-cells", "depth", "width"):
                folder = SWEEP_RESULTS / sweep_name
                if not (folder / "table.md").is_file():
                    print(f"{sweep_name}: no precomputed results in {folder}")
                    continue
                display(Markdown(f"### {sweep_name}\\n\\n" + (folder / "table.md").read_text()))
                display(Image(filename=str(folder / "metric_by_axis.png")))
                display(Image(filename=str(folder / "curves_by_axis.png")))
            """),
        markdown("sweeps-rerun-intro", """
            **Your own sweep.** The cell below writes a small sweep file (the recurrent cells
            on a slice of the training split, from `notebook.yaml`) and runs it. Change
            `spec` to sweep something else, for example `training.optimizer` or
            `model.bidirectional` (give it a new `name`: a study remembers the file it was
            made from, and refuses another one under the same name). Running the cell again
            does not train again: the finished trials are kept.
            """ + "\n\n" + rerun_time_note()),
        code("sweeps-rerun", """
            import yaml

            from ner_helpers.cli.main import main as ner_kit_command

            SECTION_6 = NOTEBOOK["sweeps_section"]
            spec = dict(SECTION_6["sweep"])
            if QUICK:
                spec = {**spec, "name": SECTION_6["quick_name"], "axes": SECTION_6["quick_axes"],
                        "settings": {**spec["settings"], **SECTION_6["quick_settings"]}}
            SWEEPS_DIR = resolve_path(KIT["paths"]["artefacts_dir"]) / "sweeps"
            SWEEPS_DIR.mkdir(parents=True, exist_ok=True)
            sweep_file = SWEEPS_DIR / f"{spec['name']}.yaml"
            sweep_file.write_text(yaml.safe_dump(spec, sort_keys=False))
            started = time.perf_counter()
            exit_code = ner_kit_command(["sweep", str(sweep_file), "--no-report",
                                         *([] if SHOW_PROGRESS else ["--no-progress"])])
            print(f"exit code {exit_code}; {time.perf_counter() - started:.0f} s")
            """),
        code("sweeps-rerun-report", """
            ner_kit_command(["sweep-report", spec["name"]])
            report_dir = SWEEPS_DIR / spec["name"]
            display(Image(filename=str(report_dir / "metric_by_axis.png")))
            display(Image(filename=str(report_dir / "curves_by_axis.png")))
            """),
        question("question-6_1", 2, """
            **Question 6.1.** In the instructor's optimizers x cells table, which optimizer
            does best for each cell, and which does worst? Plain SGD updates every weight by
            the same learning rate times its gradient; Adagrad, RMSprop and Adam scale each
            weight's step by its own gradient history. Use that difference (and the size of
            the embedding table, most of whose rows see a gradient only now and then) to
            explain what you see.
            """),
        answer("answer-6_1", 2, """
            Model answer (check against the shipped table): the adaptive optimizers (Adam,
            AdamW, RMSprop, Adagrad) reach a clearly higher validation F1 than plain SGD for
            every cell within the few epochs of the sweep; SGD with momentum closes part of
            the gap. The embedding table holds most of the parameters, and a rare word's row
            gets a gradient only in the few batches that contain it: with one global
            learning rate these rows barely move under SGD, while per-weight scaling (dividing
            by the root of the running squared gradient) gives rarely updated weights larger
            steps, so names and rare words get useful embeddings quickly. Adagrad's
            accumulated history only grows, so its steps shrink over time; Adam adds momentum
            and bias correction. Differences between the gated cells and the plain ones are
            smaller than between SGD and the adaptive optimizers, and a good answer notes
            that the learning rates were set per optimizer (`linked` in the sweep file), so
            the comparison is at a sensible rate for each and not at one shared one.
            """),
        question("question-6_2", 2, """
            **Question 6.2.** Look at the depth and width sweeps. Does more capacity (more
            layers, more hidden units) buy validation F1 here? Relate your answer to the
            training time and the parameter count in the tables, to the amount of training
            data the sweeps used, and to the learning curves: what would you change before
            concluding that deeper or wider models do not help?
            """),
        answer("answer-6_2", 2, """
            Model answer: on a slice of the training split and a few epochs, the gain from more
            capacity is small or absent; the widest and deepest settings cost several times the
            training time (a hand-written RNN's time grows with depth, one layer after another
            at every step, and its per-step products grow with the square of the width), and
            the parameter count grows with them while the embedding table stays the same.
            Deeper plain RNNs are also harder to train: gradients pass through more
            nonlinearities, and the learning curves of 3 and 4 layers start lower and rise
            more slowly, some still rising at the last epoch. Before concluding, one should
            train on the full split, for more epochs (the curves have not flattened), tune the
            learning rate per size, and repeat with a few seeds to see whether the differences
            exceed the run-to-run noise; gated cells (GRU, LSTM) are the usual way to make
            depth pay off.
            """),
        question("question-6_3", 2, """
            **Question 6.3.** From your own sweep: compare your hand-written RNN with PyTorch's
            gated cells (GRU, LSTM) on validation F1, parameters and training time. What do
            the gates add to the recurrence, and why should that help a tagger that must carry
            information (a title, a preposition) across several tokens?
            """),
        answer("answer-6_3", 2, """
            Model answer: the GRU has three and the LSTM four times the recurrent weights of
            the plain RNN at the same width, and on a CPU PyTorch's fused cells train about as
            fast as, or faster than, the hand-written loop despite the extra weights. The gated
            cells usually reach a higher validation F1. The gates are learned, input-dependent
            switches: an update or forget gate near 1 copies the state forward almost
            unchanged, so information from several tokens back (a title such as "Mr.", a
            preposition such as "in" before a location) survives, and the gradient flows back
            through the copy path without shrinking at every step, unlike `z_t = f(W x_t + U
            z_{t-1})`, which rewrites the whole state at every token. With few epochs and
            little data the differences can be small, and a careful answer says how large they
            are compared with the differences between optimizers.
            """),
    ]
