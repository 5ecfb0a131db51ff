"""Prompt sets for the benchmark: plain text, CSV, JSONL, JSON lists and COCO captions files.

Formats (chosen by extension):
- ``.txt``: one prompt per line; blank lines and lines starting with ``#`` are skipped. Ids are
  ``p0000``, ``p0001``… in the order of the prompt lines.
- ``.csv``: a ``prompt`` (or ``caption``/``text``) column; optional ``prompt_id`` (or ``id``) column.
- ``.jsonl``: one JSON string or object per line (keys as for CSV).
- ``.json``: a COCO captions file (``{"annotations": [{"id", "image_id", "caption"}, ...]}``; the
  id is ``coco{annotation id}``), or a list of strings/objects as in JSONL.
Prompts are stripped of surrounding white space; duplicate ids are an error.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

from gazefusion.errors import UserInputError
from gazefusion.resources import asset_path

#: Accepted column/key names, in order of preference.
TEXT_KEYS = ("prompt", "caption", "text")
ID_KEYS = ("prompt_id", "id")

#: The prompt set shipped with the toolkit (120 COCO-style captions written for this project).
#: The default prompt set (a packaged file: ``gazefusion/assets/prompts/``).
DEFAULT_PROMPTS = asset_path("prompts", "coco_style_100.txt")


@dataclass(frozen=True)
class Prompt:
    """One prompt of a set: a stable id (used in file names and results) and its text."""

    prompt_id: str
    text: str


def load_prompts(path: str | os.PathLike) -> list[Prompt]:
    """Read a prompt set file (see the module docstring for formats).

    Raises
    ------
    UserInputError
        If the file is missing, unreadable, of an unknown format, empty, or has duplicate ids.
    """
    p = Path(path)
    if not p.is_file():
        raise UserInputError(f"--prompts: prompt file not found: {p}")
    suffix = p.suffix.lower()
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserInputError(f"--prompts: cannot read {p}: {exc}") from None
    if suffix in (".txt", ".text", ""):
        lines = [ln.strip() for ln in text.splitlines()]
        records = [{"prompt": ln} for ln in lines if ln and not ln.startswith("#")]
    elif suffix == ".csv":
        records = list(csv.DictReader(text.splitlines()))
    elif suffix == ".jsonl":
        records = [_json(ln, p, i + 1) for i, ln in enumerate(text.splitlines()) if ln.strip()]
    elif suffix == ".json":
        data = _json(text, p, None)
        if isinstance(data, dict) and "annotations" in data:
            records = [
                {"prompt_id": f"coco{a.get('id', i)}", "prompt": a.get("caption")}
                for i, a in enumerate(data["annotations"])
                if isinstance(a, dict)
            ]
        elif isinstance(data, list):
            records = data
        else:
            raise UserInputError(
                f"--prompts: {p} must hold a list of prompts or a COCO captions object "
                f"with 'annotations', found a JSON {type(data).__name__}"
            )
    else:
        raise UserInputError(
            f"--prompts: unknown prompt file type {suffix!r} for {p}; expected .txt, .csv, .jsonl or .json"
        )
    prompts = [_to_prompt(rec, i, p) for i, rec in enumerate(records)]
    if not prompts:
        raise UserInputError(f"--prompts: no prompts found in {p}")
    seen: set[str] = set()
    for pr in prompts:
        if pr.prompt_id in seen:
            raise UserInputError(f"--prompts: duplicate prompt id {pr.prompt_id!r} in {p}")
        seen.add(pr.prompt_id)
    return prompts


def _json(text: str, path: Path, line: int | None) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f" line {line}" if line else ""
        raise UserInputError(f"--prompts: invalid JSON in {path}{where}: {exc.msg}") from None


def _to_prompt(record: object, index: int, path: Path) -> Prompt:
    if isinstance(record, str):
        record = {"prompt": record}
    if not isinstance(record, dict):
        raise UserInputError(
            f"--prompts: entry {index} of {path} must be a string or an object, found {type(record).__name__}"
        )
    text = next((record[k] for k in TEXT_KEYS if record.get(k) not in (None, "")), None)
    if not isinstance(text, str) or not text.strip():
        raise UserInputError(
            f"--prompts: entry {index} of {path} has no non-empty {'/'.join(TEXT_KEYS)} field"
        )
    raw_id = next((record[k] for k in ID_KEYS if record.get(k) not in (None, "")), None)
    prompt_id = f"p{index:04d}" if raw_id is None else _safe_id(str(raw_id))
    return Prompt(prompt_id=prompt_id, text=" ".join(text.split()))


def _safe_id(raw: str) -> str:
    """Make an id usable in file names: keep letters, digits, '-', '_' and '.'; replace the rest by '_'."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in raw.strip())
