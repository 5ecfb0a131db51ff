"""Append-only JSON-lines journals: the crash-safe record of which work items are finished.

Each worker process appends to its own file (``{stage}-rank{N}.jsonl``), one JSON object per line,
*after* the files the line refers to are in place (written atomically). A crash can at worst leave
a truncated last line, which :func:`read_journal` ignores; the item is then simply redone. When
several lines share a key, the last one read wins.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class JournalWriter:
    """Appends records to one journal file; ``flush()`` makes them durable (fsync)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        needs_newline = False
        if self.path.exists() and self.path.stat().st_size > 0:
            with open(self.path, "rb") as fh:  # a crash may have left a partial last line
                fh.seek(-1, os.SEEK_END)
                needs_newline = fh.read(1) != b"\n"
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())
        if needs_newline:
            self._fh.write("\n")

    def write(self, records: Iterable[dict[str, Any]]) -> None:
        for rec in records:
            self._fh.write(json.dumps(rec, sort_keys=True) + "\n")
        self.flush()

    def flush(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self.flush()
            self._fh.close()

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def journal_path(state_dir: str | os.PathLike, stage: str, rank: int) -> Path:
    """The journal file of ``stage`` written by process ``rank``."""
    return Path(state_dir) / f"{stage}-rank{rank}.jsonl"


def read_journal(state_dir: str | os.PathLike, stage: str, key: str) -> dict[str, dict[str, Any]]:
    """All complete records of ``stage`` (every rank's file), by ``record[key]``; the last one wins."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(state_dir).glob(f"{stage}-rank*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    break  # truncated by a crash
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(rec, dict) and key in rec:
                    out[str(rec[key])] = rec
    return out
