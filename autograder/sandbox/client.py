"""The grader's side of the sandbox: start the child, send calls, enforce limits.

One child serves every call of a submission; it is started lazily and started
again only after it died or was stopped. The child gets a clean environment,
the sandbox's ``work`` folder as its working folder, stdout and stderr
redirected to size-capped files, and two dedicated pipes for the JSON
protocol. It runs inside bubblewrap where the host has it (see
:mod:`.bubblewrap`), otherwise it confines itself (see
:mod:`.child.confine`); and in a cgroup of its own where the host allows one
(see :mod:`.cgroup`).

Wall-clock limits are enforced here, per call and for all calls of the
submission together (``sandbox.submission_timeout_s``). Stopping the child
ends every process of it: the cgroup is killed, and the PID namespace ends
with its init (bubblewrap's, or the one the launcher forked), which the grader
kills directly rather than through a process group the child can leave.
Replies are capped at ``sandbox.max_message_mb`` and read into one buffer of
their announced size.
"""

from __future__ import annotations

import itertools
import json
import os
import pwd
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from autograder.grader.settings import SandboxLimits
from autograder.sandbox.bubblewrap import PROTECTIONS as BUBBLEWRAP_PROTECTIONS
from autograder.sandbox.bubblewrap import bubblewrap_command, find_bubblewrap
from autograder.sandbox.cgroup import SubmissionCgroup
from autograder.sandbox.child import protocol
from autograder.sandbox.child.confine import OOM_SCORE_ADJ
from autograder.sandbox.failures import (
    BudgetExhausted,
    ChildFailure,
    SandboxStartError,
    StudentError,
)
from autograder.sandbox.visibility import Visibility, compute_visibility
from autograder.sandbox.workspace import CHILD_PACKAGE, Workspace

BOOT = ("import sys; sys.path[:] = [sys.argv[2]] + [p for p in sys.path if p not in ('', '.')]; "
        f"from {CHILD_PACKAGE}.launch import main; main()")
STDERR_TAIL_BYTES = 4096
MEMORY_SIGNS = ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "can't allocate memory")
#: Runs the rest of its arguments as the out-of-memory killer's first choice (bubblewrap
#: and the launcher inherit it), in the cgroup whose cgroup.procs is its first argument
#: (unless empty).
WRAPPER = (f'echo {OOM_SCORE_ADJ} > /proc/self/oom_score_adj 2>/dev/null; '
           'if [ -n "$1" ]; then echo 0 > "$1" || exit 71; fi; shift; exec "$@"')
SHELL = "/bin/sh"
#: bubblewrap ends with this plus the number of the signal that killed the child.
SIGNAL_EXIT_BASE = 128
#: The confinement path, first item of the protections line.
BUBBLEWRAP_PATH = "bubblewrap"
BUILT_IN_PATH = "built-in confinement (no bubblewrap)"


class _Timeout(Exception):
    pass


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (children first), from /proc; empty without /proc."""
    parents: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1:
            parents.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    queue = list(parents.get(pid, []))
    while queue:
        current = queue.pop(0)
        found.append(current)
        queue += parents.get(current, [])
    return found


def child_user(limits: SandboxLimits) -> tuple[int, int] | None:
    """(uid, gid) the child drops to: only when the grader runs as root.

    Raises:
        SandboxStartError: ``run_as`` names no user of this machine, or root itself
            (grading would run student code as root).
    """
    if os.geteuid() != 0 or not limits.run_as:
        return None
    try:
        entry = pwd.getpwnam(limits.run_as)
    except KeyError:
        raise SandboxStartError(
            f"sandbox.run_as: there is no user {limits.run_as!r} on this machine; create it "
            "or name another unprivileged user in grading.yaml") from None
    if entry.pw_uid == 0:
        raise SandboxStartError(f"sandbox.run_as: {limits.run_as!r} is root; name an "
                                "unprivileged user in grading.yaml")
    return entry.pw_uid, entry.pw_gid


def confinement_path(limits: SandboxLimits) -> str | None:
    """The ``bwrap`` program when the child runs in bubblewrap, ``None`` for the built-in
    path.

    Raises:
        SandboxStartError: ``sandbox.bubblewrap`` is ``required`` and bubblewrap is
            missing or cannot build a sandbox on this machine.
    """
    if limits.bubblewrap == "never" or not limits.namespaces:
        return None
    program = find_bubblewrap()
    if program is None and limits.bubblewrap == "required":
        raise SandboxStartError("sandbox.bubblewrap is 'required' but bubblewrap (bwrap) is "
                                "not installed or cannot make a sandbox here (apt-get install "
                                "bubblewrap)")
    return program


def clean_environment(workspace: Workspace, limits: SandboxLimits) -> dict[str, str]:
    threads = str(limits.threads)
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workspace.work),
        "TMPDIR": str(workspace.work),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "CUDA_VISIBLE_DEVICES": "",
    }


class SandboxClient:
    """Calls into one submission's child process.

    Args:
        workspace: the sandbox folder (see :mod:`autograder.sandbox.workspace`).
        limits: the sandbox settings of ``grading.yaml``.
        secret_files: files the child must not read (the hidden labels).
    """

    def __init__(self, workspace: Workspace, limits: SandboxLimits,
                 secret_files: list[Path] | None = None) -> None:
        self.workspace = workspace
        self.limits = limits
        self.visibility: Visibility = compute_visibility(limits.masked_paths, workspace.base,
                                                         secret_files or [])
        self.protections: list[str] = []
        self.starts = 0
        self._ids = itertools.count(1)
        self._process: subprocess.Popen | None = None
        self._request_fd: int | None = None
        self._reply_fd: int | None = None
        self._hello_pending = False
        self._stderr_path: Path | None = None
        self._cgroup: SubmissionCgroup | None = None
        self._bubblewrap = confinement_path(limits)
        self._user = child_user(limits)
        #: Seconds left of ``sandbox.submission_timeout_s`` for all calls together.
        self.budget_left = float(limits.submission_timeout_s)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the child without waiting for it (it imports torch meanwhile)."""
        if self._process is not None:
            return
        number = self.starts
        self.starts += 1
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        config = {
            "request_fd": request_read,
            "reply_fd": reply_write,
            "roots_dir": str(self.workspace.roots),
            "workdir": str(self.workspace.work),
            "site_dirs": self.visibility.site_dirs,
            "masked_dirs": self.visibility.masked_dirs,
            "masked_files": self.visibility.masked_files,
            "exposed": self.visibility.exposed,
            "run_as": self.limits.run_as,
            "user_ids": list(self._user) if self._user else None,
            "namespaces": self.limits.namespaces,
            "bubblewrap": self._bubblewrap is not None,
            "work_bytes": self.limits.work_bytes,
            "max_message_bytes": self.limits.max_message_bytes,
            "limits": {
                "memory_bytes": self.limits.memory_bytes,
                "cpu_seconds": self.limits.cpu_seconds,
                "output_bytes": self.limits.output_bytes,
                "max_processes": self.limits.max_processes,
                "open_files": self.limits.open_files,
                "threads": self.limits.threads,
            },
        }
        config_path = self.workspace.output / f"child-{number}.json"
        config_path.write_text(json.dumps(config, indent=1), encoding="utf-8")
        stdout_path = self.workspace.output / f"stdout-{number}.txt"
        self._stderr_path = self.workspace.output / f"stderr-{number}.txt"
        os.chmod(config_path, 0o644)
        command = [sys.executable, "-s", "-S", "-B", "-c", BOOT, str(config_path),
                   str(self.workspace.runtime)]
        if self._bubblewrap is not None:
            command = bubblewrap_command(self._bubblewrap, self.visibility, self.workspace,
                                         self.limits, config_path, command)
        self._cgroup = SubmissionCgroup.create()
        procs = str(self._cgroup.procs) if self._cgroup is not None else ""
        command = [SHELL, "-c", WRAPPER, SHELL, procs, *command]
        try:
            with open(stdout_path, "wb") as stdout, open(self._stderr_path, "wb") as stderr:
                self._process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                    env=clean_environment(self.workspace, self.limits),
                    cwd=str(self.workspace.work), pass_fds=(request_read, reply_write),
                    start_new_session=True, close_fds=True,
                )
        except OSError as exc:
            if self._cgroup is not None:
                self._cgroup.close()
                self._cgroup = None
            os.close(request_write)
            os.close(reply_read)
            raise SandboxStartError(f"the sandbox could not start: {exc}") from None
        finally:
            os.close(request_read)
            os.close(reply_write)
        os.set_blocking(request_write, False)
        self._request_fd, self._reply_fd = request_write, reply_read
        self._hello_pending = True

    def _await_hello(self) -> None:
        deadline = time.monotonic() + self.limits.start_timeout_s
        try:
            message = self._read_frame(deadline)
        except _Timeout:
            self._kill()
            raise SandboxStartError(
                f"the sandbox did not start within {self.limits.start_timeout_s:.0f} s") from None
        if not isinstance(message, dict) or "hello" not in message:
            tail = self._stderr_tail()
            self._kill()
            raise SandboxStartError(f"the sandbox could not start: {tail or 'no output'}")
        hello = message["hello"] if isinstance(message["hello"], dict) else {}
        reported = [str(item) for item in hello.get("protections", []) if isinstance(item, str)]
        path = BUBBLEWRAP_PATH if self._bubblewrap is not None else BUILT_IN_PATH
        known = list(BUBBLEWRAP_PROTECTIONS) if self._bubblewrap is not None else []
        cgroup = ["cgroup"] if self._cgroup is not None else []
        self.protections = [path, *dict.fromkeys([*known, *cgroup, *reported])]
        self._hello_pending = False

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def close(self) -> None:
        """Stop the child (closing its request pipe first lets it end by itself)."""
        if self._process is None:
            return
        if self._request_fd is not None:
            os.close(self._request_fd)
            self._request_fd = None
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        self._kill()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _kill(self) -> int | None:
        """End every process of the child and return the launcher's exit status.

        First the children of the launcher (the PID namespace's init: killing it ends
        the namespace), then the launcher's process group, then the whole cgroup."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            for pid in _descendants(process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        returncode = process.wait()
        if self._cgroup is not None:
            self._cgroup.close()
            self._cgroup = None
        for fd in (self._request_fd, self._reply_fd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._request_fd = self._reply_fd = None
        self._process = None
        return returncode

    # ------------------------------------------------------------------ calls
    def call(self, op: str, group: str, args: dict[str, Any], timeout: float) -> Any:
        """Run one operation in the child and return its decoded result.

        Raises:
            StudentError: student code raised (the child lives on).
            ChildFailure: the child died or ran out of time (it is restarted by the
                next call).
            BudgetExhausted: the submission's calls together used up
                ``submission_timeout_s`` (before or during this call).
            SandboxStartError: the child could not start at all.
        """
        if self.budget_left <= 0:
            raise BudgetExhausted(self._budget_message())
        began = time.monotonic()
        try:
            return self._call(op, group, args, timeout)
        finally:
            self.budget_left -= time.monotonic() - began

    def _budget_message(self) -> str:
        return (f"not run: your code used up the {self.limits.submission_timeout_s:g} s that "
                "all its calls together may take while grading (code that waits or sleeps "
                "counts too)")

    def _call(self, op: str, group: str, args: dict[str, Any], timeout: float) -> Any:
        began = time.monotonic()
        self.start()
        if self._hello_pending:
            self._await_hello()
        ident = next(self._ids)
        frame = protocol.encode_frame({"id": ident, "op": op, "group": group,
                                       "args": protocol.to_wire(args)})
        left = self.budget_left - (time.monotonic() - began)
        by_budget = left < timeout
        deadline = time.monotonic() + min(timeout, max(left, 0.0))
        try:
            self._send(frame, deadline)
            reply = self._read_frame(deadline)
        except _Timeout:
            self._kill()
            if by_budget:
                raise BudgetExhausted(self._budget_message()) from None
            raise ChildFailure("timeout", f"did not finish within {timeout:g} s (an endless "
                               "loop, or far too slow)") from None
        except BrokenPipeError:
            reply = None
        except protocol.ProtocolError as exc:
            self._kill()
            raise ChildFailure("protocol", f"the grading process sent an answer the grader "
                               f"cannot read ({exc})") from None
        if reply is None:
            raise self._death()
        if not isinstance(reply, dict) or reply.get("id") != ident:
            self._kill()
            raise ChildFailure("protocol", "the grading process received a garbled answer "
                               "(does your code write to file descriptors it did not open?)")
        if "error" in reply:
            raise StudentError(reply["error"] if isinstance(reply["error"], dict) else {})
        try:
            return protocol.from_wire(reply.get("ok"))
        except protocol.ProtocolError as exc:
            raise ChildFailure("protocol", f"the result could not be read ({exc})") from None

    def _send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout()
            _, writable, _ = select.select([], [self._request_fd], [], remaining)
            if not writable:
                continue
            try:
                written = os.write(self._request_fd, view)
            except BlockingIOError:
                continue
            view = view[written:]

    def _read_frame(self, deadline: float) -> Any:
        """One frame from the reply pipe; ``None`` when the child closed it.

        The header is read first; a body larger than ``max_message_bytes`` is refused
        before anything is allocated, and a body within it is read into one buffer of its
        announced size (each byte copied once)."""
        header = bytearray(protocol.HEADER.size)
        if not self._read_into(memoryview(header), deadline):
            return None
        (size,) = protocol.HEADER.unpack(header)
        if size > self.limits.max_message_bytes:
            raise protocol.ProtocolError(f"a reply of {size} bytes is larger than the limit of "
                                         f"{self.limits.max_message_bytes}")
        body = bytearray(size)
        if not self._read_into(memoryview(body), deadline):
            return None
        return protocol.decode_body(body)

    def _read_into(self, view: memoryview, deadline: float) -> bool:
        """Fill ``view`` from the reply pipe; False when the child closed it first."""
        filled = 0
        while filled < len(view):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout()
            readable, _, _ = select.select([self._reply_fd], [], [], remaining)
            if not readable:
                continue
            count = os.readv(self._reply_fd, [view[filled:]])
            if count == 0:
                return False
            filled += count
        return True

    # ------------------------------------------------------------------ deaths
    def _stderr_tail(self) -> str:
        if self._stderr_path is None or not self._stderr_path.exists():
            return ""
        with open(self._stderr_path, "rb") as handle:
            handle.seek(max(0, self._stderr_path.stat().st_size - STDERR_TAIL_BYTES))
            return handle.read().decode("utf-8", "replace").strip()

    def _death(self) -> ChildFailure:
        """Reap the dead child and say why it died."""
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        returncode = self._kill()
        if (self._bubblewrap is not None and returncode is not None
                and returncode > SIGNAL_EXIT_BASE):
            returncode = SIGNAL_EXIT_BASE - returncode  # bwrap exits with 128 + the signal
        tail = self._stderr_tail()
        limits = self.limits
        if returncode is not None and returncode < 0:
            number = -returncode
            if number == signal.SIGXFSZ:
                return ChildFailure("output", f"printed more than {limits.output_bytes // 1024} "
                                    "KiB of output; the grading process was stopped")
            if number == signal.SIGXCPU:
                return ChildFailure("cpu", f"used more than {limits.cpu_seconds} s of CPU time")
            name = signal.Signals(number).name if number in signal.valid_signals() else number
            if any(sign in tail for sign in MEMORY_SIGNS) or number == signal.SIGKILL:
                return ChildFailure("memory", f"the grading process was killed ({name}), "
                                    "most likely for using more than the memory limit ("
                                    f"{limits.memory_bytes // (1024 * 1024)} MiB of address "
                                    "space, or the grading machine's own, smaller limit)")
            return ChildFailure("crash", f"the grading process crashed ({name})")
        if any(sign in tail for sign in MEMORY_SIGNS):
            return ChildFailure("memory", "the grading process ran out of memory (limit "
                                f"{limits.memory_bytes // (1024 * 1024)} MiB)")
        return ChildFailure("exit", f"the grading process ended with exit code {returncode} "
                            "(does your code call os._exit or exit the interpreter?)")
