"""``ner-instructor demo`` end to end, as a real process in a fresh project folder: the
bundled sample corpus, short FFNN and RNN runs, the summary table, and the demo's
final submission graded like a student's (the reference solution gets every test
point). About 20 to 40 s on two cores.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.grader.settings import load_settings

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_demo_trains_summarises_and_grades_its_submission(tmp_path: Path) -> None:
    project = tmp_path / "course"
    shutil.copytree(REPO / "dataset" / "sample", project / "dataset" / "sample")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    command = [str(Path(sys.executable).parent / "ner-instructor"), "demo", "--no-progress"]
    completed = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True,
                               timeout=600)
    out = completed.stdout
    settings = load_settings()
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "Traceback" not in completed.stderr

    # The summary table: one row per model with its epochs, time and scores.
    assert re.search(r"sentences: train [\d,]+, val [\d,]+, test [\d,]+", out), out
    assert re.search(r"vocabulary: [\d,]+ ids", out)
    assert "model  epochs  seconds   val F1  test F1" in out
    for model in ("ffnn", "rnn"):
        row = re.search(rf"^{model}\s+8\s+[\d.]+\s+(0\.\d+|1\.0+)\s+(0\.\d+|1\.0+)$", out,
                        re.MULTILINE)
        assert row, f"no summary row for {model}:\n{out}"

    # The grading lines: the zip, the score, every TODO at full points, the models.
    assert "grading the demo's final submission (Reference solution, student ID demo)" in out
    assert "zip: artefacts/demo-grading/submissions/final-001.zip" in out
    todo_rows = re.findall(r"^(TODO-[\d.]+-\d+)\s+\S+\s+([\d.]+) / ([\d.]+)$", out, re.MULTILINE)
    assert [todo for todo, _, _ in todo_rows] == list(settings.kind("final").todos)
    assert all(points == maximum for _, points, maximum in todo_rows), todo_rows
    tests_max = sum(settings.todos[todo].max_points for todo in settings.kind("final").todos)
    assert re.search(rf"^all\s+hidden tests\s+{tests_max:g} / {tests_max:g}$", out,
                     re.MULTILINE), out
    assert "failed:" not in out
    performance = dict(re.findall(r"^(ffnn|rnn): F1 (\d\.\d{3}) vs baseline \d\.\d\d: ", out,
                                  re.MULTILINE))
    assert sorted(performance) == ["ffnn", "rnn"]
    assert "results: artefacts/demo-grading/results.json" in out
    assert "feedback: artefacts/demo-grading/feedback.md" in out

    # The files behind the lines.
    folder = project / "artefacts" / "demo-grading"
    results = json.loads((folder / "results.json").read_text())
    score = re.search(rf"^score: ([\d.]+) / {settings.max_score('final'):g}$", out,
                      re.MULTILINE)
    assert score and float(score.group(1)) == results["score"]
    assert sum(t["score"] for t in results["tests"] if "performance" not in t["tags"]) == \
        pytest.approx(tests_max)
    feedback = (folder / "feedback.md").read_text()
    assert "Student: Reference solution (demo)" in feedback
    with zipfile.ZipFile(folder / "submissions" / "final-001.zip") as archive:
        identity = json.loads(archive.read("identity.json"))
        assert identity == {"name": "Reference solution", "student_id": "demo"}
        assert "models/rnn/weights.pt" in archive.namelist()
    assert not (project / "artefacts" / "identity.json").exists(), \
        "the demo's identity stays in its own folder"
