"""Confining the child process before any student code is imported.

Runs first thing in the child, using only the standard library. Always,
first: ``oom_score_adj`` is set to 1000, so that when memory runs out
(Gradescope's container has 768 MiB) the kernel's out-of-memory killer picks
the child, which the grader reports as a failed test, and not the grader.

In bubblewrap (see :mod:`autograder.sandbox.bubblewrap`) the namespaces, the
allow-list file system and the private work tmpfs are in place already; what
is left is done here: resource limits, and as root the change to the
unprivileged user (``nobody``), so that the mounts cannot be undone.

Without bubblewrap (the built-in path), as root:

1. new network, mount, PID and IPC namespaces (``unshare``): the child has no
   network interface but a down loopback, its own view of the file system, its
   own process tree and its own SysV IPC objects;
2. in the new mount namespace, every masked path (the grader's source tree
   with the reference solution, the hidden labels, /root, /tmp, ...) is
   covered by an empty read-only-for-others tmpfs or by /dev/null, and only the
   paths the child needs (the Python installation, site-packages, the sandbox
   folder) are bound back in; the working folder gets a tmpfs of its own,
   capped at ``sandbox.work_mb``;
3. the process forks: the new process is PID 1 of the namespace, so when it
   ends (the grader kills it directly) every process it started ends too; it
   mounts a fresh /proc;
4. resource limits (address space, CPU time, file size, processes, open
   files, no core files);
5. it drops to the unprivileged user. A user that does not exist, or one that
   cannot read the Python installation, stops the child before any student
   code runs (the grader reports it and stops).

Not as root: resource limits, and the same namespaces inside a user namespace
when the kernel allows unprivileged ones. The audit hook installed by the
server (see :mod:`.audit`) is the remaining line: it refuses sockets, new
processes and opening masked paths, but code that calls C functions directly
(ctypes) can get past it.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
#: The child is the first process the out-of-memory killer picks (the most it allows).
OOM_SCORE_ADJ = 1000
OOM_SCORE_ADJ_FILE = "/proc/self/oom_score_adj"
#: Exit status of a launcher that refuses to run student code unconfined.
EXIT_UNCONFINED = 70

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def _encode(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def mount(source: str | None, target: str, fstype: str | None, flags: int,
          data: str | None = None) -> None:
    _libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                            ctypes.c_char_p]
    _check(_libc.mount(_encode(source), _encode(target), _encode(fstype), flags, _encode(data)),
           f"mount {target}")


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(value), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0)), "prctl")


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def mask_paths(masked_dirs: list[str], masked_files: list[str], exposed: list[str]) -> None:
    """Cover ``masked_dirs`` with empty tmpfs mounts and ``masked_files`` with /dev/null,
    binding each ``exposed`` path back in at its place. Needs a private mount namespace.

    Exposed paths are opened before anything is covered; the bind mounts use
    those handles (``/proc/self/fd/N``), so they work even when an exposed path
    lies below a masked one.
    """
    exposed = sorted({p for p in exposed if os.path.exists(p)})
    exposed = [p for p in exposed if not any(_under(p, q) and p != q for q in exposed)]
    handles = {p: os.open(p, os.O_PATH | (os.O_DIRECTORY if os.path.isdir(p) else 0))
               for p in exposed}
    covered: list[str] = []  # masks already mounted
    for folder in sorted(set(masked_dirs), key=len):
        hidden_by = [m for m in covered if _under(folder, m)]
        inside_exposed = any(_under(folder, p) for p in exposed)
        if hidden_by and not inside_exposed:
            continue  # already invisible below an earlier mask
        if not os.path.isdir(folder) or os.path.islink(folder):
            continue
        if any(_under(p, folder) and p == folder for p in exposed):
            continue  # the folder itself is needed
        mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=755")
        covered.append(folder)
        for path in exposed:
            if _under(path, folder) and path != folder:
                if os.path.isdir(f"/proc/self/fd/{handles[path]}"):
                    os.makedirs(path, mode=0o755, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                    open(path, "a").close()
                mount(f"/proc/self/fd/{handles[path]}", path, None, MS_BIND | MS_REC)
    for path in sorted(set(masked_files)):
        hidden = any(_under(path, m) for m in covered) and not any(
            _under(path, p) for p in exposed)
        if not hidden and os.path.isfile(path):
            mount("/dev/null", path, None, MS_BIND)
    for handle in handles.values():
        os.close(handle)


def set_limits(limits: dict[str, Any], with_processes: bool) -> None:
    """Resource limits of this process and everything it starts."""
    pairs = [
        (resource.RLIMIT_AS, limits["memory_bytes"]),
        (resource.RLIMIT_CPU, limits["cpu_seconds"]),
        (resource.RLIMIT_FSIZE, limits["output_bytes"]),
        (resource.RLIMIT_NOFILE, limits["open_files"]),
        (resource.RLIMIT_CORE, 0),
    ]
    if with_processes:
        pairs.append((resource.RLIMIT_NPROC, limits["max_processes"]))
    for kind, value in pairs:
        _, hard = resource.getrlimit(kind)
        value = int(value) if hard == resource.RLIM_INFINITY else min(int(value), hard)
        resource.setrlimit(kind, (value, value))


def prefer_for_oom_kill(value: int = OOM_SCORE_ADJ) -> bool:
    """Make this process (and the processes it starts, which inherit the value) the
    out-of-memory killer's first choice. Raising the value needs no privilege; returns
    False when the file cannot be written (no /proc, an unusual kernel)."""
    try:
        with open(OOM_SCORE_ADJ_FILE, "w") as handle:
            handle.write(str(value))
    except OSError:
        return False
    return True


def _relay_child(pid: int, close_fds: list[int]) -> None:
    """The launcher's part after the fork: wait for PID 1 of the namespace and end
    the same way it ended (same exit code, or killed by the same signal)."""
    for fd in close_fds:
        os.close(fd)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _open_to_others(path: str) -> bool:
    """Whether users other than the owner can reach ``path`` (every folder on the way
    searchable by others)."""
    current = os.path.realpath(path)
    while True:
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return False
        if not mode & 0o001:
            return False
        parent = os.path.dirname(current)
        if parent == current:
            return True
        current = parent


def _map_self(uid: int, gid: int) -> None:
    """In a new user namespace, map this process' own user and group to themselves
    (files it makes in its own tmpfs need a mapped owner)."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"),
                       ("gid_map", f"{gid} {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
        except OSError:
            pass


def _fail(message: str) -> None:
    """Say why on stderr (the grader shows its tail) and end before any student code."""
    os.write(2, f"sandbox: {message}\n".encode())
    os._exit(EXIT_UNCONFINED)


def _drop_user(ids: list[int] | None) -> bool:
    """Change to the unprivileged user (as root); False when there is none to change to."""
    if not ids:
        return False
    uid, gid = ids
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        _fail(f"could not change to user id {uid}")
    return True


def _finish(config: dict[str, Any], protections: list[str], ids: list[int] | None,
            detached: bool) -> list[str]:
    """Limits, user change and the last flags, common to every path."""
    set_limits(config["limits"], with_processes=bool(ids))
    protections.append("resource limits")
    if _drop_user(ids):
        protections.append(f"user {config.get('run_as')}")
    try:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        # Set after the user change (which clears it): die with the parent.
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass
    if detached and os.getppid() == 1:
        os._exit(1)  # the grader is already gone
    os.chdir(config["workdir"])
    sys.stdin = open(os.devnull)  # noqa: SIM115 (kept open for the process' lifetime)
    return protections


def _private_work(workdir: str, size: int) -> bool:
    """A tmpfs of ``size`` bytes on the working folder (needs a private mount namespace)."""
    try:
        mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(size)},mode=1777")
    except OSError:
        return False
    return True


def apply(config: dict[str, Any]) -> list[str]:
    """Confine this process as far as possible; return the protections now active.

    In bubblewrap (``config["bubblewrap"]``) the namespaces and the file system
    are already in place: only the limits and the user change are left.
    Otherwise, with namespaces on, this unshares and forks: the original process
    stays behind as a silent parent that mirrors the exit of the confined one
    (PID 1 of the new namespace) and never returns from here.
    """
    protections: list[str] = []
    prefer_for_oom_kill()  # before the fork below: the launcher and PID 1 both get it
    is_root = os.geteuid() == 0
    ids = config.get("user_ids") if is_root else None
    if is_root and config.get("run_as") and not ids:
        _fail(f"the user {config['run_as']!r} to run as is unknown")
    if config.get("bubblewrap"):
        return _finish(config, protections, ids, detached=False)

    wanted = bool(config["namespaces"])
    in_pid_namespace = False
    if wanted:
        user = 0 if is_root else CLONE_NEWUSER
        outer = (os.getuid(), os.getgid())
        try:
            unshare(user | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC)
            protections += ["network namespace", "mount namespace", "pid namespace",
                            "ipc namespace"]
            in_pid_namespace = True
        except OSError:
            try:
                unshare(user | CLONE_NEWNET | CLONE_NEWIPC)
                protections += ["network namespace", "ipc namespace"]
            except OSError:
                pass
        if user and protections:
            _map_self(*outer)
        if in_pid_namespace:
            try:
                mount(None, "/", None, MS_REC | MS_PRIVATE)
                mask_paths(config["masked_dirs"], config["masked_files"], config["exposed"])
                protections.append("masked paths")
            except OSError:
                if is_root:
                    raise
            if _private_work(config["workdir"], config["work_bytes"]):
                protections.append("private work tmpfs")

    if in_pid_namespace:
        pid = os.fork()
        if pid != 0:
            _relay_child(pid, [config["request_fd"], config["reply_fd"]])
        try:
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except OSError:
            pass

    needed = [sys.base_prefix, sys.prefix, *config["site_dirs"], config["workdir"]]
    if ids and "masked paths" not in protections:
        closed = [path for path in needed if not _open_to_others(path)]
        if closed:
            _fail(f"the user {config['run_as']!r} cannot read {closed[0]} (make it readable "
                  "to others, install bubblewrap, or set sandbox.run_as)")
    return _finish(config, protections, ids, detached=not in_pid_namespace)
