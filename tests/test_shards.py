"""Shards without grading: the split is a deterministic partition, the merge of rows
files gives the bytes a single run's writer gives, and every unsound shard set is named
(the real three-shard run is in test_grader_batch.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.grader.batch import merge_shards, write_batch_outputs
from autograder.grader.settings import load_settings
from autograder.grader.shards import Shard, parse_shard, shard_of, shard_path, write_shard
from ner_helpers.errors import KitError

NAMES = [f"student-{number:02d}" for number in range(10)]


def row(name: str, score: float) -> dict:
    return {"submission": name, "student_id": f"s{name[-2:]}", "name": name.title(),
            "kind": "milestone", "status": "graded", "score": score, "max_score": 40.0,
            "TODO-1.1-1": 9.0, "hidden_tests": [["TODO-1.1-1", "lowercasing", score > 20,
                                                 "" if score > 20 else "wrong case"]]}


def test_the_split_is_a_partition_in_name_order() -> None:
    for count in (1, 3, 4, 12):
        parts = [shard_of(NAMES, Shard(index, count)) for index in range(1, count + 1)]
        assert sorted(name for part in parts for name in part) == NAMES
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
    assert shard_of(NAMES, Shard(2, 3)) == ["student-01", "student-04", "student-07"]
    assert parse_shard("2/3") == Shard(2, 3) and str(parse_shard(" 8 / 8 ")) == "8/8"
    for bad in ("0/3", "4/3", "3", "a/b", "-1/2"):
        with pytest.raises(KitError, match=r"^--shard "):
            parse_shard(bad)


def write_all(out: Path, count: int, rows: dict[str, dict], title: str = "hw1") -> None:
    for index in range(1, count + 1):
        mine = shard_of(NAMES, Shard(index, count))
        write_shard(out, Shard(index, count), title, NAMES, mine, [rows[name] for name in mine])


def test_merged_rows_give_the_single_writers_bytes(tmp_path: Path) -> None:
    settings = load_settings()
    rows = {name: row(name, 10.0 + 3 * number) for number, name in enumerate(NAMES)}
    single = tmp_path / "single"
    single.mkdir()
    write_batch_outputs([dict(r) for r in rows.values()], single, settings, "hw1")
    sharded = tmp_path / "sharded"
    write_all(sharded, 3, json.loads(json.dumps(rows)))
    report = merge_shards(sharded, settings)
    assert [r["submission"] for r in report.rows] == NAMES
    for name in ("gradebook.csv", "class-report.html"):
        assert (sharded / name).read_bytes() == (single / name).read_bytes(), name


def test_unsound_shard_sets_are_named(tmp_path: Path) -> None:
    rows = {name: row(name, 30.0) for name in NAMES}
    out = tmp_path / "out"
    with pytest.raises(KitError, match="no shard results"):
        merge_shards(out)
    write_all(out, 3, rows)
    write_shard(out, Shard(1, 2), "hw1", NAMES, shard_of(NAMES, Shard(1, 2)),
                [rows[n] for n in shard_of(NAMES, Shard(1, 2))])
    with pytest.raises(KitError, match=r"results of different splits \(N=2, N=3\)"):
        merge_shards(out)
    shard_path(out, Shard(1, 2)).unlink()
    shard_path(out, Shard(3, 3)).unlink()
    with pytest.raises(KitError, match=r"shard 3/3 did not finish .*--shard 3/3"):
        merge_shards(out)
    others = [f"other-{n}" for n in range(10)]
    write_shard(out, Shard(3, 3), "hw1", others, shard_of(others, Shard(3, 3)), [])
    with pytest.raises(KitError, match=r"shard 3/3 .*graded another folder"):
        merge_shards(out)
    mine = shard_of(NAMES, Shard(3, 3))
    write_shard(out, Shard(3, 3), "hw1", NAMES, mine, [rows[n] for n in mine[:-1]])
    with pytest.raises(KitError, match=r"shard 3/3 .*its rows are not the submissions"):
        merge_shards(out)
    shard_path(out, Shard(3, 3)).write_text("{broken")
    with pytest.raises(KitError, match=r"shard 3/3 .*unreadable results"):
        merge_shards(out)
    assert not (out / "gradebook.csv").exists()


def test_the_slurm_script_runs_one_shard_per_array_task(tmp_path: Path) -> None:
    """The docs' job-array script is valid bash and, given Slurm's array variables, runs
    grade-batch on shard TASK/COUNT (a stand-in ner-instructor records its arguments)."""
    import os
    import subprocess

    script = Path(__file__).resolve().parents[1] / "docs" / "slurm" / "grade-batch-array.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ner-instructor").write_text("#!/bin/sh\necho \"$@\" > \"$ARGS_FILE\"\n")
    (fake / "ner-instructor").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}",
           "SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "8",
           "ARGS_FILE": str(tmp_path / "args")}
    subprocess.run(["bash", str(script), "subs", "out"], check=True, env=env)
    assert (tmp_path / "args").read_text().split() == [
        "grade-batch", "subs", "--out", "out", "--shard", "3/8", "--workers", "1",
        "--no-progress"]


def test_the_late_policy_applied_again_through_the_merge(tmp_path: Path) -> None:
    """A one-shard run merged twice with the late policy: nothing is graded again, the
    second merge gives the same gradebook and keeps the first."""
    from autograder.cli.main import main as instructor_main

    rows = {name: row(name, 30.0) for name in NAMES}
    out = tmp_path / "out"
    write_all(out, 1, rows)
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\n" + "".join(
        f"s{name[-2:]},2026-10-0{1 + number % 3}T12:00:00\n" for number, name in enumerate(NAMES)))
    for _ in range(2):
        assert instructor_main(["grade-batch-merge", str(out), "--submission-times", str(times),
                                "--due", "2026-10-02T23:59"]) == 0
    book = (out / "gradebook.csv").read_text()
    assert (out / "gradebook.prev-1.csv").read_text() == book
    assert book.count("capped at 90%") == 0 and ",1,1,," in book  # one day late: a free day
