"""Entry point of the child: confine the process, then serve the grader's calls.

Started by the grader as::

    python -s -S -B -c "<insert the runtime folder into sys.path; call main()>" CONFIG

where ``CONFIG`` is a JSON file written by the grader (limits, pipe numbers,
paths). Nothing of the student's is imported before :func:`confine.apply`.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        config = json.load(handle)
    if sys.path and sys.path[0] in ("", "."):
        del sys.path[0]
    from . import confine

    protections = confine.apply(config)
    sys.path.extend(config["site_dirs"])
    from . import server

    server.serve(config, protections)
