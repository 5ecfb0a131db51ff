"""Text2Video-Zero's motion-field latents (its text-to-video mode), for use with the ControlNet.

T2V-Zero (Khachatryan et al., ICCV 2023, §3.3.1; PAPER.md §10) starts every frame from the first
frame's latent: the first frame (index 0) is DDIM-denoised from T to step ``t1`` and on to step
``t0``; for the frame of index k that ``x_t0`` latent is translated by ``δ·k`` pixels and noised
back from ``t0`` to ``t1`` (DDPM forward); every frame is then denoised together from ``t1``, the
first frame from its own ``x_t1`` (never warped nor re-noised).

Conventions are the reference's (diffusers' deprecated ``TextToVideoZeroPipeline``, whose helpers
are imported here, not copied):

- ``t0``/``t1`` are step indices counted from the end of the actual DDIM schedule: step index
  ``i`` is ``timesteps[-i - 1]``, so with 50 steps ``t0=44`` is timestep 881 and ``t1=47`` is 941.
  They need ``0 <= t0 < t1 <= steps - 1``; :func:`motion_field_times` maps T2V-Zero's 44/47 to
  another step count.
- ``δ = (motion_field_strength_x, motion_field_strength_y)`` is in pixels of a 512×512 grid that is
  resized to the latent grid, i.e. a shift of ``δ·k/512`` of the frame per frame k, whatever the
  resolution (12 px at 512×512 = 1.5 latent pixels). Frame k's latent at (x, y) is sampled from
  ``x_t0`` at (x + δx·k, y + δy·k) (nearest neighbour, reflected at the borders), so the content
  moves up and to the left for positive δ. Frame index 0 is not moved.
- The noise of the forward step is drawn from the generator that drew the initial noise, after it.
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

from gazefusion.errors import UserInputError

#: Text2Video-Zero's defaults (PAPER.md §10): step indices for its 50 DDIM steps, strength in px/frame.
T2V_ZERO_T0 = 44
T2V_ZERO_T1 = 47
T2V_ZERO_STEPS = 50
T2V_ZERO_STRENGTH = 12.0


def t2v_zero_module() -> ModuleType:
    """diffusers' Text2Video-Zero pipeline module (moved under ``deprecated`` in diffusers 0.3x)."""
    try:
        from diffusers.pipelines.deprecated.text_to_video_synthesis import (
            pipeline_text_to_video_zero as module,
        )
    except ImportError:  # diffusers before the move to "deprecated"
        from diffusers.pipelines.text_to_video_synthesis import pipeline_text_to_video_zero as module
    return module


def motion_field_times(
    steps: int, t0: int = T2V_ZERO_T0, t1: int = T2V_ZERO_T1, reference_steps: int = T2V_ZERO_STEPS
) -> tuple[int, int]:
    """Step indices ``(t0, t1)`` for ``steps`` DDIM steps at the noise levels of ``t0``/``t1`` of ``reference_steps``.

    Each index is scaled by ``steps / reference_steps`` and rounded (the same fraction of the
    schedule, so about the same timestep), then kept in ``0 <= t0 < t1 <= steps - 1``. For 50 steps
    this is T2V-Zero's (44, 47); 20 steps give (18, 19), 4 steps (2, 3).
    """
    if steps < 2:
        raise UserInputError(f"steps: the motion field needs >= 2 DDIM steps, found {steps}")
    new_t1 = min(round(t1 * steps / reference_steps), steps - 1)
    new_t0 = max(min(round(t0 * steps / reference_steps), new_t1 - 1), 0)
    return new_t0, new_t1


def check_motion_field_times(steps: int, t0: int, t1: int) -> None:
    """Raise ``UserInputError`` unless ``0 <= t0 < t1 <= steps - 1`` (the reference's ranges)."""
    if not 1 <= t1 <= steps - 1:
        raise UserInputError(
            f"t1: expected a step index in [1, steps - 1 = {steps - 1}], found {t1} "
            f"(T2V-Zero's {T2V_ZERO_T0}/{T2V_ZERO_T1} are for {T2V_ZERO_STEPS} steps; "
            "motion_field_times(steps) scales them)"
        )
    if not 0 <= t0 < t1:
        raise UserInputError(f"t0: expected a step index in [0, t1 - 1 = {t1 - 1}], found {t0}")


def warp_latents(latent: Any, frame_ids: Sequence[int], strength_x: float, strength_y: float) -> Any:
    """Copies of ``latent`` (1, C, h, w), one per frame k in ``frame_ids``, each translated by δ·k (see module doc).

    Returns (len(frame_ids), C, h, w); diffusers' ``create_motion_field_and_warp_latents``.
    """
    frames = latent.repeat(len(frame_ids), 1, 1, 1)
    with warnings.catch_warnings():  # the reference's torch.meshgrid/grid_sample default-argument notices
        warnings.filterwarnings("ignore", message=r"(?s).*(meshgrid|align_corners)", category=UserWarning)
        return t2v_zero_module().create_motion_field_and_warp_latents(
            motion_field_strength_x=strength_x,
            motion_field_strength_y=strength_y,
            frame_ids=list(frame_ids),
            latents=frames,
        )


def forward_diffuse(sd: Any, latents: Any, t_from: int, t_to: int, generator: Any) -> Any:
    """DDPM forward from timestep ``t_from`` to ``t_to`` > ``t_from`` with ``sd.scheduler``'s alphas.

    ``sqrt(a) x + sqrt(1 - a) eps`` with ``a = prod(alphas[t_from:t_to])``: the reference's
    ``TextToVideoZeroPipeline.forward_loop`` itself (it only reads ``self.scheduler``).
    """
    pipeline_cls = t2v_zero_module().TextToVideoZeroPipeline
    return pipeline_cls.forward_loop(sd, x_t0=latents, t0=t_from, t1=t_to, generator=generator)


def schedule(sd: Any, steps: int) -> Any:
    """The timesteps ``sd``'s scheduler uses for ``steps`` steps (CPU tensor; ``sd`` is not touched)."""
    scheduler = copy.deepcopy(sd.scheduler)
    scheduler.set_timesteps(steps)
    return scheduler.timesteps


@contextlib.contextmanager
def timestep_window(sd: Any, start: int, stop: int | None = None) -> Iterator[None]:
    """Make ``sd`` denoise only ``timesteps[start:stop]`` of its usual schedule, for the call(s) inside.

    The DDIM step sizes stay those of the full schedule (the scheduler still knows the step count),
    so running the windows [0, k) then [k, end) on the latents in between equals one full run.
    The latents passed in must be those at ``timesteps[start]`` (DDIM's initial sigma is 1).
    """
    full = sd.scheduler
    window = copy.deepcopy(full)
    set_full_timesteps = window.set_timesteps

    def set_timesteps(num_inference_steps: int, device: Any = None) -> None:
        set_full_timesteps(num_inference_steps, device=device)
        window.timesteps = window.timesteps[start:stop]

    window.set_timesteps = set_timesteps
    sd.scheduler = window
    try:
        yield
    finally:
        sd.scheduler = full
