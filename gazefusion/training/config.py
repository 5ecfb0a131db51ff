"""The training configuration: one frozen dataclass, parsed from ``argv`` (``parse_args``).

Defaults reproduce GazeFusion's ``train.py`` (PAPER.md §3): SD2.1-base 512, ε-prediction, AdamW
lr 1e-5 constant (PyTorch defaults: betas (0.9, 0.999), eps 1e-8, weight decay 0.01 — the same as
diffusers' ControlNet example), batch 16 per process, fp32, 500k steps, a checkpoint every 5,000
steps keeping the latest one, sample images every 1,000 steps, SD locked, all 13 control outputs
used, no prompt dropout and no gradient clipping (the Lightning trainer of the original clips
nothing; diffusers' example clips at 1.0).

Every field is a command-line option ``--field-name`` (see :func:`parse_args`); the help text is
the field's ``help`` metadata.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from gazefusion.errors import UserInputError


def _opt(default, help: str, **kw):  # noqa: A002 (argparse's name)
    return field(default=default, metadata={"help": help, **kw})


@dataclass(frozen=True)
class TrainConfig:
    """Options of ``gazefusion train`` (units: steps are optimiser updates, sizes in pixels)."""

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
    resolution: int = _opt(512, "training resolution (the dataset's crop size)")
    train_batch_size: int = _opt(16, "batch size per process")
    max_train_steps: int = _opt(500_000, "number of optimiser updates")
    learning_rate: float = _opt(1e-5, "AdamW learning rate")
    lr_scheduler: str = _opt(
        "constant", "diffusers scheduler name: constant, constant_with_warmup, linear, cosine"
    )
    lr_warmup_steps: int = _opt(0, "warm-up updates of the learning-rate schedule")
    adam_beta1: float = _opt(0.9, "AdamW beta1")
    adam_beta2: float = _opt(0.999, "AdamW beta2")
    adam_weight_decay: float = _opt(1e-2, "AdamW weight decay")
    adam_epsilon: float = _opt(1e-8, "AdamW epsilon")
    max_grad_norm: float | None = _opt(
        None, "clip the gradient norm to this (default: no clipping, as the original)"
    )
    gradient_accumulation_steps: int = _opt(1, "micro-batches per optimiser update")
    gradient_checkpointing: bool = _opt(
        False, "recompute activations in the backward pass (ControlNet and UNet)"
    )
    mixed_precision: str = _opt("no", "no (fp32, as the original), fp16 or bf16")
    allow_tf32: bool = _opt(False, "allow TF32 matmuls on Ampere+ GPUs")
    use_8bit_adam: bool = _opt(False, "8-bit AdamW from bitsandbytes")
    use_ema: bool = _opt(False, "keep an exponential moving average of the trained weights (exported)")
    ema_decay: float = _opt(0.9999, "EMA decay")
    unlock_sd: bool = _opt(
        False, "also train the UNet's output (up) blocks and final norm/conv, as the original's --unlock-sd"
    )
    mid_control: bool = _opt(
        False, "feed only the middle-block control to the UNet, as the original's --mid-control"
    )
    proportion_empty_prompts: float = _opt(
        0.0, "fraction of prompts replaced by '' (classifier-free guidance)"
    )
    checkpointing_steps: int = _opt(5000, "save a resumable checkpoint every N updates")
    checkpoints_total_limit: int | None = _opt(
        1, "keep only the latest N checkpoints (default 1, as the original)"
    )
    resume_from_checkpoint: str | None = _opt(None, "'latest' or a checkpoint-N folder to resume from")
    validation_steps: int = _opt(1000, "write validation images every N updates (0: never)")
    validation_smap: tuple[str, ...] = _opt(
        ("smap1",), "validation smaps (files or built-in names)", nargs="+"
    )
    validation_prompt: tuple[str, ...] = _opt(
        ("a sailboat on the sea",), "validation prompts (one, or one per smap)", nargs="+"
    )
    num_validation_images: int = _opt(2, "samples per validation (smap, prompt) pair")
    validation_inference_steps: int = _opt(50, "DDIM steps of validation sampling")
    validation_guidance_scale: float = _opt(9.0, "classifier-free guidance of validation sampling")
    export: bool = _opt(True, "export the final model as a diffusers folder and a cldm checkpoint")
    dataloader_num_workers: int = _opt(
        min(8, os.cpu_count() or 1), "data-loading worker processes (default: min(8, CPU cores))"
    )
    report_to: str | None = _opt(
        "tensorboard", "accelerate tracker (tensorboard when installed; 'none' to disable)"
    )
    seed: int = _opt(123, "random seed (data order, noise, timesteps)")

    def check(self) -> None:
        """Validate option values (one-line :class:`UserInputError` naming the option)."""

        def bad(name: str, expected: str) -> UserInputError:
            return UserInputError(
                f"--{name.replace('_', '-')}: expected {expected}, found {getattr(self, name)!r}"
            )

        for f in dataclasses.fields(self):
            if isinstance(getattr(self, f.name), float) and not math.isfinite(getattr(self, f.name)):
                raise bad(f.name, "a finite number")
        for name in (
            "train_batch_size",
            "max_train_steps",
            "gradient_accumulation_steps",
            "checkpointing_steps",
            "num_validation_images",
            "validation_inference_steps",
        ):
            if getattr(self, name) < 1:
                raise bad(name, "a positive integer")
        if self.resolution < 8 or self.resolution % 8:
            raise bad("resolution", "a positive multiple of 8")
        if self.learning_rate <= 0:
            raise bad("learning_rate", "a positive number")
        if not 0.0 <= self.proportion_empty_prompts <= 1.0:
            raise bad("proportion_empty_prompts", "a fraction in [0, 1]")
        if self.mixed_precision not in ("no", "fp16", "bf16"):
            raise bad("mixed_precision", "no, fp16 or bf16")
        if self.checkpoints_total_limit is not None and self.checkpoints_total_limit < 1:
            raise bad("checkpoints_total_limit", "a positive integer")
        if self.validation_steps < 0 or self.lr_warmup_steps < 0 or self.dataloader_num_workers < 0:
            raise bad(
                "validation_steps"
                if self.validation_steps < 0
                else "lr_warmup_steps"
                if self.lr_warmup_steps < 0
                else "dataloader_num_workers",
                "a non-negative integer",
            )
        if not 0.0 < self.ema_decay < 1.0:
            raise bad("ema_decay", "a number in (0, 1)")
        if self.max_grad_norm is not None and self.max_grad_norm <= 0:
            raise bad("max_grad_norm", "a positive number")
        n_s, n_p = len(self.validation_smap), len(self.validation_prompt)
        if n_s != n_p and 1 not in (n_s, n_p):
            raise UserInputError(
                f"--validation-prompt: expected 1 or {n_s} prompts (one per smap), found {n_p}"
            )

    def to_dict(self) -> dict:
        """Plain values (paths as strings), e.g. for trackers and the run's config file."""
        return {
            k: (str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v)
            for k, v in dataclasses.asdict(self).items()
        }


def _base_type(annotation: str):
    hint = typing.get_type_hints(TrainConfig)[annotation]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = args[0]
    if typing.get_origin(hint) is tuple:
        return typing.get_args(hint)[0]
    return hint


def build_parser() -> argparse.ArgumentParser:
    """An argparse parser with one ``--kebab-case`` option per :class:`TrainConfig` field."""
    parser = argparse.ArgumentParser(
        prog="gazefusion train",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        kind = _base_type(f.name)
        if kind is bool:
            parser.add_argument(
                flag,
                dest=f.name,
                action=argparse.BooleanOptionalAction,
                default=f.default,
                help=f.metadata["help"],
            )
            continue
        nullable = f.default is None or f.name in ("max_grad_norm", "checkpoints_total_limit", "report_to")
        conv = _nullable(kind) if nullable else kind
        parser.add_argument(
            flag,
            dest=f.name,
            type=conv,
            default=f.default,
            help=f.metadata["help"],
            nargs=f.metadata.get("nargs"),
        )
    return parser


def _nullable(kind):
    def convert(text: str):
        return None if text.lower() in ("none", "null", "") else kind(text)

    convert.__name__ = getattr(kind, "__name__", "value")
    return convert


def parse_args(argv: list[str] | None = None) -> TrainConfig:
    """Parse command-line arguments into a validated :class:`TrainConfig`."""
    ns = vars(build_parser().parse_args(argv))
    for name in ("validation_smap", "validation_prompt"):
        ns[name] = tuple(ns[name])
    cfg = TrainConfig(**ns)
    cfg.check()
    return cfg
