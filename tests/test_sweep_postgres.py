"""Sweeps on a real PostgreSQL server, started by the test in a temporary folder.

Skipped when the server's binaries (``initdb``, ``pg_ctl``) are missing; ``.ci/run``
installs them. As root, the server runs as the ``postgres`` user (initdb refuses root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("optuna")
pytest.importorskip("psycopg2")

from sweep_project import (  # noqa: E402
    assert_grid_complete_once,
    command,
    environment,
    make_project,
    ner_kit,
    study_trials,
    write_sweep,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sweep-postgres")]
PASSWORD = "kit-secret"


def postgres_bin() -> Path | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").is_file() and Path(folder, "pg_ctl").is_file():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    """A running server on a free port; yields the URL of its ``postgres`` database."""
    binaries = postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    prefix: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="sweep-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server")
        prefix = ["runuser", "-u", "postgres", "--"]
        os.chown(folder, user.pw_uid, user.pw_gid)
    (folder / "password").write_text(PASSWORD)
    if prefix:
        os.chown(folder / "password", pwd.getpwnam("postgres").pw_uid, -1)
    data = folder / "data"
    port = free_port()
    subprocess.run([*prefix, str(binaries / "initdb"), "-D", str(data), "-U", "kit",
                    "--auth=scram-sha-256", f"--pwfile={folder / 'password'}"],
                   check=True, capture_output=True)
    subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-w", "-l",
                    str(folder / "server.log"), "-o",
                    f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True)
    try:
        yield f"postgresql://kit:{PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_two_workers_on_one_postgres_study_run_each_point_once(tmp_path, postgres_url):
    project = make_project(tmp_path)
    sweep = write_sweep(project, "pg-grid")
    workers = [subprocess.Popen(command(project, "sweep", str(sweep), "--storage", postgres_url,
                                        "--no-progress", "--no-report", "--threads", "1"),
                                cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=environment())
               for _ in range(2)]
    for worker in workers:
        _, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err[-3000:]
    trials = study_trials(postgres_url, "pg-grid")
    assert len(trials) == 4
    assert_grid_complete_once(trials)
    report = ner_kit(project, "sweep-report", "pg-grid", "--storage", postgres_url,
                     "--no-plots").stdout
    assert report.count("| complete |") == 4


def test_wrong_password_is_one_line(tmp_path, postgres_url):
    sweep = write_sweep(tmp_path, "pg-refused")
    wrong = postgres_url.replace(PASSWORD, "not-the-password")
    done = ner_kit(tmp_path, "sweep", str(sweep), "--storage", wrong, expect=2)
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"error: {sweep}: storage: cannot open postgresql://kit:***@")
    assert "password authentication failed" in done.stderr
    assert "not-the-password" not in done.stderr
    assert not (tmp_path / "artefacts" / "experiments").exists()
