"""The grader's side of the sandbox: start the child, send calls, enforce limits.

One child serves every call of a submission; it is started lazily and started
again only after it died or was stopped. The child gets a clean environment,
the sandbox's ``work`` folder as its working folder, stdout and stderr
redirected to size-capped files, and two dedicated pipes for the JSON
protocol. Wall-clock limits are enforced here: a call that does not answer in
time gets the child's whole process group killed.
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
from autograder.sandbox.child import protocol
from autograder.sandbox.failures import ChildFailure, SandboxStartError, StudentError
from autograder.sandbox.visibility import Visibility, compute_visibility
from autograder.sandbox.workspace import CHILD_PACKAGE, Workspace

BOOT = ("import sys; sys.path[:] = [sys.argv[2]] + [p for p in sys.path if p not in ('', '.')]; "
        f"from {CHILD_PACKAGE}.launch import main; main()")
STDERR_TAIL_BYTES = 4096
MEMORY_SIGNS = ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "can't allocate memory")


class _Timeout(Exception):
    pass


def child_user(limits: SandboxLimits) -> tuple[int, int] | None:
    """(uid, gid) the child drops to: only when the grader runs as root."""
    if os.geteuid() != 0 or not limits.run_as:
        return None
    try:
        entry = pwd.getpwnam(limits.run_as)
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


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
        self._buffer = b""
        self._hello_pending = False
        self._stderr_path: Path | None = None

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
            "namespaces": self.limits.namespaces,
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
        with open(stdout_path, "wb") as stdout, open(self._stderr_path, "wb") as stderr:
            self._process = subprocess.Popen(
                [sys.executable, "-s", "-S", "-B", "-c", BOOT, str(config_path),
                 str(self.workspace.runtime)],
                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                env=clean_environment(self.workspace, self.limits),
                cwd=str(self.workspace.work), pass_fds=(request_read, reply_write),
                start_new_session=True, close_fds=True,
            )
        os.close(request_read)
        os.close(reply_write)
        os.set_blocking(request_write, False)
        self._request_fd, self._reply_fd = request_write, reply_read
        self._buffer = b""
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
        self.protections = list(message["hello"].get("protections", []))
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
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        returncode = process.wait()
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
            SandboxStartError: the child could not start at all.
        """
        self.start()
        if self._hello_pending:
            self._await_hello()
        ident = next(self._ids)
        frame = protocol.encode_frame({"id": ident, "op": op, "group": group,
                                       "args": protocol.to_wire(args)})
        deadline = time.monotonic() + timeout
        try:
            self._send(frame, deadline)
            reply = self._read_frame(deadline)
        except _Timeout:
            self._kill()
            raise ChildFailure("timeout", f"did not finish within {timeout:g} s (an endless "
                               "loop, or far too slow)") from None
        except (BrokenPipeError, protocol.ProtocolError):
            reply = None
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
        """One frame from the reply pipe; ``None`` when the child closed it."""
        header_size = protocol.HEADER.size
        while True:
            if len(self._buffer) >= header_size:
                (size,) = protocol.HEADER.unpack(self._buffer[:header_size])
                if size > self.limits.max_message_bytes:
                    raise protocol.ProtocolError(f"a reply of {size} bytes is too large")
                if len(self._buffer) >= header_size + size:
                    body = self._buffer[header_size:header_size + size]
                    self._buffer = self._buffer[header_size + size:]
                    return protocol.decode_body(body)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout()
            readable, _, _ = select.select([self._reply_fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(self._reply_fd, 1 << 20)
            if not chunk:
                return None
            self._buffer += chunk

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
