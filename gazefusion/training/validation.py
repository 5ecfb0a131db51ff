"""Validation images during training: fixed smaps and prompts, sampled like ``gazefusion generate``.

Every ``--validation-steps`` updates the main process samples ``--num-validation-images`` images
per (smap, prompt) pair with the current ControlNet (DDIM, ``--validation-inference-steps``,
guidance ``--validation-guidance-scale``, seeds ``seed, seed+1, …``: the same noise every time, so
the images show how training changes the output) and writes them to
``OUTPUT_DIR/validation/step-{step:07d}/{pair:02d}-{sample}.png``, and to TensorBoard when that
tracker is active.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def validation_pairs(smaps: tuple[str, ...], prompts: tuple[str, ...]) -> list[tuple[str, str]]:
    """(smap, prompt) pairs: one list may have a single item, paired with every item of the other."""
    if len(smaps) == 1:
        smaps = smaps * len(prompts)
    if len(prompts) == 1:
        prompts = prompts * len(smaps)
    return list(zip(smaps, prompts, strict=True))


def run_validation(models, controlnet, cfg, accelerator, step: int) -> list[Path]:
    """Sample and save the validation images (call on the main process only); returns the files."""
    import torch
    from diffusers import DDIMScheduler, StableDiffusionControlNetPipeline

    from gazefusion.pipeline import GazeFusionPipeline
    from gazefusion.smaps import resolve_smap
    from gazefusion.utils.images import write_rgb

    sd = StableDiffusionControlNetPipeline(
        vae=models.vae,
        text_encoder=models.text_encoder,
        tokenizer=models.tokenizer,
        unet=models.unet,
        controlnet=controlnet,
        scheduler=DDIMScheduler.from_config(models.scheduler.config),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    sd.set_progress_bar_config(disable=True)
    pipe = GazeFusionPipeline(sd, model_description=f"training step {step}")
    size = (cfg.resolution, cfg.resolution)
    pairs = validation_pairs(cfg.validation_smap, cfg.validation_prompt)
    folder = Path(cfg.output_dir) / "validation" / f"step-{step:07d}"
    was_training = controlnet.training
    controlnet.eval()
    files: list[Path] = []
    try:
        with torch.no_grad(), accelerator.autocast():
            for k, (smap_ref, prompt) in enumerate(pairs):
                smap = resolve_smap(smap_ref, size=size)[0]
                out = pipe(
                    prompt=prompt,
                    smap=smap,
                    seed=cfg.seed,
                    num_samples=cfg.num_validation_images,
                    steps=cfg.validation_inference_steps,
                    guidance_scale=cfg.validation_guidance_scale,
                )
                for j, image in enumerate(out.images):
                    path = folder / f"{k:02d}-{j}.png"
                    write_rgb(path, image)
                    files.append(path)
                _log_images(accelerator, f"validation/{k:02d} {prompt}", smap, out.images, step)
    finally:
        controlnet.train(was_training)
    return files


def _log_images(accelerator, tag: str, smap: np.ndarray, images: list[np.ndarray], step: int) -> None:
    for tracker in accelerator.trackers:
        if tracker.name == "tensorboard":
            hint = np.repeat((np.asarray(smap) * 255).astype(np.uint8)[..., None], 3, axis=2)
            tracker.writer.add_images(tag, np.stack([hint, *images]), step, dataformats="NHWC")
