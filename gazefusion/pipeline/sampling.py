"""The sampling parameters of a generation, as one frozen object passed whole.

Every producer (:meth:`GazeFusionPipeline.__call__`, :func:`~gazefusion.pipeline.generate_to_folder`,
:func:`~gazefusion.video.generate_video`, the bench and the app) takes a :class:`SamplingParams`
(or keyword overrides of it); the defaults live here only. They are the original GazeFusion
generate.py's: DDIM 50 steps, classifier-free guidance 9.0, ControlNet strength 1.0, eta 0, no
negative prompt (the empty prompt).
"""

from __future__ import annotations

from typing import Any

from pydantic import field_validator, model_validator

from gazefusion.config import Config
from gazefusion.errors import UserInputError

DEFAULT_STEPS = 50
DEFAULT_GUIDANCE_SCALE = 9.0
DEFAULT_CONTROL_SCALE = 1.0
DEFAULT_ETA = 0.0


class SamplingParams(Config):
    """How to denoise: DDIM ``steps``, classifier-free ``guidance_scale``, ControlNet
    ``control_scale`` on all its outputs (0: the unguided base model), ``negative_prompt`` (None:
    the empty prompt) and DDIM ``eta``. Validated on creation (one-line errors naming the field)."""

    steps: int = DEFAULT_STEPS
    guidance_scale: float = DEFAULT_GUIDANCE_SCALE
    control_scale: float = DEFAULT_CONTROL_SCALE
    negative_prompt: str | None = None
    eta: float = DEFAULT_ETA

    @model_validator(mode="before")
    @classmethod
    def _known_names(cls, data: Any) -> Any:
        unknown = sorted(set(data) - set(cls.model_fields)) if isinstance(data, dict) else []
        if unknown:
            raise UserInputError(
                f"unknown sampling parameter(s) {', '.join(unknown)}; known: {', '.join(cls.model_fields)}"
            )
        return data

    @field_validator("steps", mode="before")
    @classmethod
    def _whole_steps(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("an integer >= 1")
        return value

    @field_validator("guidance_scale", "control_scale", "eta", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("a finite number")
        return value

    @field_validator("negative_prompt", mode="before")
    @classmethod
    def _text_or_none(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError("text or None")
        return value


def sampling_from(sampling: SamplingParams | None = None, **overrides: Any) -> SamplingParams:
    """``sampling`` (default :class:`SamplingParams()`) with keyword ``overrides`` of its fields."""
    return (sampling or SamplingParams()).replace(**overrides)
