"""Confining the child with bubblewrap (``bwrap``), where the host has it.

bubblewrap starts the child in new PID, IPC, network, UTS and mount
namespaces whose file system is built from nothing (an empty tmpfs root) by
an allow-list of read-only binds:

- ``/usr`` (and the ``/bin``, ``/lib``, ``/lib64``, ``/sbin`` links into it),
  ``/etc/ld.so.cache``;
- the Python installation, the virtual environment and the folders of the
  third-party packages (see :mod:`.visibility`), with the kit's own packages
  (the reference solution) covered by an empty tmpfs where they are
  installed inside one of them;
- the sandbox folder's ``runtime``, ``roots`` and ``data`` and the child's
  configuration file;
- a fresh ``/proc`` and a minimal ``/dev``;
- ``work``: a private tmpfs capped at ``sandbox.work_mb``, the only place the
  child can write.

Nothing else of the host exists for the child. ``--die-with-parent`` and the
PID namespace make every process of the sandbox end when the grader kills the
``bwrap`` process: the namespace's init dies with it, and the kernel ends
every other process of the namespace.

As root, bubblewrap runs without a user namespace (which would map the child
to root outside) and the launcher drops to ``sandbox.run_as`` once it is
inside; without root, bubblewrap makes a user namespace itself.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from autograder.grader.settings import SandboxLimits
from autograder.sandbox.visibility import Visibility
from autograder.sandbox.workspace import Workspace

#: Where the grader looks for bubblewrap (the child's clean PATH).
SEARCH_PATH = "/usr/local/bin:/usr/bin:/bin"
#: Links of merged-/usr systems (bound as folders where they are folders).
SYSTEM_LINKS = ("/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin")
#: Always visible, read-only.
SYSTEM_DIRS = ("/usr",)
SYSTEM_FILES = ("/etc/ld.so.cache",)
#: Namespaces as root: no user namespace, so that the launcher can change to run_as.
ROOT_NAMESPACES = ("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                   "--unshare-cgroup-try")
#: Namespaces otherwise: bubblewrap adds a user namespace to be allowed the rest.
USER_NAMESPACES = ("--unshare-all",)
PROBE_TIMEOUT_S = 20
#: The protections a bubblewrap sandbox gives, as the grader's protections line names them.
PROTECTIONS = ("network namespace", "pid namespace", "ipc namespace", "mount namespace",
               "allow-list file system", "private work tmpfs")


def _namespaces() -> tuple[str, ...]:
    return ROOT_NAMESPACES if os.geteuid() == 0 else USER_NAMESPACES


def _system_view() -> list[str]:
    """Arguments for /usr, the links into it and the loader cache."""
    args: list[str] = []
    for folder in SYSTEM_DIRS:
        if os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    for path in SYSTEM_LINKS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in SYSTEM_FILES:
        if os.path.isfile(path):
            args += ["--perms", "0755", "--dir", os.path.dirname(path), "--ro-bind", path, path]
    return args


@functools.cache
def find_bubblewrap() -> str | None:
    """The ``bwrap`` program when it is installed and can build a sandbox here (a
    container may forbid the namespaces it needs); checked once per process."""
    program = shutil.which("bwrap", path=SEARCH_PATH)
    if program is None:
        return None
    probe = [program, *_namespaces(), "--die-with-parent", *_system_view(), "--proc", "/proc",
             "--dev", "/dev", "--tmpfs", "/tmp", "--", "/bin/sh", "-c", "exit 0"]
    try:
        done = subprocess.run(probe, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=PROBE_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return program if done.returncode == 0 else None


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _outermost(paths: Iterable[str]) -> list[str]:
    """The paths that do not lie inside another one of them, shortest first."""
    unique = sorted(set(paths), key=lambda p: (p.count("/"), p))
    kept: list[str] = []
    for path in unique:
        if not any(_under(path, other) for other in kept):
            kept.append(path)
    return kept


def bubblewrap_command(program: str, visibility: Visibility, workspace: Workspace,
                       limits: SandboxLimits, config_path: Path, argv: list[str]) -> list[str]:
    """The ``bwrap`` command line that runs ``argv`` in the child's sandbox."""
    system = [p for p in SYSTEM_DIRS if os.path.isdir(p)]
    readable = [*visibility.exposed, *visibility.site_dirs]
    readable = [p for p in readable if os.path.exists(p)
                and not any(_under(p, folder) for folder in system)]
    readable = [p for p in readable if not _under(str(workspace.base), p)]
    sandbox = [str(workspace.runtime), str(workspace.roots), str(workspace.data),
               str(config_path)]
    binds = _outermost(readable) + sandbox
    args = [program, *_namespaces(), "--die-with-parent", "--new-session", *_system_view()]
    made: set[str] = set()
    for path in [*binds, str(workspace.work)]:
        parents = []
        parent = os.path.dirname(path)
        while parent not in ("/", "") and parent not in made:
            parents.append(parent)
            parent = os.path.dirname(parent)
        for folder in reversed(parents):
            if any(_under(folder, bound) for bound in [*system, *binds]):
                continue
            args += ["--perms", "0755", "--dir", folder]
            made.add(folder)
    for path in binds:
        args += ["--ro-bind", path, path]
    visible = [*system, *binds]
    for folder in visibility.masked_dirs:
        inside = any(_under(folder, bound) and folder != bound for bound in visible)
        holds = any(_under(bound, folder) for bound in visible)
        if inside and not holds and os.path.isdir(folder):
            args += ["--tmpfs", folder]
    for path in visibility.masked_files:
        if any(_under(path, bound) for bound in visible) and os.path.isfile(path):
            args += ["--ro-bind", "/dev/null", path]
    # The mount points come first; then the root itself turns read-only (without root,
    # the child would otherwise own it and could fill memory through it).
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(limits.work_bytes), "--perms", "1777", "--tmpfs", str(workspace.work),
             "--remount-ro", "/", "--chdir", str(workspace.work), "--", *argv]
    return args
