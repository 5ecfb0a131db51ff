"""The training configuration: one frozen, validated config, parsed from ``argv`` (``parse_args``).

Defaults reproduce GazeFusion's ``train.py`` (PAPER.md §3): SD2.1-base 512, ε-prediction, AdamW
lr 1e-5 constant (PyTorch defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01 — the same as
diffusers' ControlNet example), batch 16 per process, fp32, 500k steps, a checkpoint every 5,000
steps keeping the latest one, sample images every 1,000 steps, SD locked, all 13 control outputs
used, no prompt dropout and no gradient clipping (the Lightning trainer of the original clips
nothing; diffusers' example clips at 1.0).

Every field is a command-line option ``--field-name`` (see :func:`parse_args`): the help text is
the field's ``description``, a field that admits ``None`` also takes ``none``, a tuple field takes
one or more values. Values are checked when the config is made (one-line errors naming the option).
"""

from __future__ import annotations

import argparse
import os
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from gazefusion.config import Config, field_annotation_base, is_nullable
from gazefusion.data.crops import CropResolution
from gazefusion.errors import UserInputError


def _opt(default: Any, help: str, **constraints: Any) -> Any:  # noqa: A002 (argparse's name)
    return Field(default, description=help, **constraints)


class TrainConfig(Config):
    """Options of ``gazefusion train`` (units: steps are optimiser updates, sizes in pixels)."""

    label_style = "option"

    data: Path = _opt(Path("data"), "prepared dataset: a manifest folder or the original data/ layout")
    output_dir: Path = _opt(Path("logs"), "folder for checkpoints, validation images, logs and the export")
    model: str | None = _opt(
        None,
        "base SD2.1-base model (diffusers folder or cldm checkpoint) [default: "
        "the toolkit's default weights]",
    )
    controlnet: str | None = _opt(
        None,
        "initial ControlNet: a diffusers ControlNet folder, or a cldm checkpoint "
        "(e.g. the original 'untrained GazeFusion' gazefusion-init-sd21.ckpt, whose "
        "SD weights then also replace --model) [default: copied from the UNet]",
    )
    resolution: CropResolution = _opt(512, "training resolution (the dataset's crop size)")
    train_batch_size: int = _opt(16, "batch size per process", ge=1)
    max_train_steps: int = _opt(500_000, "number of optimiser updates", ge=1)
    learning_rate: float = _opt(1e-5, "AdamW learning rate", gt=0)
    lr_scheduler: str = _opt(
        "constant", "diffusers scheduler name: constant, constant_with_warmup, linear, cosine"
    )
    lr_warmup_steps: int = _opt(0, "warm-up updates of the learning-rate schedule", ge=0)
    adam_beta1: float = _opt(0.9, "AdamW beta1")
    adam_beta2: float = _opt(0.999, "AdamW beta2")
    adam_weight_decay: float = _opt(1e-2, "AdamW weight decay")
    adam_epsilon: float = _opt(1e-8, "AdamW epsilon")
    max_grad_norm: float | None = _opt(
        None, "clip the gradient norm to this (default: no clipping, as the original)", gt=0
    )
    gradient_accumulation_steps: int = _opt(1, "micro-batches per optimiser update", ge=1)
    gradient_checkpointing: bool = _opt(
        False, "recompute activations in the backward pass (ControlNet and UNet)"
    )
    mixed_precision: Literal["no", "fp16", "bf16"] = _opt("no", "no (fp32, as the original), fp16 or bf16")
    allow_tf32: bool = _opt(False, "allow TF32 matmuls on Ampere+ GPUs")
    use_8bit_adam: bool = _opt(False, "8-bit AdamW from bitsandbytes")
    use_ema: bool = _opt(False, "keep an exponential moving average of the trained weights (exported)")
    ema_decay: float = _opt(0.9999, "EMA decay", gt=0, lt=1)
    unlock_sd: bool = _opt(
        False, "also train the UNet's output (up) blocks and final norm/conv, as the original's --unlock-sd"
    )
    mid_control: bool = _opt(
        False, "feed only the middle-block control to the UNet, as the original's --mid-control"
    )
    proportion_empty_prompts: float = _opt(
        0.0, "fraction of prompts replaced by '' (classifier-free guidance)", ge=0, le=1
    )
    checkpointing_steps: int = _opt(5000, "save a resumable checkpoint every N updates", ge=1)
    checkpoints_total_limit: int | None = _opt(
        1, "keep only the latest N checkpoints (default 1, as the original)", ge=1
    )
    resume_from_checkpoint: str | None = _opt(None, "'latest' or a checkpoint-N folder to resume from")
    validation_steps: int = _opt(1000, "write validation images every N updates (0: never)", ge=0)
    validation_smap: tuple[str, ...] = _opt(("smap1",), "validation smaps (files or built-in names)")
    validation_prompt: tuple[str, ...] = _opt(
        ("a sailboat on the sea",), "validation prompts (one, or one per smap)"
    )
    num_validation_images: int = _opt(2, "samples per validation (smap, prompt) pair", ge=1)
    validation_inference_steps: int = _opt(50, "DDIM steps of validation sampling", ge=1)
    validation_guidance_scale: float = _opt(9.0, "classifier-free guidance of validation sampling")
    export: bool = _opt(True, "export the final model as a diffusers folder and a cldm checkpoint")
    dataloader_num_workers: int = _opt(
        min(8, os.cpu_count() or 1), "data-loading worker processes (default: min(8, CPU cores))", ge=0
    )
    report_to: str | None = _opt(
        "tensorboard", "accelerate tracker (tensorboard when installed; 'none' to disable)"
    )
    seed: int = _opt(123, "random seed (data order, noise, timesteps)")

    @model_validator(mode="after")
    def _prompt_per_smap(self) -> TrainConfig:
        n_s, n_p = len(self.validation_smap), len(self.validation_prompt)
        if n_s != n_p and 1 not in (n_s, n_p):
            raise UserInputError(
                f"--validation-prompt: expected 1 or {n_s} prompts (one per smap), found {n_p}"
            )
        return self


def build_parser() -> argparse.ArgumentParser:
    """An argparse parser with one ``--kebab-case`` option per :class:`TrainConfig` field."""
    parser = argparse.ArgumentParser(
        prog="gazefusion train",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for name, info in TrainConfig.model_fields.items():
        flag = "--" + name.replace("_", "-")
        kind = field_annotation_base(info.annotation)
        if kind is bool:
            parser.add_argument(
                flag,
                dest=name,
                action=argparse.BooleanOptionalAction,
                default=info.default,
                help=info.description,
            )
            continue
        if typing.get_origin(kind) is Literal:  # the config checks the choice (a one-line error)
            kind = type(typing.get_args(kind)[0])
        parser.add_argument(
            flag,
            dest=name,
            type=_nullable(kind) if is_nullable(info.annotation) else kind,
            default=info.default,
            help=info.description,
            nargs="+" if typing.get_origin(info.annotation) is tuple else None,
        )
    return parser


def _nullable(kind):
    def convert(text: str):
        return None if text.lower() in ("none", "null", "") else kind(text)

    convert.__name__ = getattr(kind, "__name__", "value")
    return convert


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    """Parse command-line arguments into a validated :class:`TrainConfig`."""
    return TrainConfig(**vars(build_parser().parse_args(argv)))
