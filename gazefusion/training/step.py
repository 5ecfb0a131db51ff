"""One ControlNet training loss, as diffusers' ``examples/controlnet/train_controlnet.py`` computes it.

VAE-encode the crop (a sample of the latent distribution, times the VAE's scaling factor), add
noise at a uniformly drawn timestep, run the ControlNet on the noisy latents + smap hint, add its
residuals to the frozen UNet, and take the MSE between the UNet's prediction and the target of the
scheduler's ``prediction_type`` (ε for SD2.1-base). With ``mid_control`` only the middle-block
residual reaches the UNet (the original's ``only_mid_control``).

All randomness (latent sample, noise, timesteps, prompt dropout) comes from the ``generator``
passed in; the training loop seeds it per micro-batch, so a resumed run draws exactly what an
uninterrupted run would.
"""

from __future__ import annotations

from dataclasses import dataclass

from gazefusion.utils.seeds import derive_seed


@dataclass
class StepModels:
    """The modules a training step uses (``controlnet``/``unet`` may be accelerate-wrapped)."""

    vae: object
    text_encoder: object
    unet: object
    controlnet: object
    noise_scheduler: object


def micro_step_seed(seed: int, process_index: int, micro_step: int) -> int:
    """A 63-bit seed for one micro-batch of one process, independent of any RNG state."""
    return derive_seed(seed, process_index, micro_step)


def tokenize(tokenizer, prompts: list[str]):
    """Prompt ids padded/truncated to the tokenizer's ``model_max_length`` (77), as a LongTensor."""
    return tokenizer(
        list(prompts),
        max_length=tokenizer.model_max_length,
        padding="max_length",
        truncation=True,
        return_tensors="pt",
    ).input_ids


def training_loss(
    models: StepModels,
    batch: dict,
    generator,
    *,
    weight_dtype,
    empty_prompt_ids=None,
    proportion_empty_prompts: float = 0.0,
    mid_control: bool = False,
):
    """The denoising MSE of one batch (``pixel_values`` in [-1, 1], ``conditioning_pixel_values`` in [0, 1])."""
    import torch
    import torch.nn.functional as F

    vae, sched = models.vae, models.noise_scheduler
    pixels = batch["pixel_values"].to(dtype=weight_dtype)
    device = pixels.device
    latents = vae.encode(pixels).latent_dist.sample(generator=generator) * vae.config.scaling_factor
    noise = torch.randn(latents.shape, generator=generator, device=device, dtype=latents.dtype)
    bsz = latents.shape[0]
    timesteps = torch.randint(
        0, sched.config.num_train_timesteps, (bsz,), generator=generator, device=device
    ).long()
    noisy_latents = sched.add_noise(latents, noise, timesteps)

    input_ids = batch["input_ids"]
    if proportion_empty_prompts > 0:
        drop = torch.rand(bsz, generator=generator, device=device) < proportion_empty_prompts
        input_ids = torch.where(drop[:, None], empty_prompt_ids.to(input_ids.device)[None], input_ids)
    encoder_hidden_states = models.text_encoder(input_ids, return_dict=False)[0]

    down_res, mid_res = models.controlnet(
        noisy_latents,
        timesteps,
        encoder_hidden_states=encoder_hidden_states,
        controlnet_cond=batch["conditioning_pixel_values"].to(dtype=weight_dtype),
        return_dict=False,
    )
    if mid_control:
        down_res = [torch.zeros_like(r) for r in down_res]  # constants: no gradient reaches those outputs
    model_pred = models.unet(
        noisy_latents,
        timesteps,
        encoder_hidden_states=encoder_hidden_states,
        down_block_additional_residuals=[r.to(dtype=weight_dtype) for r in down_res],
        mid_block_additional_residual=mid_res.to(dtype=weight_dtype),
        return_dict=False,
    )[0]

    if sched.config.prediction_type == "epsilon":
        target = noise
    elif sched.config.prediction_type == "v_prediction":
        target = sched.get_velocity(latents, noise, timesteps)
    else:
        raise ValueError(f"unknown prediction_type {sched.config.prediction_type!r}")
    return F.mse_loss(model_pred.float(), target.float(), reduction="mean")
