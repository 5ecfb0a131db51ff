"""Generation for the app: a lazily loaded model, and one "Generate" press as a saved run.

A run writes into a new numbered folder of the session (:mod:`gazefusion.app.session`): the
designed smap (PNG + spec that reproduces it), then for each control scale the images exactly as
``gazefusion generate`` writes them (:func:`gazefusion.pipeline.generate_to_folder`: PNG, JSON
sidecar, JET blend), generated from that PNG, so that ``gazefusion generate --smap RUN/smap.png
--prompt ... --seed S -n 1 ...`` with the sidecar's settings regenerates each image. Every input is
checked before the folder is made: a mistake leaves the session as it was.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, field_validator

from gazefusion.app.design import Design, write_design
from gazefusion.app.scoring import METRIC_LABELS, score_images
from gazefusion.app.session import Session
from gazefusion.config import Config
from gazefusion.errors import UserInputError
from gazefusion.progress import NO_PROGRESS, Progress, part_of


class ModelCache:
    """Loads a model on first use (``None``: the default model) and keeps the last one loaded."""

    def __init__(self, device: str | None = None, dtype: str = "auto") -> None:
        self.device, self.dtype = device, dtype
        self._key: str | None = None
        self._pipe = None
        self._lock = threading.Lock()

    def get(self, model: str | None):
        """The pipeline for ``model`` (a folder, cldm file, hub id in the cache, "tiny", or None)."""
        key = (model or "").strip() or None
        with self._lock:
            if self._pipe is None or key != self._key:
                from gazefusion.pipeline import GazeFusionPipeline

                self._pipe = None
                try:
                    pipe = GazeFusionPipeline.from_pretrained(key, device=self.device, dtype=self.dtype)
                except UserInputError:
                    raise
                except Exception as exc:  # a broken checkpoint etc.: a one-line message, not a trace
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    raise UserInputError(
                        f"model {key or '(default)'}: could not be loaded ({type(exc).__name__}: {first})"
                    ) from exc
                self._key, self._pipe = key, pipe
            return self._pipe


class GenerateRequest(Config):
    """The settings of one "Generate" press (the sampling settings of ``gazefusion generate``),
    checked when made (one-line errors naming the page's field)."""

    prompt: str
    negative_prompt: str | None = None
    seeds: tuple[int, ...]
    steps: int = Field(ge=1, le=1000)
    guidance_scale: float
    control_scales: tuple[float, ...]
    scorer: str
    blend: bool = True

    @classmethod
    def field_label(cls, loc: Sequence[str | int]) -> str:
        """The page's names of the fields (``guidance``, ``control scale``)."""
        names = {"guidance_scale": "guidance", "control_scales": "control scale"}
        return names.get(str(loc[0]), str(loc[0])) if loc else super().field_label(loc)

    @field_validator("prompt")
    @classmethod
    def _some_text(cls, prompt: str) -> str:
        if not prompt.strip():
            raise ValueError("some text")
        return prompt.strip()

    @field_validator("seeds")
    @classmethod
    def _seed_count(cls, seeds: tuple[int, ...]) -> tuple[int, ...]:
        if not 1 <= len(seeds) <= 64:
            raise UserInputError(f"seeds: expected 1 to 64 seeds, found {len(seeds)}")
        return seeds

    @field_validator("control_scales")
    @classmethod
    def _nonnegative_distinct(cls, scales: tuple[float, ...]) -> tuple[float, ...]:
        for s in scales:
            if s < 0:
                raise UserInputError(f"control scale: expected >= 0, found {s:g}")
        if not scales or len(set(scales)) != len(scales):
            raise ValueError("distinct values")
        return scales


def parse_request(
    prompt: str,
    negative_prompt: str,
    seeds: str,
    steps: object,
    guidance: object,
    control_scale: object,
    sweep: str,
    scorer: str,
) -> GenerateRequest:
    """The page's fields as a :class:`GenerateRequest`; a mistake is a one-line error naming the field.

    ``seeds`` is "123" or "1,2,3"; ``sweep`` (control scales "0.5,1,1.5") replaces
    ``control_scale`` when given.
    """
    from gazefusion.cli._common import parse_list

    if not isinstance(prompt, str):
        raise UserInputError(f"prompt: expected some text, found {prompt!r}")
    scales = (
        parse_list(sweep, "control-scale sweep", float, min_items=1)
        if sweep and sweep.strip()
        else [_number(control_scale, "control scale", float)]
    )
    return GenerateRequest(
        prompt=prompt,
        negative_prompt=(negative_prompt or "").strip() or None,
        seeds=parse_list(seeds or "", "seeds", int, min_items=1),
        steps=_number(steps, "steps", int),
        guidance_scale=_number(guidance, "guidance", float),
        control_scales=scales,
        scorer=scorer,
    )


def _number(value: object, name: str, kind: type):
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise UserInputError(f"{name}: expected a number, found {value!r}") from None
    if not math.isfinite(number) or (kind is int and not number.is_integer()):
        raise UserInputError(f"{name}: expected a finite {kind.__name__}, found {value!r}")
    return kind(number)


@dataclass
class GeneratedImage:
    """One image of a run with its blend, the scorer's prediction and the metrics against the smap."""

    path: Path
    seed: int
    control_scale: float
    image: np.ndarray
    blend: np.ndarray | None
    prediction: np.ndarray
    scores: dict[str, float]


@dataclass
class RunResult:
    """What a run made: its folder, the smap it used, its images."""

    folder: Path
    smap_png: Path
    spec: Path
    images: list[GeneratedImage] = field(default_factory=list)
    model: str = ""

    def score_rows(self) -> list[list[Any]]:
        """One table row per image: file, seed, control scale, then the metrics of :data:`METRIC_LABELS`."""
        return [
            [im.path.name, im.seed, im.control_scale, *(round(im.scores[k], 4) for k in METRIC_LABELS)]
            for im in self.images
        ]


def scale_folder(scale: float) -> str:
    """Sub-folder name of a control scale: ``cs1``, ``cs0.5``."""
    return f"cs{scale:g}"


def run_generation(
    session: Session,
    design: Design,
    request: GenerateRequest,
    pipe,
    progress: Progress = NO_PROGRESS,
) -> RunResult:
    """Generate ``request`` from ``design`` with ``pipe`` into a new run folder of ``session``.

    ``progress`` gets ``denoising``: the steps of every image of every control scale (seeds x
    scales x steps), after each one. Raises :class:`UserInputError`
    (before anything is written) for an empty design, a size the model cannot make, or a scorer
    that is unknown or cannot run here.
    """
    from gazefusion.app.design import to_spec
    from gazefusion.pipeline import generate_to_folder
    from gazefusion.pipeline.core import DENOISING
    from gazefusion.saliency import get_saliency_model
    from gazefusion.utils.atomic import atomic_write_json
    from gazefusion.utils.images import read_rgb

    to_spec(design)  # empty design -> error before a folder exists
    multiple = pipe.size_multiple
    for name, side in (("width", design.width), ("height", design.height)):
        if side % multiple:
            raise UserInputError(f"{name}: expected a multiple of {multiple} px for this model, found {side}")
    scorer = get_saliency_model(request.scorer)
    if not scorer.is_available():
        raise UserInputError(f"scorer: {request.scorer!r} cannot run here (its weights are missing)")

    folder = session.new_folder("runs")
    spec_path, png, smap = write_design(design, folder)
    per_scale = len(request.seeds) * request.steps  # generate_to_folder: one image per batch
    total = per_scale * len(request.control_scales)
    progress(DENOISING, 0, total)
    result = RunResult(folder=folder, smap_png=png, spec=spec_path, model=pipe.model_id)
    for k, scale in enumerate(request.control_scales):
        out = folder / scale_folder(scale)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sizes are already multiples of 8: no resize notice
            run = generate_to_folder(
                pipe,
                request.prompt,
                str(png),
                list(request.seeds),
                out,
                steps=request.steps,
                guidance_scale=request.guidance_scale,
                control_scale=scale,
                negative_prompt=request.negative_prompt,
                blend=request.blend,
                progress=part_of(progress, DENOISING, k * per_scale, total),
            )
        images = [read_rgb(p) for p in run.images]
        blends = [read_rgb(p.with_name(f"{p.stem}_blend.png")) if request.blend else None for p in run.images]
        predictions, scores = score_images(images, smap, scorer)
        for p, seed, image, blend, pred, sc in zip(
            run.images, request.seeds, images, blends, predictions, scores, strict=True
        ):
            result.images.append(GeneratedImage(p, seed, scale, image, blend, pred, sc))
    atomic_write_json(
        folder / "scores.json",
        {
            "scorer": request.scorer,
            "target": "the run's smap.png (density metrics) and its pseudo-fixations (nss, auc_judd)",
            "images": [
                {
                    "image": str(im.path.relative_to(folder)),
                    "seed": im.seed,
                    "control_scale": im.control_scale,
                }
                | {k: im.scores[k] for k in METRIC_LABELS}
                for im in result.images
            ],
        },
    )
    return result


def describe_scores(images: Sequence[GeneratedImage]) -> str:
    """A one-line summary: mean CC and NSS over the images."""
    if not images:
        return "no images"
    cc = np.nanmean([im.scores["cc"] for im in images])
    nss = np.nanmean([im.scores["nss"] for im in images])
    return f"{len(images)} image(s), mean CC {cc:.3f}, mean NSS {nss:.3f}"
