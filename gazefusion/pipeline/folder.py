"""Generate into a folder: one PNG and one JSON sidecar per image, crash-safe and resumable.

Files of item ``k`` (a prompt/smap pair) and seed ``s`` are named
``{k:04d}_{prompt slug}_seed{s}.png`` / ``.json`` (and ``..._blend.png`` for the JET overlay).
The sidecar's ``generation`` entry holds everything that determines the image: prompt, seed,
smap source with the SHA-256 of its file and of the map fed as hint, model description and weight
hash, every sampling parameter. A re-run skips an image whose PNG exists and whose sidecar has an
identical ``generation`` entry; anything else is (re)generated. Every file is written atomically.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gazefusion.pipeline.core import (
    DEFAULT_CONTROL_SCALE,
    DEFAULT_ETA,
    DEFAULT_GUIDANCE_SCALE,
    DEFAULT_STEPS,
    GazeFusionPipeline,
    Job,
    SmapInput,
)
from gazefusion.pipeline.provenance import array_sha256, library_versions
from gazefusion.utils.atomic import atomic_write_json
from gazefusion.utils.images import write_rgb

SIDECAR_VERSION = 1


@dataclass
class FolderRun:
    """Outcome of :func:`generate_to_folder`: every image path in request order, and counts."""

    images: list[Path]
    generated: int
    skipped: int


def slugify(text: str, max_len: int = 40) -> str:
    """Lower-case ASCII letters, digits and dashes; "prompt" for nothing left."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:max_len].strip("-")
    return slug or "prompt"


def image_stem(job: Job) -> str:
    """File stem of a job's outputs."""
    return f"{job.item:04d}_{slugify(job.prompt)}_seed{job.seed}"


def generation_record(pipe: GazeFusionPipeline, job: Job, params: dict[str, Any]) -> dict[str, Any]:
    """What determines a job's image (compared on resume), as plain JSON values."""
    description = pipe.model_description if isinstance(pipe.model_description, dict) else {}
    record = {
        "prompt": job.prompt,
        "seed": job.seed,
        "smap": {
            "source": job.smap_source,
            "file_sha256": job.smap_file_sha256,
            "hint_sha256": array_sha256(job.smap),
            "height": int(job.smap.shape[0]),
            "width": int(job.smap.shape[1]),
        },
        "model": {
            "model_id": pipe.model_id,
            "weight_hash": pipe.weight_hash,
            **{k: description.get(k) for k in ("source", "path")},
        },
        "params": params,
    }
    return json.loads(json.dumps(record, default=str))


def _is_done(png: Path, sidecar: Path, record: dict[str, Any]) -> bool:
    if not (png.is_file() and sidecar.is_file()):
        return False
    try:
        return json.loads(sidecar.read_text(encoding="utf-8")).get("generation") == record
    except (OSError, ValueError):
        return False


def _blend_path(png: Path) -> Path:
    return png.with_name(f"{png.stem}_blend.png")


def generate_to_folder(
    pipe: GazeFusionPipeline,
    prompts: str | Sequence[str],
    smaps: SmapInput | Sequence[SmapInput],
    seeds: int | Sequence[int],
    out_dir: str | os.PathLike,
    *,
    num_samples: int | None = None,
    steps: int = DEFAULT_STEPS,
    guidance_scale: float = DEFAULT_GUIDANCE_SCALE,
    control_scale: float = DEFAULT_CONTROL_SCALE,
    negative_prompt: str | None = None,
    eta: float = DEFAULT_ETA,
    height: int | None = None,
    width: int | None = None,
    batch_size: int = 1,
    blend: bool = False,
    on_image: Callable[[int], None] | None = None,
) -> FolderRun:
    """Generate every (prompt, smap) pair for every seed into ``out_dir``, skipping finished images.

    ``prompts``/``smaps``/``seeds``/``num_samples`` mean what they mean for
    :meth:`GazeFusionPipeline.__call__`. ``on_image(n)`` is called as images are finished
    (skipped ones included), e.g. to advance a progress bar.
    """
    from gazefusion.smaps import jet_overlay

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jobs = pipe.prepare_jobs(prompts, smaps, seed=seeds, num_samples=num_samples, height=height, width=width)
    params = pipe.params(
        steps=steps,
        guidance_scale=guidance_scale,
        control_scale=control_scale,
        negative_prompt=negative_prompt,
        eta=eta,
    )
    paths, todo = [], []
    for job in jobs:
        png = out / f"{image_stem(job)}.png"
        paths.append(png)
        record = generation_record(pipe, job, params)
        blend_missing = blend and not _blend_path(png).is_file()
        if not blend_missing and _is_done(png, png.with_suffix(".json"), record):
            if on_image is not None:
                on_image(1)
        else:
            todo.append((job, png, record))

    versions = library_versions()
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        images = pipe.run_jobs(
            [job for job, _, _ in chunk],
            steps=steps,
            guidance_scale=guidance_scale,
            control_scale=control_scale,
            negative_prompt=negative_prompt,
            eta=eta,
            batch_size=batch_size,
        )
        for (job, png, record), image in zip(chunk, images, strict=True):
            write_rgb(png, image)
            files = {"image": png.name}
            if blend:
                blend_png = _blend_path(png)
                write_rgb(blend_png, jet_overlay(image, job.smap, alpha=0.5))
                files["blend"] = blend_png.name
            atomic_write_json(
                png.with_suffix(".json"),
                {
                    "sidecar_version": SIDECAR_VERSION,
                    "generation": record,
                    "files": files,
                    "versions": versions,
                },
            )
            if on_image is not None:
                on_image(1)
    return FolderRun(images=paths, generated=len(todo), skipped=len(jobs) - len(todo))
