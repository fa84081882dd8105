"""Splitting a batch into shards that several machines grade, and reading their rows back.

``grade-batch --shard K/N`` grades the K-th of N parts of a folder: the
submissions in name order, dealt round-robin (the 1st, (N+1)-th, ... to shard
1), so every machine that sees the same folder makes the same split. A shard
writes its submissions' usual files into ``OUT/<submission>/`` and its rows
(everything the class files need) into ``OUT/shards/shard-K-of-N.json``, only
once it has graded all of them; the file of a shard that failed or is still
running does not exist, and the merge names that shard instead of merging
without it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ner_helpers.errors import KitError

SHARDS_FOLDER = "shards"
SHARD_FILE = re.compile(r"^shard-(?P<k>\d+)-of-(?P<n>\d+)\.json$")
FORMAT = 1
T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """The ``index``-th (1-based) of ``count`` shards."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``K/N`` with 1 <= K <= N."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None:
        raise KitError(f"--shard {text}: expected K/N, e.g. 2/8")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise KitError(f"--shard {text}: K must be between 1 and N")
    return Shard(index, count)


def shard_of(items: list[T], shard: Shard) -> list[T]:
    """The shard's part of ``items`` (already in their fixed order): every N-th from K."""
    return items[shard.index - 1::shard.count]


def shard_path(out_dir: Path, shard: Shard) -> Path:
    return out_dir / SHARDS_FOLDER / f"shard-{shard.index}-of-{shard.count}.json"


def write_shard(out_dir: Path, shard: Shard, title: str, everything: list[str],
                graded: list[str], rows: list[dict[str, Any]]) -> Path:
    """Write the shard's rows file (atomically, once the shard is done)."""
    path = shard_path(out_dir, shard)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": FORMAT, "shard": shard.index, "of": shard.count, "title": title,
            "submissions": everything, "graded": graded, "rows": rows}
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, sort_keys=True, indent=1), encoding="utf-8")
    temporary.replace(path)
    return path


def read_shards(out_dir: Path) -> tuple[str, list[dict[str, Any]]]:
    """The title and the rows of all shards in ``out_dir``; every problem is an error
    naming the shard (a missing shard is never merged as nothing)."""
    folder = out_dir / SHARDS_FOLDER
    found: dict[int, dict[int, Path]] = {}
    for path in sorted(folder.glob("shard-*-of-*.json")) if folder.is_dir() else []:
        match = SHARD_FILE.match(path.name)
        if match:
            found.setdefault(int(match.group("n")), {})[int(match.group("k"))] = path
    if not found:
        raise KitError(f"{folder}: no shard results (shard-K-of-N.json); grade the folder "
                       "with `ner-instructor grade-batch FOLDER --shard K/N --out "
                       f"{out_dir}` first")
    if len(found) > 1:
        splits = ", ".join(f"N={n}" for n in sorted(found))
        raise KitError(f"{folder}: results of different splits ({splits}); "
                       "remove the files of the split you do not want")
    count, files = next(iter(found.items()))
    missing = [index for index in range(1, count + 1) if index not in files]
    if missing:
        names = ", ".join(f"{index}/{count}" for index in missing)
        raise KitError(f"{folder}: shard {names} did not finish (no "
                       f"shard-{missing[0]}-of-{count}.json): grade it again with "
                       f"`ner-instructor grade-batch FOLDER --shard {missing[0]}/{count} --out "
                       f"{out_dir}`; nothing was merged")
    title, everything, rows, covered = None, None, [], []
    for index in range(1, count + 1):
        path = files[index]
        label = f"shard {index}/{count} ({path})"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise KitError(f"{label}: unreadable results: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT or \
                data.get("shard") != index or data.get("of") != count:
            raise KitError(f"{label}: not the results of shard {index}/{count}")
        if everything is None:
            title, everything = data["title"], data["submissions"]
        elif data["submissions"] != everything or data["title"] != title:
            raise KitError(f"{label}: graded another folder than shard 1/{count} (its list "
                           "of submissions differs); grade every shard of the same folder")
        expected = shard_of(list(everything), Shard(index, count))
        shard_rows = data["rows"]
        if data["graded"] != expected or sorted(str(r.get("submission")) for r in shard_rows) \
                != sorted(expected):
            raise KitError(f"{label}: its rows are not the submissions of shard "
                           f"{index}/{count}; grade it again")
        covered += expected
        rows += shard_rows
    if sorted(covered) != sorted(everything or []):
        raise KitError(f"{folder}: the shards do not cover the folder; grade them again")
    return str(title), rows
