"""A cgroup (version 2) per submission, where the host lets the grader make one.

Every process the child starts stays in its cgroup, whatever it does
(``setsid``, double forks, a cleared parent-death signal): at the end of the
submission the grader kills the cgroup's processes (``cgroup.kill``, or one
``SIGKILL`` each on kernels without it) and removes the cgroup. This holds
next to the PID namespace, which ends its processes when its init dies; the
cgroup also catches processes of a sandbox without a PID namespace.

The grader needs write access to the cgroup version 2 tree it runs in: as
root on a host with cgroup v2 (or the hybrid layout's ``unified`` tree);
containers usually mount it read-only, and then there is no cgroup.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

MOUNTS = "/proc/self/mounts"
OWN_CGROUP = "/proc/self/cgroup"
PREFIX = "ner-grading"
#: How long :meth:`SubmissionCgroup.close` waits for the killed processes to go.
DRAIN_TIMEOUT_S = 5.0
DRAIN_POLL_S = 0.01
_numbers = itertools.count()


def _own_cgroup_dir() -> Path | None:
    """The cgroup v2 folder this process belongs to, when it is writable."""
    try:
        with open(MOUNTS, encoding="utf-8") as handle:
            mounts = [line.split() for line in handle]
        with open(OWN_CGROUP, encoding="utf-8") as handle:
            own = [line.strip().split(":", 2) for line in handle]
    except OSError:
        return None
    relative = next((parts[2] for parts in own if len(parts) == 3 and parts[0] == "0"), None)
    if relative is None:
        return None
    for fields in mounts:
        if len(fields) >= 3 and fields[2] == "cgroup2":
            folder = Path(fields[1].replace("\\040", " ")) / relative.lstrip("/")
            if (folder / "cgroup.procs").is_file() and os.access(folder, os.W_OK):
                return folder
    return None


class SubmissionCgroup:
    """One cgroup for the processes of one child start."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls) -> SubmissionCgroup | None:
        """A new, empty cgroup below the grader's own; ``None`` where none can be made."""
        parent = _own_cgroup_dir()
        if parent is None:
            return None
        path = parent / f"{PREFIX}-{os.getpid()}-{next(_numbers)}"
        try:
            path.mkdir()
        except OSError:
            return None
        return cls(path)

    @property
    def procs(self) -> Path:
        """The file a process writes ``0`` to, to move itself into the cgroup."""
        return self.path / "cgroup.procs"

    def pids(self) -> list[int]:
        try:
            return [int(line) for line in self.procs.read_text().split()]
        except (OSError, ValueError):
            return []

    def kill(self) -> None:
        """SIGKILL every process in the cgroup (new ones included, with cgroup.kill)."""
        kill_file = self.path / "cgroup.kill"
        if kill_file.is_file():
            try:
                kill_file.write_text("1")
                return
            except OSError:
                pass
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(DRAIN_POLL_S)

    def close(self) -> None:
        """Kill what is left and remove the cgroup (once its processes are gone)."""
        self.kill()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while True:
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(DRAIN_POLL_S)
