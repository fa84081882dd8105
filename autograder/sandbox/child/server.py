"""The child's request loop.

Reads one request frame at a time from the request pipe, runs the named
operation in the named group's package, and answers on the reply pipe with
``{"id": n, "ok": result}`` or ``{"id": n, "error": {...}}``. State that
student code may have changed (seeds, default dtype, gradient mode, working
folder) is reset before every call, so results do not depend on call order.
"""

from __future__ import annotations

import os
import random
import sys
from typing import Any

import numpy as np
import torch

from . import audit, protocol
from .ops import OPERATIONS, Context


def _reset(workdir: str) -> None:
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)
    try:
        os.chdir(workdir)
    except OSError:
        pass


def _trim_output(limit: int) -> None:
    """Empty stdout and stderr when they are half full, so that one call that printed a
    lot does not make the next calls hit the output limit."""
    for fd in (1, 2):
        try:
            if os.fstat(fd).st_size > limit // 2:
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
        except OSError:
            pass


def serve(config: dict[str, Any], protections: list[str]) -> None:
    request_fd, reply_fd = config["request_fd"], config["reply_fd"]
    max_bytes = int(config["max_message_bytes"])
    torch.set_num_threads(int(config["limits"]["threads"]))
    output_bytes = int(config["limits"]["output_bytes"])
    context = Context(config["roots_dir"], output_bytes)
    audit.install(audit.PathRule(config["masked_dirs"], config["masked_files"],
                                 config["exposed"]))
    protections = [*protections, "audit hook"]
    hello = {"hello": {"protections": protections, "pid": os.getpid(),
                       "python": sys.version.split()[0], "torch": torch.__version__}}
    protocol.write_all(reply_fd, protocol.encode_frame(hello))
    while True:
        request = protocol.read_frame(request_fd, max_bytes)
        if request is None:
            os._exit(0)
        ident = request.get("id")
        _reset(config["workdir"])
        try:
            context.packages.activate(str(request["group"]))
            operation = OPERATIONS[str(request["op"])]
            args = protocol.from_wire(request.get("args") or {})
            result = operation(context, **args)
            reply = {"id": ident, "ok": protocol.to_wire(result)}
        except BaseException as exc:  # noqa: BLE001 (student code may raise anything)
            reply = {"id": ident, "error": context.describe(exc)}
        _trim_output(output_bytes)
        frame = protocol.encode_frame(reply)
        if len(frame) > max_bytes:
            frame = protocol.encode_frame({"id": ident, "error": {
                "type": "ResultTooLarge", "where": None,
                "message": f"the result was {len(frame)} bytes, more than the limit"}})
        protocol.write_all(reply_fd, frame)
