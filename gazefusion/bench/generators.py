"""Image generators the benchmark can drive: the model under test, or a test double.

A generator is any object with ``generate(prompt, smap, seed) -> uint8 (H, W, 3)`` where ``smap``
is the float32 (H, W) target or ``None`` for the baseline (same size as the set's smaps), plus a
``description`` string and a ``params(control_scale)`` dict recorded in the image sidecars.

The baseline ("the same base model without guidance") is the GazeFusion pipeline with ControlNet
strength 0: every ControlNet residual is multiplied by 0, so the UNet sees exactly what plain
Stable Diffusion 2.1-base gives with the same components, prompt, seed and sampler (the pipeline's
tests check this equality). The ControlNet still runs, which costs time but only on the baseline
items (one per prompt and seed, not per smap).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np


class Generator(Protocol):
    """What :func:`gazefusion.bench.runner.run_shard` needs from a generator."""

    description: str

    def generate(
        self, prompt: str, smap: np.ndarray | None, seed: int, control_scale: float, size: tuple[int, int]
    ) -> np.ndarray:
        """One uint8 (H, W, 3) image of ``size`` = (width, height); ``smap`` None means no guidance."""
        ...

    def params(self, control_scale: float) -> dict[str, Any]:
        """Settings recorded in the sidecar of an image made with ``control_scale``."""
        ...


def describe_model(description: Any) -> tuple[str, str | None]:
    """``(one-line description, notice or None)`` of a model description (a loader's dict or text)."""
    if isinstance(description, dict):
        text = f"{description.get('model_id')} ({description.get('source')} model, {description.get('weight_hash') or 'no hash'})"
        return text.strip(), description.get("notice")
    return str(description), None


class PipelineGenerator:
    """The model under test: a :class:`~gazefusion.pipeline.GazeFusionPipeline`, one image per call."""

    def __init__(self, pipeline, steps: int, guidance_scale: float) -> None:
        from gazefusion.pipeline.sampling import SamplingParams

        self.pipeline = pipeline
        #: The bench's sampling (its control scale is set per item).
        self.sampling = SamplingParams(steps=steps, guidance_scale=guidance_scale)
        self.steps = self.sampling.steps
        self.guidance_scale = self.sampling.guidance_scale
        self.description, self.notice = describe_model(pipeline.model_description)

    @classmethod
    def load(
        cls,
        model: str | None,
        steps: int,
        guidance_scale: float,
        device: str | None = None,
        dtype: str | None = None,
    ) -> PipelineGenerator:
        """Load ``model`` (None: ``$GAZEFUSION_MODEL`` if set, else the built-in toy GazeFusion)."""
        from gazefusion.pipeline import GazeFusionPipeline

        return cls(
            GazeFusionPipeline.from_pretrained(model, device=device, dtype=dtype), steps, guidance_scale
        )

    def generate(
        self, prompt: str, smap: np.ndarray | None, seed: int, control_scale: float, size: tuple[int, int]
    ) -> np.ndarray:
        width, height = size
        if smap is None:  # baseline: no guidance (strength 0; the hint's content is then irrelevant)
            smap, control_scale = np.zeros((height, width), np.float32), 0.0
        out = self.pipeline(
            prompt,
            smap,
            seed=[int(seed)],
            sampling=self.sampling.replace(control_scale=float(control_scale)),
            height=height,
            width=width,
        )
        return out.images[0]

    def params(self, control_scale: float) -> dict[str, Any]:
        return self.pipeline.params(self.sampling.replace(control_scale=float(control_scale)))
