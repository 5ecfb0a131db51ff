"""Captioners for training crops: BLIP-2 (as the original) or captions read from a table.

A captioner maps a batch of crops to prompts. ``name`` is recorded in the manifest, so a dataset
says where its prompts came from.

- :class:`Blip2Captioner`: ``Blip2ForConditionalGeneration`` + ``Blip2Processor`` from a local
  folder or the local Hugging Face cache only (never downloaded), fp16 on GPU and fp32 on CPU,
  ``generate(max_new_tokens=20)`` with the model's default (greedy) decoding, special tokens skipped,
  whitespace stripped: GazeFusion's ``process.py``.
- :class:`TableCaptioner`: a caption per source image from a COCO captions JSON (the first
  caption of each image, in file order) or a CSV with columns ``file,caption``. A key may name the
  crop file (``x_1.jpg``), the crop id (``x_1``), the source file (``x.jpg``) or its stem (``x``);
  the most specific match wins.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gazefusion.errors import UserInputError

#: The original's captioning model.
DEFAULT_BLIP2 = "Salesforce/blip2-opt-2.7b-coco"


@dataclass(frozen=True)
class CropRef:
    """What a captioner may key on: the crop id and file, and the source image's file name."""

    crop_id: str
    crop_path: Path
    source: str


def check_blip2_local(model: str) -> None:
    """Refuse (one line) a BLIP-2 model that is neither a local folder nor in the local Hugging Face
    cache, without loading it: ``prepare`` checks this before its first crop."""
    path = Path(model).expanduser()
    if path.is_dir():
        found = (path / "config.json").is_file()
    else:
        try:
            from huggingface_hub import try_to_load_from_cache

            found = isinstance(try_to_load_from_cache(model, "config.json"), str)
        except (ValueError, ImportError):  # not a valid repo id
            found = False
    if not found:
        raise UserInputError(
            f"--blip2-model: BLIP-2 weights {model!r} not found locally (no folder with config.json, not in "
            "the Hugging Face cache); put the model folder there, or give captions with --captions FILE.csv|.json"
        )


class Blip2Captioner:
    """BLIP-2 image captioning, local weights only."""

    def __init__(
        self,
        model: str = DEFAULT_BLIP2,
        device: str | None = None,
        batch_size: int = 128,
        max_new_tokens: int = 20,
    ) -> None:
        import torch
        from transformers import Blip2ForConditionalGeneration, Blip2Processor

        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.name = f"blip2:{model}"
        try:
            self.processor = Blip2Processor.from_pretrained(model, local_files_only=True)
            self.model = (
                Blip2ForConditionalGeneration.from_pretrained(model, dtype=self.dtype, local_files_only=True)
                .to(self.device)
                .eval()
            )
        except (OSError, ValueError) as exc:  # ValueError: huggingface_hub's invalid-repo-id error
            raise UserInputError(
                f"--blip2-model: BLIP-2 weights {model!r} not found locally ({type(exc).__name__}); put the model "
                "folder there or in the Hugging Face cache, or give captions with --captions FILE.csv|.json"
            ) from None

    def __call__(self, crops: Sequence[CropRef]) -> list[str | None]:
        import torch

        from gazefusion.utils.images import read_rgb

        prompts: list[str | None] = []
        for start in range(0, len(crops), self.batch_size):
            images = [read_rgb(c.crop_path) for c in crops[start : start + self.batch_size]]
            inputs = self.processor(images=images, return_tensors="pt").to(self.device, self.dtype)
            with torch.inference_mode():
                ids = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens)
            prompts += [t.strip() for t in self.processor.batch_decode(ids, skip_special_tokens=True)]
        return prompts


class TableCaptioner:
    """Captions looked up by file name in a mapping read from a CSV or COCO JSON file."""

    def __init__(self, captions: dict[str, str], name: str) -> None:
        self.captions = captions
        self.name = name
        self.batch_size = 4096

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> TableCaptioner:
        p = Path(path)
        if not p.is_file():
            raise UserInputError(f"--captions: file not found: {p}")
        if p.suffix.lower() == ".json":
            return cls(read_coco_captions(p), f"coco:{p.name}")
        if p.suffix.lower() == ".csv":
            return cls(read_csv_captions(p), f"csv:{p.name}")
        raise UserInputError(
            f"--captions: expected a .csv (file,caption) or a COCO .json file, found {p.name}"
        )

    def __call__(self, crops: Sequence[CropRef]) -> list[str | None]:
        out: list[str | None] = []
        for c in crops:
            keys = (c.crop_path.name, c.crop_id, c.source, Path(c.source).stem)
            out.append(next((self.captions[k] for k in keys if k in self.captions), None))
        return out


def read_coco_captions(path: str | os.PathLike) -> dict[str, str]:
    """``{file_name: first caption}`` from a COCO ``captions_*.json`` (``images`` + ``annotations``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        names = {img["id"]: img["file_name"] for img in data["images"]}
        out: dict[str, str] = {}
        for ann in data["annotations"]:
            name = names.get(ann["image_id"])
            if name is not None and name not in out:
                out[name] = str(ann["caption"]).strip()
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise UserInputError(
            f"--captions: {path} is not a COCO captions file (expected 'images' with id/file_name and "
            f"'annotations' with image_id/caption): {type(exc).__name__}: {exc}"
        ) from None
    return out


def read_csv_captions(path: str | os.PathLike) -> dict[str, str]:
    """``{file: caption}`` from a CSV with a header naming the columns ``file`` and ``caption``."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"file", "caption"} <= set(reader.fieldnames):
            raise UserInputError(
                f"--captions: {path} must have the header 'file,caption', found {reader.fieldnames}"
            )
        return {row["file"].strip(): row["caption"].strip() for row in reader if row["file"]}
