"""An audit hook (PEP 578) that refuses what student code never needs.

Installed by the server after its own imports and before any student code
runs. It refuses:

- network use: ``socket.connect``, ``socket.bind``, ``socket.sendto``,
  ``socket.getaddrinfo``, ``socket.gethostbyname``;
- new processes: ``subprocess.Popen``, ``os.system``, ``os.exec*``,
  ``os.posix_spawn``, ``os.spawn``, ``os.fork``, ``os.forkpty``;
- signals to processes: ``os.kill``, ``os.killpg``, ``signal.pthread_kill`` (without
  a PID namespace the child's parent is the grader itself);
- opening a path under a masked folder (unless it lies under an exposed one)
  or a masked file.

Audit hooks see what Python itself does; C code called through ctypes is not
seen. As root the namespaces of :mod:`.confine` are the real barrier and this
hook is a second one; otherwise it is the main one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

REFUSED_EVENTS = frozenset({
    "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyaddr",
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
    "os.forkpty", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill",
})


class PathRule:
    """Which paths the child may open: none below a masked folder or equal to a masked
    file, except those below an exposed folder."""

    def __init__(self, masked_dirs: Iterable[str], masked_files: Iterable[str],
                 exposed: Iterable[str]) -> None:
        self.masked_dirs = tuple(sorted({d.rstrip("/") for d in masked_dirs}))
        self.masked_files = frozenset(masked_files)
        self.exposed = tuple(sorted({e.rstrip("/") for e in exposed}))

    @staticmethod
    def _under(path: str, folder: str) -> bool:
        return path == folder or path.startswith(folder + "/")

    def refused(self, path: str) -> bool:
        real = os.path.realpath(path)
        if real in self.masked_files:
            return True
        deepest_mask = max((d for d in self.masked_dirs if self._under(real, d)), key=len,
                           default=None)
        if deepest_mask is None:
            return False
        deepest_exposed = max((e for e in self.exposed if self._under(real, e)), key=len,
                              default=None)
        return deepest_exposed is None or len(deepest_exposed) < len(deepest_mask)


def make_hook(rule: PathRule) -> Callable[[str, tuple[Any, ...]], None]:
    refused_events = REFUSED_EVENTS

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in refused_events:
            raise PermissionError(f"not allowed while grading: {event}")
        if event == "open" and args:
            target = args[0]
            if isinstance(target, (str, bytes, os.PathLike)):
                path = os.fsdecode(target)
                if rule.refused(path):
                    raise PermissionError(f"not allowed while grading: opening {path}")

    return hook


def install(rule: PathRule) -> None:
    sys.addaudithook(make_hook(rule))
