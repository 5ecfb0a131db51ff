"""``gazefusion generate``: saliency-guided images (PNG + JSON sidecar each) or a video.

Defaults are the original GazeFusion ``generate.py``'s: smap ``smap1``, "a sailboat on the sea",
2 samples from seed 123, DDIM 50 steps, guidance 9.0, control strength 1.0, and a 50/50 JET blend
of each sample with its smap. Re-running the same command skips finished images; a run whose
images would replace ones made with other parameters is refused unless ``--overwrite``. Every
option is checked before the model is loaded.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import typer

from gazefusion.cli._common import RichProgress, console, print_notice, print_warning
from gazefusion.errors import UserInputError
from gazefusion.pipeline.core import DEFAULT_NUM_SAMPLES, DEFAULT_PROMPT, DEFAULT_SEED
from gazefusion.pipeline.sampling import DEFAULT_CONTROL_SCALE, DEFAULT_GUIDANCE_SCALE, DEFAULT_STEPS


def generate(
    smap: str = typer.Option(
        "smap1",
        "--smap",
        help="Smap: image file (/255 only), spec file (.toml/.json) or built-in name (smap1, smap2, ...).",
    ),
    prompt: str = typer.Option(DEFAULT_PROMPT, "--prompt", help="Prompt (ignored with --prompts)."),
    prompts: Path | None = typer.Option(
        None,
        "--prompts",
        help="Prompt file (.txt one per line, .csv/.jsonl "
        "with a 'prompt' field); every prompt is paired with the smap.",
    ),
    num_samples: int = typer.Option(DEFAULT_NUM_SAMPLES, "--num-samples", "-n", help="Images per prompt."),
    seed: int = typer.Option(
        DEFAULT_SEED, "--seed", help="Seed of the first sample; sample j uses seed + j."
    ),
    steps: int = typer.Option(DEFAULT_STEPS, "--steps", help="DDIM steps."),
    guidance: float = typer.Option(
        DEFAULT_GUIDANCE_SCALE, "--guidance", help="Classifier-free guidance scale."
    ),
    control_scale: float = typer.Option(
        DEFAULT_CONTROL_SCALE, "--control-scale", help="ControlNet strength."
    ),
    negative_prompt: str | None = typer.Option(
        None, "--negative-prompt", help="Negative prompt (default: none)."
    ),
    height: int | None = typer.Option(None, "--height", help="Output height px (default: the smap's)."),
    width: int | None = typer.Option(None, "--width", help="Output width px (default: the smap's)."),
    model: str | None = typer.Option(
        None,
        "--model",
        help="Diffusers folder, cldm checkpoint or cached hub id "
        "(default: $GAZEFUSION_MODEL, else the built-in toy GazeFusion; 'tiny': the random test model).",
    ),
    device: str | None = typer.Option(
        None, "--device", help="cuda, cuda:1, cpu (default: cuda if available)."
    ),
    dtype: str = typer.Option("auto", "--dtype", help="auto (fp16 on GPU, fp32 on CPU), fp32, fp16, bf16."),
    batch_size: int = typer.Option(1, "--batch-size", help="Images per denoising batch (same results)."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace images in --out that were made with other parameters."
    ),
    attention_slicing: bool = typer.Option(False, "--attention-slicing", help="Less GPU memory, slower."),
    cpu_offload: bool = typer.Option(
        False, "--cpu-offload", help="Keep idle sub-models on the CPU (GPU only)."
    ),
    blend: bool = typer.Option(
        True,
        "--blend/--no-blend",
        help="Also save each image blended 50/50 with its smap in JET, as the original did.",
    ),
    out: Path = typer.Option(Path("out/generate"), "--out", "-o", help="Output folder."),
    video: bool = typer.Option(False, "--video", help="Make a video (Text2Video-Zero ControlNet mode)."),
    motion_field: bool = typer.Option(
        False,
        "--motion-field/--no-motion-field",
        help="Video: start the frames from Text2Video-Zero's motion-field latents (frame 1's latent "
        "translated per frame) instead of one shared noise; its t0/t1 (44/47 of 50 steps) are scaled "
        "to --steps.",
    ),
    motion_strength: str = typer.Option(
        "12,12",
        "--motion-strength",
        help="Video with --motion-field: translation DX,DY per frame in pixels of a 512x512 frame "
        "(scaled with the size); frame k (first = 0) starts from the first frame's latent moved by "
        "k*(DX,DY), positive values moving content up and left.",
    ),
    frames: int = typer.Option(
        8, "--frames", help="Video frames; a spec's keyframes are sampled at t = k/(frames-1)."
    ),
    fps: float = typer.Option(8.0, "--fps", help="Video frames per second."),
    video_format: str = typer.Option("mp4", "--format", help="Video file format: mp4 or gif."),
) -> None:
    """Generate saliency-guided images (or a video) with GazeFusion."""
    from gazefusion.limits import check_image_side
    from gazefusion.pipeline import GazeFusionPipeline
    from gazefusion.pipeline.core import resolve_device_dtype
    from gazefusion.utils.paths import check_output_dir

    check_image_side(height, "--height")
    check_image_side(width, "--width")
    for option, value in (("--num-samples", num_samples), ("--steps", steps), ("--batch-size", batch_size)):
        if value < 1:
            raise UserInputError(f"{option}: expected a positive integer, found {value}")
    check_output_dir(out, "--out")
    resolve_device_dtype(device, dtype)  # a bad --device/--dtype fails before anything is loaded
    if video and video_format.lower() not in ("mp4", "gif"):
        raise UserInputError(f"--format: expected mp4 or gif, found {video_format!r}")
    if video and frames < 1:
        raise UserInputError(f"--frames: expected >= 1, found {frames}")
    if motion_field and not video:
        raise UserInputError("--motion-field: expected together with --video, found an image run")
    motion = _motion_options(steps, motion_strength) if motion_field else {}
    prompt_list = _prompt_list(prompt, prompts)
    with warnings.catch_warnings():
        warnings.showwarning = _notice_printer(warnings.showwarning)
        pipe = GazeFusionPipeline.from_pretrained(model, device=device, dtype=dtype)
        notice = pipe.model_description.get("notice") if isinstance(pipe.model_description, dict) else None
        console.print(
            notice or f"model: {pipe.model_id} ({pipe.weight_hash})", highlight=False, soft_wrap=True
        )
        pipe.enable_memory_savings(attention_slicing=attention_slicing, cpu_offload=cpu_offload)
        common = dict(
            steps=steps,
            guidance_scale=guidance,
            control_scale=control_scale,
            negative_prompt=negative_prompt,
            height=height,
            width=width,
        )
        if video:
            _video(
                pipe,
                prompt_list,
                smap,
                seed,
                frames,
                fps,
                video_format.lower(),
                out,
                common,
                motion,
                overwrite,
            )
        else:
            _images(pipe, prompt_list, smap, seed, num_samples, batch_size, blend, out, common, overwrite)


def _notice_printer(fallback):
    """A ``warnings.showwarning`` that prints smap notices and warnings as one line, others as usual."""
    from gazefusion.pipeline import EmptySmapWarning, SmapResizedWarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, SmapResizedWarning):
            print_notice(str(message))
        elif issubclass(category, EmptySmapWarning):
            print_warning(str(message))
        else:
            fallback(message, category, filename, lineno, file, line)

    return show


def _prompt_list(prompt: str, prompts: Path | None) -> list[str]:
    if prompts is None:
        return [prompt]
    from gazefusion.bench.prompts import load_prompts

    return [p.text for p in load_prompts(prompts)]


def _images(pipe, prompts, smap, seed, num_samples, batch_size, blend, out, common, overwrite) -> None:
    from gazefusion.pipeline import generate_to_folder

    with RichProgress() as progress:
        run = generate_to_folder(
            pipe,
            prompts,
            smap,
            seed,
            out,
            num_samples=num_samples,
            batch_size=batch_size,
            blend=blend,
            overwrite=overwrite,
            progress=progress,
            **common,
        )
    console.print(
        f"{run.generated} image(s) written, {run.skipped} already there: {out}",
        highlight=False,
        soft_wrap=True,
    )


def _motion_options(steps: int, motion_strength: str) -> dict:
    """``generate_video`` keywords for ``--motion-field``: strengths from "DX,DY", t0/t1 for ``steps``."""
    import math

    from gazefusion.video.motion_field import motion_field_times

    parts = motion_strength.split(",")
    try:
        dx, dy = (float(p) for p in parts)
    except ValueError:
        dx = dy = math.nan
    if len(parts) != 2 or not (math.isfinite(dx) and math.isfinite(dy)):
        raise UserInputError(
            f"--motion-strength: expected two numbers DX,DY (pixels per frame), found {motion_strength!r}"
        )
    try:
        t0, t1 = motion_field_times(steps)
    except UserInputError as exc:
        raise UserInputError(f"--steps: the motion field needs >= 2 steps, found {steps}") from exc
    return dict(motion_field=True, motion_field_strength_x=dx, motion_field_strength_y=dy, t0=t0, t1=t1)


def _video(pipe, prompts, smap, seed, frames, fps, fmt, out, common, motion, overwrite) -> None:
    from gazefusion.pipeline.folder import slugify
    from gazefusion.smaps import resolve_smap
    from gazefusion.utils.atomic import atomic_write_json
    from gazefusion.video import generate_video, write_video

    if len(prompts) != 1:
        raise UserInputError(f"--prompts: a video takes one prompt, found {len(prompts)}")
    size = (common["width"], common["height"]) if common["width"] and common["height"] else None
    maps, sources = [], []
    for k in range(frames):  # a spec is rendered at the requested size, at t = k / (frames - 1)
        array, source = resolve_smap(smap, size=size, t=k / (frames - 1) if frames > 1 else 0.0)
        maps.append(array)
        sources.append(source)
    from gazefusion.pipeline.provenance import array_sha256, library_versions

    target = out / f"{slugify(prompts[0])}_seed{seed}.{fmt}"
    request = {
        "prompt": prompts[0],
        "seed": seed,
        "frames": frames,
        "fps": fps,
        "smap_sources": sources,
        "smap_sha256": [array_sha256(m) for m in maps],
        "model": {"model_id": pipe.model_id, "weight_hash": pipe.weight_hash},
        "options": {**common, **motion},
    }
    _check_video_target(target, request, overwrite)
    with RichProgress() as progress:
        result = generate_video(
            pipe,
            prompts[0],
            maps,
            seed=seed,
            progress=progress,
            **common,
            **motion,
        )
    path = write_video(result.frames, target, fps=fps)
    atomic_write_json(
        path.with_suffix(".json"),
        {
            "request": request,
            "prompt": prompts[0],
            "seed": seed,
            "fps": fps,
            "smap": smap,
            "smap_sources": sources,
            "hint_sha256": [array_sha256(m) for m in result.smaps],
            "params": result.params,
            "model": {"model_id": pipe.model_id, "weight_hash": pipe.weight_hash},
            "versions": library_versions(),
        },
    )
    console.print(f"video: {path} ({len(result.frames)} frames)", highlight=False, soft_wrap=True)


def _check_video_target(target: Path, request: dict, overwrite: bool) -> None:
    """Refuse to replace a finished video made with another request (unless ``overwrite``)."""
    import json

    from gazefusion.utils.records import differences, other_parameters_error

    sidecar = target.with_suffix(".json")
    if overwrite or not (target.is_file() and sidecar.is_file()):
        return
    try:
        previous = json.loads(sidecar.read_text(encoding="utf-8")).get("request")
    except (OSError, ValueError, AttributeError):
        previous = None
    diffs = differences(previous, json.loads(json.dumps(request))) if isinstance(previous, dict) else []
    if previous is None or diffs:
        diffs = diffs or ["(no readable request in its sidecar)"]
        raise other_parameters_error("--out", target.parent, [f"{target.name}: {diffs[0]}", *diffs[1:]])


def register(app: typer.Typer) -> None:
    """Add ``gazefusion generate``."""
    app.command("generate")(generate)
