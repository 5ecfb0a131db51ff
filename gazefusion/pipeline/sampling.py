"""The sampling parameters of a generation, as one frozen object passed whole.

Every producer (:meth:`GazeFusionPipeline.__call__`, :func:`~gazefusion.pipeline.generate_to_folder`,
:func:`~gazefusion.video.generate_video`, the bench and the app) takes a :class:`SamplingParams`
(or keyword overrides of it); the defaults live here only. They are the original GazeFusion
generate.py's: DDIM 50 steps, classifier-free guidance 9.0, ControlNet strength 1.0, eta 0, no
negative prompt (the empty prompt).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from gazefusion.errors import UserInputError

DEFAULT_STEPS = 50
DEFAULT_GUIDANCE_SCALE = 9.0
DEFAULT_CONTROL_SCALE = 1.0
DEFAULT_ETA = 0.0


@dataclass(frozen=True)
class SamplingParams:
    """How to denoise: DDIM ``steps``, classifier-free ``guidance_scale``, ControlNet
    ``control_scale`` on all its outputs (0: the unguided base model), ``negative_prompt`` (None:
    the empty prompt) and DDIM ``eta``. Validated on creation (one-line errors naming the field)."""

    steps: int = DEFAULT_STEPS
    guidance_scale: float = DEFAULT_GUIDANCE_SCALE
    control_scale: float = DEFAULT_CONTROL_SCALE
    negative_prompt: str | None = None
    eta: float = DEFAULT_ETA

    def __post_init__(self) -> None:
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise UserInputError(f"steps: expected an integer >= 1, found {self.steps!r}")
        for name in ("guidance_scale", "control_scale", "eta"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise UserInputError(f"{name}: expected a finite number, found {value!r}")
            object.__setattr__(self, name, float(value))
        if self.negative_prompt is not None and not isinstance(self.negative_prompt, str):
            raise UserInputError(f"negative_prompt: expected text or None, found {self.negative_prompt!r}")

    def replace(self, **changes: Any) -> SamplingParams:
        """A copy with ``changes`` (field names only: another name is a one-line error)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            fields = ", ".join(f.name for f in dataclasses.fields(self))
            raise UserInputError(f"unknown sampling parameter(s) {', '.join(unknown)}; known: {fields}")
        return dataclasses.replace(self, **changes) if changes else self

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON values (as sidecars record them)."""
        return dataclasses.asdict(self)


def sampling_from(sampling: SamplingParams | None = None, **overrides: Any) -> SamplingParams:
    """``sampling`` (default :class:`SamplingParams()`) with keyword ``overrides`` of its fields."""
    return (sampling or SamplingParams()).replace(**overrides)
