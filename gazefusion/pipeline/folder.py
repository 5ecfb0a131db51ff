"""Generate into a folder: one PNG and one JSON sidecar per image, crash-safe and resumable.

Files of item ``k`` (a prompt/smap pair) and seed ``s`` are named
``{k:04d}_{prompt slug}_seed{s}.png`` / ``.json`` (and ``..._blend.png`` for the JET overlay).
The sidecar's ``generation`` entry holds everything that determines the image: prompt, seed,
smap source with the SHA-256 of its file and of the map fed as hint, model description and weight
hash, every sampling parameter. A re-run skips an image whose PNG exists and whose sidecar has an
identical ``generation`` entry, and generates the images that are missing. An image whose file
name is taken by one made with other parameters (another guidance, model, smap, ...) is never
replaced silently: the run is refused before anything is generated, with one line naming the
differing parameters, unless ``overwrite=True`` (``--overwrite``). Every file is written atomically.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gazefusion.errors import UserInputError
from gazefusion.pipeline.core import (
    DENOISING,
    IMAGES,
    GazeFusionPipeline,
    Job,
    SmapInput,
    job_batches,
)
from gazefusion.pipeline.provenance import array_sha256, library_versions
from gazefusion.pipeline.sampling import SamplingParams, sampling_from
from gazefusion.progress import NO_PROGRESS, Progress, part_of
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


def _previous_record(png: Path, sidecar: Path) -> dict[str, Any] | None:
    """The ``generation`` entry of a finished image (None: no image there, or an unfinished one).

    An image without a sidecar is an interrupted write (the sidecar is written last) and is
    simply generated again; a sidecar that cannot be read counts as an unknown record ``{}``.
    """
    if not (png.is_file() and sidecar.is_file()):
        return None
    try:
        entry = json.loads(sidecar.read_text(encoding="utf-8")).get("generation")
    except (OSError, ValueError, AttributeError):
        return {}
    return entry if isinstance(entry, dict) else {}


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
    sampling: SamplingParams | None = None,
    height: int | None = None,
    width: int | None = None,
    batch_size: int = 1,
    blend: bool = False,
    overwrite: bool = False,
    progress: Progress = NO_PROGRESS,
    **overrides: Any,
) -> FolderRun:
    """Generate every (prompt, smap) pair for every seed into ``out_dir``, skipping finished images.

    ``prompts``/``smaps``/``seeds``/``num_samples`` mean what they mean for
    :meth:`GazeFusionPipeline.__call__`, and so do ``sampling`` and its keyword ``overrides``.
    ``overwrite`` replaces images made with other parameters under the same names (otherwise such
    a run is refused). ``progress`` gets ``images`` (the request's images written, skipped ones
    included: they count from the start) and ``denoising`` (the steps of the batches generated
    now, as :meth:`GazeFusionPipeline.run_jobs` counts them).
    """
    from gazefusion.smaps import jet_overlay
    from gazefusion.utils.paths import check_output_dir
    from gazefusion.utils.records import differences, other_parameters_error

    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise UserInputError(f"batch_size: expected a positive integer, found {batch_size!r}")
    out = check_output_dir(out_dir, "out_dir")
    jobs = pipe.prepare_jobs(prompts, smaps, seed=seeds, num_samples=num_samples, height=height, width=width)
    sampling = sampling_from(sampling, **overrides)
    params = pipe.params(sampling)
    paths, todo, done, conflicts = [], [], 0, []
    for job in jobs:
        png = out / f"{image_stem(job)}.png"
        paths.append(png)
        record = generation_record(pipe, job, params)
        previous = _previous_record(png, png.with_suffix(".json"))
        if previous is not None and previous != record and not overwrite:
            conflicts.append((png, previous, record))
        elif previous == record and not (blend and not _blend_path(png).is_file()):
            done += 1
            continue
        todo.append((job, png, record))
    if conflicts:  # refused before anything is generated: no result of other parameters is lost
        png, previous, record = conflicts[0]
        diffs = differences(previous, record) or ["(unreadable sidecar)"]
        raise other_parameters_error("--out", out, [f"{png.name}: {diffs[0]}", *diffs[1:]])
    chunks = [todo[start : start + batch_size] for start in range(0, len(todo), batch_size)]
    chunk_steps = [
        len(job_batches([job for job, _, _ in chunk], batch_size)) * sampling.steps for chunk in chunks
    ]
    total_steps = sum(chunk_steps)
    finished = done
    progress(IMAGES, finished, len(jobs))
    progress(DENOISING, 0, total_steps)
    out.mkdir(parents=True, exist_ok=True)

    versions = library_versions()
    steps_done = 0
    for chunk, steps in zip(chunks, chunk_steps, strict=True):
        images = pipe.run_jobs(
            [job for job, _, _ in chunk],
            sampling,
            batch_size=batch_size,
            progress=part_of(progress, DENOISING, steps_done, total_steps),
        )
        steps_done += steps
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
            finished += 1
            progress(IMAGES, finished, len(jobs))
    return FolderRun(images=paths, generated=len(todo), skipped=done)
