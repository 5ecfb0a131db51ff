"""The modules of ControlNet training: loading, ControlNet initialisation, what is trained.

- Base model (VAE, text encoder, tokenizer, UNet, scheduler) through
  :func:`gazefusion.models.loading.load_components` (diffusers folder or cldm checkpoint).
- ControlNet: copied from the UNet encoder (``ControlNetModel.from_unet``, as ControlNet's
  ``tool_add_control_sd21.py``: hint encoder random with a zero last conv, zero convolutions), or
  a diffusers ControlNet folder, or the ControlNet of a cldm checkpoint (the original's
  "untrained GazeFusion" ``gazefusion-init-sd21.ckpt``, whose SD weights are then used as well).
- Trained: the ControlNet; with ``unlock_sd`` also the UNet's ``up_blocks`` + ``conv_norm_out`` +
  ``conv_out`` (the original's ``output_blocks`` + ``out``). Everything else is frozen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gazefusion.errors import UserInputError

#: UNet parts trained with ``--unlock-sd`` (diffusers names of the original's output_blocks and out).
UNLOCKED_UNET_MODULES = ("up_blocks", "conv_norm_out", "conv_out")
_CLDM_SUFFIXES = (".ckpt", ".pt", ".pth", ".safetensors", ".bin")


@dataclass
class TrainingModels:
    """Everything training needs, on the CPU in float32 until the loop places it."""

    tokenizer: object
    text_encoder: object
    vae: object
    unet: object
    controlnet: object
    scheduler: object  # the model's own (inference) scheduler, kept for validation and export
    noise_scheduler: object  # DDPMScheduler from the same config: the forward process of training
    description: str


def _is_checkpoint_file(ref: str | None) -> bool:
    return ref is not None and Path(ref).is_file() and Path(ref).suffix.lower() in _CLDM_SUFFIXES


def load_training_models(model: str | None, controlnet: str | None) -> TrainingModels:
    """Load the base model and initialise the ControlNet (see the module docstring)."""
    import torch
    from diffusers import ControlNetModel, DDPMScheduler

    from gazefusion.models.loading import load_components

    source = controlnet if _is_checkpoint_file(controlnet) else model
    if source is not None and Path(source).is_dir() and not (Path(source) / "controlnet").is_dir():
        comps, description = _load_plain_sd(Path(source))
    else:
        comps, info = load_components(source, device="cpu", dtype=torch.float32)
        if info["source"] == "tiny" and source is None:
            raise UserInputError(
                "--model: no SD2.1-base model given (and GAZEFUSION_MODEL is not set); give --model DIR (a "
                "diffusers SD2.1-base folder), --controlnet gazefusion-init-sd21.ckpt, or --model tiny to try "
                "training on the tiny random test model"
            )
        description = f"{info['model_id']} ({info['source']}, {info['weight_hash']})"
    unet = comps["unet"]
    if _is_checkpoint_file(controlnet):
        net = comps.get("controlnet")
        if net is None:
            raise UserInputError(f"--controlnet: {controlnet} holds no ControlNet weights (control_model.*)")
        description = f"{description} (ControlNet from the checkpoint)"
    elif controlnet is not None:
        folder = Path(controlnet)
        if (folder / "controlnet" / "config.json").is_file():
            folder = folder / "controlnet"
        if not (folder / "config.json").is_file():
            raise UserInputError(
                f"--controlnet: expected a diffusers ControlNet folder or a cldm checkpoint, "
                f"found {controlnet}"
            )
        net = ControlNetModel.from_pretrained(folder, local_files_only=True, dtype=torch.float32)
        description = f"{description} + ControlNet {folder}"
    else:
        shape = comps.get("controlnet")  # keep the model's hint-encoder widths when it has a ControlNet
        kwargs = (
            {"conditioning_embedding_out_channels": hint_encoder_widths(comps["vae"])}
            if shape is None
            else {
                "conditioning_embedding_out_channels": tuple(
                    shape.config.conditioning_embedding_out_channels
                ),
                "conditioning_channels": shape.config.conditioning_channels,
            }
        )
        net = ControlNetModel.from_unet(unet, **kwargs)
        description = f"{description} (ControlNet copied from its UNet)"
    scheduler = comps["scheduler"]
    return TrainingModels(
        tokenizer=comps["tokenizer"],
        text_encoder=comps["text_encoder"],
        vae=comps["vae"],
        unet=unet,
        controlnet=net.float(),
        scheduler=scheduler,
        noise_scheduler=DDPMScheduler.from_config(scheduler.config),
        description=description,
    )


#: The hint encoder's widths in ControlNet (and diffusers' default): 3 downsamplings, for a VAE of factor 8.
HINT_ENCODER_WIDTHS = (16, 32, 96, 256)


def hint_encoder_widths(vae) -> tuple[int, ...]:
    """Hint-encoder widths that bring the smap from pixels to the latent size of ``vae``.

    The encoder halves the size once per width after the first, so a VAE of factor 2^k needs k+1
    widths: ControlNet's ``(16, 32, 96, 256)`` for SD's factor 8, ``(16, 32, 96)`` for factor 4.
    """
    downsamplings = len(vae.config.block_out_channels) - 1
    if downsamplings + 1 > len(HINT_ENCODER_WIDTHS):
        return HINT_ENCODER_WIDTHS + (HINT_ENCODER_WIDTHS[-1],) * (
            downsamplings + 1 - len(HINT_ENCODER_WIDTHS)
        )
    return HINT_ENCODER_WIDTHS[: downsamplings + 1]


def _load_plain_sd(folder: Path) -> tuple[dict, str]:
    """A diffusers Stable Diffusion folder without a ControlNet (e.g. stable-diffusion-2-1-base)."""
    import torch
    from diffusers import StableDiffusionPipeline

    if not (folder / "model_index.json").is_file():
        raise UserInputError(f"--model {folder}: expected a diffusers folder with model_index.json")
    pipe = StableDiffusionPipeline.from_pretrained(
        folder,
        dtype=torch.float32,
        local_files_only=True,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    names = ("unet", "vae", "text_encoder", "tokenizer", "scheduler")
    return {n: getattr(pipe, n) for n in names}, f"{folder.name} (diffusers, no ControlNet)"


def set_trainable(models: TrainingModels, unlock_sd: bool) -> list:
    """Freeze what the original froze; return the trained parameters (ControlNet first)."""
    models.vae.requires_grad_(False)
    models.text_encoder.requires_grad_(False)
    models.unet.requires_grad_(False)
    models.controlnet.requires_grad_(True)
    models.controlnet.train()
    params = list(models.controlnet.parameters())
    if unlock_sd:
        for name in UNLOCKED_UNET_MODULES:
            module = getattr(models.unet, name)
            module.requires_grad_(True)
            params += list(module.parameters())
    return params


def unet_trainable_state(unet) -> dict:
    """The UNet tensors trained with ``--unlock-sd`` (names as in the UNet's state dict)."""
    return {k: v for k, v in unet.state_dict().items() if k.split(".")[0] in UNLOCKED_UNET_MODULES}
