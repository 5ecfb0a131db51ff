"""The app's session folder: where every generation and every exported smap is kept.

Layout (numbers count up and are never reused, so nothing saved is overwritten)::

    SESSION/
      exports/0001/smap.png, smap.toml (+ its mask PNGs)     one "Export smap" each
      runs/0001/smap.png, smap.toml (+ masks)                 one "Generate" each: the map it used,
               cs1/0000_<prompt>_seed123.png, .json, _blend.png   images as `gazefusion generate`
               scores.json                                    writes them, one folder per control
                                                              scale; the scorer's metrics
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Session:
    """A session folder (created on first use)."""

    root: Path

    @classmethod
    def open(cls, root: str | os.PathLike) -> Session:
        path = Path(root).expanduser().resolve()
        if path.exists() and not path.is_dir():
            from gazefusion.errors import UserInputError

            raise UserInputError(f"--session: expected a folder, found a file: {path}")
        path.mkdir(parents=True, exist_ok=True)
        return cls(path)

    def new_folder(self, kind: str) -> Path:
        """A new, empty numbered folder under ``kind`` ("runs" or "exports"); created atomically."""
        parent = self.root / kind
        parent.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.name) for p in parent.iterdir() if p.name.isdigit()]
        n = max(numbers, default=0) + 1
        while True:
            folder = parent / f"{n:04d}"
            try:
                folder.mkdir()
                return folder
            except FileExistsError:  # another page of the same app took it
                n += 1

    def history(self) -> list[tuple[Path, str]]:
        """Every generated image of the session, oldest first, with a caption (run, scale, seed)."""
        items = []
        runs = self.root / "runs"
        if not runs.is_dir():
            return items
        for sidecar in sorted(runs.glob("*/cs*/*.json")):
            try:
                record = json.loads(sidecar.read_text(encoding="utf-8"))
                image = sidecar.with_name(record["files"]["image"])
                gen = record["generation"]
                scale = gen["params"]["control_scale"]
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not a sidecar of ours, or half written by a crashed run
            if image.is_file():
                items.append(
                    (image, f"run {sidecar.parent.parent.name} · seed {gen['seed']} · control {scale:g}")
                )
        return items
