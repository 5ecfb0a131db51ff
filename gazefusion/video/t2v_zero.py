"""Saliency-guided video in Text2Video-Zero's ControlNet mode (PAPER.md §7.4, §10).

As in Text2Video-Zero's ControlNet video mode: one smap per frame as the control, cross-frame
attention (every frame's self-attention uses the keys and values of frame 1) in both the UNet and
the ControlNet, and one shared initial noise latent repeated for all frames (no motion field).
The attention processor is diffusers' own ``CrossFrameAttnProcessor2_0`` (Text2Video-Zero
pipeline, under diffusers' deprecated pipelines); it is installed for the call only.

With ``motion_field=True`` the frames start instead from Text2Video-Zero's motion-field latents
(its text-to-video mode, :mod:`gazefusion.video.motion_field`): frame 1 alone is denoised with its
smap to step ``t1`` and on to ``t0``; its ``x_t0`` is translated by δ·k for the frame of index k
(frame 1 has index 0) and noised back to ``t1``; then all frames are denoised together from ``t1``
with cross-frame attention and their own smaps, frame 1 from its own ``x_t1``.

Frames are denoised in chunks of ``chunk_size``; like Text2Video-Zero, each chunk after the first
also carries frame 1 so that every frame attends to the same anchor frame (its duplicate output is
dropped). With the same seed, frame 1 equals the still image of the same prompt and smap, with or
without the motion field.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.pipeline.core import (
    DEFAULT_SEED,
    DENOISING,
    GazeFusionPipeline,
    denoising_callback,
    to_uint8,
)
from gazefusion.pipeline.hint import fit_smap, smaps_to_hint
from gazefusion.pipeline.sampling import SamplingParams, sampling_from
from gazefusion.progress import NO_PROGRESS, Progress
from gazefusion.video.motion_field import (
    T2V_ZERO_STRENGTH,
    T2V_ZERO_T0,
    T2V_ZERO_T1,
    check_motion_field_times,
    forward_diffuse,
    schedule,
    t2v_zero_module,
    timestep_window,
    warp_latents,
)


@dataclass
class VideoOutput:
    """Frames (uint8 (H, W, 3)), the smaps fed per frame (float32 (H, W)) and the settings."""

    frames: list[np.ndarray]
    smaps: list[np.ndarray]
    params: dict[str, Any]


def cross_frame_processor_class():
    """diffusers' Text2Video-Zero cross-frame attention processor (SDPA version)."""
    return t2v_zero_module().CrossFrameAttnProcessor2_0


def frame_chunks(n_frames: int, chunk_size: int) -> list[list[int]]:
    """Frame indices per model call: the first ``chunk_size`` frames, then frame 0 + the next ``chunk_size - 1``."""
    chunks = [list(range(min(chunk_size, n_frames)))]
    rest = list(range(chunk_size, n_frames))
    step = chunk_size - 1
    chunks += [[0, *rest[i : i + step]] for i in range(0, len(rest), step)]
    return chunks


@contextlib.contextmanager
def cross_frame_attention(pipe: GazeFusionPipeline, batch_size: int) -> Iterator[None]:
    """Install cross-frame attention on the UNet and the ControlNet; restore the old processors after.

    ``batch_size`` is the number of stacked videos in a model call: 2 with classifier-free guidance
    (unconditional and conditional halves), else 1.
    """
    processor_cls = cross_frame_processor_class()
    models = [pipe.sd.unet, pipe.sd.controlnet]
    saved = [m.attn_processors for m in models]
    try:
        for m in models:
            m.set_attn_processor(processor_cls(batch_size=batch_size))
        yield
    finally:
        for m, procs in zip(models, saved, strict=True):
            m.set_attn_processor(procs)


def generate_video(
    pipe: GazeFusionPipeline,
    prompt: str,
    smaps: Sequence[np.ndarray],
    *,
    seed: int = DEFAULT_SEED,
    sampling: SamplingParams | None = None,
    height: int | None = None,
    width: int | None = None,
    chunk_size: int = 8,
    motion_field: bool = False,
    motion_field_strength_x: float = T2V_ZERO_STRENGTH,
    motion_field_strength_y: float = T2V_ZERO_STRENGTH,
    t0: int = T2V_ZERO_T0,
    t1: int = T2V_ZERO_T1,
    progress: Progress = NO_PROGRESS,
    **overrides: Any,
) -> VideoOutput:
    """Generate one frame per smap (float32 (H, W) in [0, 1], all of one size) for ``prompt``.

    ``sampling`` and its keyword ``overrides`` (``steps=``, ``guidance_scale=``, ...) as for still
    images, with the same defaults (DDIM 50, CFG 9.0, eta 0, strength 1.0); Text2Video-Zero
    itself used DDIM 20 with an added and a negative prompt in its ControlNet mode. ``progress``
    gets ``denoising``: the steps of the model calls (one per step of a call, whatever its frames)
    of the whole video.

    ``motion_field``: start the frames from T2V-Zero's motion-field latents. The strengths are
    pixels per frame on a 512×512 grid (T2V-Zero: 12, 12); ``t0 < t1`` are DDIM step indices
    counted from the end of the schedule (T2V-Zero: 44, 47 of 50 steps, i.e. timesteps 881 and 941;
    for other step counts use :func:`gazefusion.video.motion_field.motion_field_times`).
    """
    import torch
    from diffusers.utils.torch_utils import randn_tensor

    from gazefusion import smaps as smaps_module

    sampling = sampling_from(sampling, **overrides)
    steps, guidance_scale, control_scale = sampling.steps, sampling.guidance_scale, sampling.control_scale
    negative_prompt, eta = sampling.negative_prompt, sampling.eta
    if not isinstance(prompt, str):
        raise UserInputError(f"prompt: expected one text for the whole video, found {type(prompt).__name__}")
    if len(smaps) < 1:
        raise UserInputError("smaps: expected at least one frame's smap, found none")
    if chunk_size < 2:
        raise UserInputError(f"chunk_size: expected >= 2, found {chunk_size}")
    if motion_field:
        check_motion_field_times(steps, t0, t1)
        for name, value in (
            ("motion_field_strength_x", motion_field_strength_x),
            ("motion_field_strength_y", motion_field_strength_y),
        ):
            if not np.isfinite(value):
                raise UserInputError(f"{name}: expected a finite number of pixels, found {value}")
    shapes = {np.shape(s) for s in smaps}
    if len(shapes) != 1:
        raise UserInputError(f"smaps: expected one size for every frame, found {sorted(shapes)}")
    validated = [
        np.asarray(smaps_module.validate_smap(s, name=f"smap of frame {k}"), dtype=np.float32)
        for k, s in enumerate(smaps)
    ]
    first = fit_smap(validated[0], height, width, pipe.size_multiple, name="smaps")
    fitted = [first] + [fit_smap(s, *first.shape, pipe.size_multiple) for s in validated[1:]]
    h, w = first.shape

    sd = pipe.sd
    shape = (1, sd.unet.config.in_channels, h // pipe.size_multiple, w // pipe.size_multiple)
    generator = torch.Generator("cpu").manual_seed(seed)
    noise = randn_tensor(
        shape, generator=generator, device=pipe.device, dtype=pipe.dtype
    )  # as the still-image pipeline draws it: frame 1 = still image

    chunks = frame_chunks(len(fitted), chunk_size)
    total_steps = steps * len(chunks)
    if motion_field:
        total_steps = (steps - t0 - 1) + (t1 + 1) * len(chunks)

    progress(DENOISING, 0, total_steps)
    step_callback = denoising_callback(progress, total_steps)

    def denoise(idx: list[int], latents, output_type: str = "np", callback=step_callback):
        return sd(
            prompt=[prompt] * len(idx),
            image=smaps_to_hint([fitted[i] for i in idx]),
            height=h,
            width=w,
            num_inference_steps=steps,
            guidance_scale=guidance_scale,
            negative_prompt=None if negative_prompt is None else [negative_prompt] * len(idx),
            eta=eta,
            controlnet_conditioning_scale=float(control_scale),
            guess_mode=False,
            latents=latents,
            output_type=output_type,
            callback_on_step_end=callback,
        ).images

    frames: list[np.ndarray] = []
    with cross_frame_attention(pipe, batch_size=2 if guidance_scale > 1.0 else 1):
        if motion_field:
            start = _motion_field_latents(
                sd,
                denoise,
                noise,
                generator,
                n_frames=len(fitted),
                steps=steps,
                t0=t0,
                t1=t1,
                strength=(motion_field_strength_x, motion_field_strength_y),
                step_callback=step_callback,
            )
            window = timestep_window(sd, steps - t1 - 1)
        else:
            start = noise.repeat(len(fitted), 1, 1, 1)
            window = contextlib.nullcontext()
        with window:
            for n, idx in enumerate(chunks):
                images = [to_uint8(im) for im in denoise(idx, start[idx])]
                frames.extend(images if n == 0 else images[1:])  # later chunks start with the anchor frame
    params = pipe.params(sampling)
    params.update(
        seed=int(seed),
        frames=len(frames),
        chunk_size=chunk_size,
        mode="text2video-zero controlnet" + (" + motion field" if motion_field else ""),
        motion_field=bool(motion_field),
    )
    if motion_field:
        params.update(
            motion_field_strength_x=float(motion_field_strength_x),
            motion_field_strength_y=float(motion_field_strength_y),
            t0=int(t0),
            t1=int(t1),
        )
    return VideoOutput(frames=frames, smaps=fitted, params=params)


def _motion_field_latents(sd, denoise, noise, generator, *, n_frames, steps, t0, t1, strength, step_callback):
    """Every frame's latent at step ``t1`` (n_frames, C, h, w), as Text2Video-Zero makes them.

    Frame 0 alone (its smap, ``denoise``) goes through ``timesteps[: -t0 - 1]``, keeping its latent
    at ``timesteps[-t1 - 1]``; frame k > 0 is frame 0's ``x_t0`` translated by δ·k, then noised back
    from timestep ``timesteps[-t0 - 1]`` to ``timesteps[-t1 - 1]`` with noise from ``generator``.
    """
    import torch

    timesteps = schedule(sd, steps)
    keep_at = steps - t1 - 1  # the number of steps that reach x_t1
    kept = {"x_t1": noise} if keep_at == 0 else {}

    def keep_x_t1(pipe, i, t, tensors):
        if i + 1 == keep_at:
            kept["x_t1"] = tensors["latents"].clone()
        return step_callback(pipe, i, t, tensors)

    with timestep_window(sd, 0, steps - t0 - 1):
        x_t0 = denoise([0], noise, output_type="latent", callback=keep_x_t1)
    if n_frames == 1:
        return kept["x_t1"]
    others = warp_latents(x_t0, range(1, n_frames), *strength)
    others = forward_diffuse(sd, others, int(timesteps[-t0 - 1]), int(timesteps[-t1 - 1]), generator)
    return torch.cat([kept["x_t1"], others])
