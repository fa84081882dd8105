"""Which copy of ``ner_helpers`` the child imports, and how failures are described.

The sandbox holds one package root per student file (``roots/<group>/``): the
student release of ``ner_helpers`` (every solution stubbed) with only that one
student file put in, plus ``roots/full/`` with all submitted files. Each call
names its group, and the child switches ``sys.path`` and drops the previously
imported ``ner_helpers`` modules when the group changes. So the collator tests
never import the student's tokenizer: a broken file costs only its own tests.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from types import ModuleType, TracebackType
from typing import Any

PACKAGE = "ner_helpers"
ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")
#: Terminal styling (colours, bold) that some libraries put into their messages.
TERMINAL_CODES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
MESSAGE_CHARS = 1000


class PackageSwitcher:
    """Imports ``ner_helpers`` modules from the root of the current group."""

    def __init__(self, roots_dir: str) -> None:
        self.roots_dir = roots_dir
        self.current: str | None = None
        sys.path.insert(0, roots_dir)  # slot 0 is replaced by the group's root

    def activate(self, group: str) -> None:
        root = os.path.join(self.roots_dir, group)
        if not os.path.isdir(root):
            raise LookupError(f"no package root for group {group!r}")
        if group != self.current or sys.path[:1] != [root]:
            for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
                del sys.modules[name]
            if sys.path and sys.path[0].startswith(self.roots_dir):
                sys.path[0] = root
            else:
                sys.path.insert(0, root)
            importlib.invalidate_caches()
            self.current = group

    def module(self, name: str) -> ModuleType:
        return importlib.import_module(f"{PACKAGE}.{name}")


def clean_text(text: str, roots_dir: str | None = None, limit: int = MESSAGE_CHARS) -> str:
    """Drop what differs between runs (memory addresses, the sandbox's temporary folder:
    a file of a package root reads ``ner_helpers/x.py``, anything else in the sandbox
    ``<sandbox>/...``) and terminal styling codes, and cut long messages."""
    if roots_dir:
        roots = roots_dir.rstrip("/")
        text = re.sub(re.escape(roots) + r"/[^/\s]+/", "", text)
        text = text.replace(os.path.dirname(roots), "<sandbox>")
    text = ADDRESS.sub("0x...", TERMINAL_CODES.sub("", text))
    return text if len(text) <= limit else text[:limit] + " ..."


def describe_exception(exc: BaseException, roots_dir: str) -> dict[str, Any]:
    """Type, message and the last place in the package (file and line) of an exception."""
    if isinstance(exc, SystemExit):
        message = f"sys.exit({exc.code!r}) was called"
    else:
        try:
            message = str(exc)
        except BaseException:  # noqa: BLE001 (a hostile __str__)
            message = "(the exception's message could not be read)"
    where = None
    traceback: TracebackType | None = exc.__traceback__
    prefix = roots_dir.rstrip("/") + "/"
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.startswith(prefix):
            relative = filename[len(prefix):].split("/", 1)[-1]  # drop the group folder
            where = f"{relative}, line {traceback.tb_lineno}"
        traceback = traceback.tb_next
    if isinstance(exc, SyntaxError) and str(exc.filename or "").startswith(prefix):
        relative = str(exc.filename)[len(prefix):].split("/", 1)[-1]
        where = f"{relative}, line {exc.lineno}"
    return {"type": type(exc).__name__, "message": clean_text(message, roots_dir),
            "where": where}
