"""Reading a prepared dataset for training: our manifest layout or the original's layout.

- Ours: ``DIR/manifest.parquet`` (:mod:`gazefusion.data.manifest`) with ``images/`` and ``smaps/``.
- The original GazeFusion's: ``DIR/images/NAME``, ``DIR/smaps/NAME`` and ``DIR/prompts/prompts.json``,
  a JSON-lines file of ``{"filename": NAME, "prompt": ...}``; as the original's loader, entries
  whose image or smap file is missing are left out.

A training example is the crop as float (3, H, W) in [-1, 1] (``pixel_values``), the smap replicated
to 3 channels as float (3, H, W) in [0, 1] (``conditioning_pixel_values``: the file / 255, never
re-normalised) and the prompt — the original's ``jpg``/``hint``/``txt``, channels first.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gazefusion.data.manifest import MANIFEST_NAME, read_manifest
from gazefusion.errors import UserInputError

ORIGINAL_PROMPTS = Path("prompts") / "prompts.json"


@dataclass(frozen=True)
class Example:
    """One training triple, by file."""

    id: str
    image: Path
    smap: Path
    prompt: str


def load_examples(root: str | os.PathLike) -> list[Example]:
    """The examples of a dataset folder in either layout (ours preferred when both exist)."""
    root = Path(root)
    if (root / MANIFEST_NAME).is_file():
        frame = read_manifest(root / MANIFEST_NAME)
        examples = [
            Example(str(r.id), root / r.image, root / r.smap, str(r.prompt)) for r in frame.itertuples()
        ]
    elif (root / ORIGINAL_PROMPTS).is_file():
        examples = _original_examples(root)
    else:
        raise UserInputError(
            f"--data: {root} holds neither {MANIFEST_NAME} (gazefusion prepare) nor {ORIGINAL_PROMPTS} "
            "(the original layout)"
        )
    if not examples:
        raise UserInputError(f"--data: no complete (image, smap, prompt) example found in {root}")
    return examples


def _original_examples(root: Path) -> list[Example]:
    examples = []
    with open(root / ORIGINAL_PROMPTS, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                info = json.loads(line)
                name, prompt = info["filename"], info["prompt"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise UserInputError(
                    f"--data: {root / ORIGINAL_PROMPTS} line {lineno} is not "
                    '{"filename": ..., "prompt": ...}'
                ) from None
            image, smap = root / "images" / name, root / "smaps" / name
            if image.is_file() and smap.is_file():
                examples.append(Example(Path(name).stem, image, smap, str(prompt)))
    return examples


def load_pair(example: Example) -> tuple[np.ndarray, np.ndarray]:
    """(image float32 (3, H, W) in [-1, 1], smap float32 (3, H, W) in [0, 1]) of one example."""
    from gazefusion.utils.images import read_gray, read_rgb

    image = read_rgb(example.image)
    smap = read_gray(example.smap)
    if smap.shape != image.shape[:2]:
        raise UserInputError(
            f"smap {example.smap.name} is {smap.shape[1]}x{smap.shape[0]}, its image "
            f"{example.image.name} is {image.shape[1]}x{image.shape[0]}: they must match"
        )
    pixels = image.astype(np.float32).transpose(2, 0, 1) / np.float32(127.5) - np.float32(1.0)
    hint = np.repeat(smap[None], 3, axis=0).astype(np.float32)
    return pixels, hint


class TripletDataset:
    """A map-style torch dataset of :class:`Example` s (decoded on access; see :func:`load_pair`)."""

    def __init__(self, examples: list[Example], resolution: int | None = None) -> None:
        self.examples = examples
        self.resolution = resolution

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict:
        import torch

        ex = self.examples[index]
        pixels, hint = load_pair(ex)
        if self.resolution is not None and pixels.shape[1:] != (self.resolution, self.resolution):
            raise UserInputError(
                f"--resolution {self.resolution}: example {ex.id} is {pixels.shape[2]}x{pixels.shape[1]}; "
                "prepare the data at the training resolution"
            )
        return {
            "pixel_values": torch.from_numpy(pixels),
            "conditioning_pixel_values": torch.from_numpy(hint),
            "prompt": ex.prompt,
            "id": ex.id,
        }
