"""The ControlNet training loop, structured as diffusers' ``examples/controlnet/train_controlnet.py``.

Accelerator with a ``ProjectConfiguration``; the ControlNet (and, with ``--unlock-sd``, the UNet)
prepared with the optimiser, dataloader and LR scheduler; frozen modules cast to the
mixed-precision dtype; ``accelerator.accumulate``; ``checkpoint-N`` folders with a limit;
``--resume-from-checkpoint latest``; validation images every N updates; the final export.
Multi-GPU / multi-node runs are ``accelerate launch -m gazefusion train ...`` with no change.

Exact resume: the data order is a function of (seed, epoch) (:class:`EpochPermutationSampler`),
a resumed run skips the batches already used in its epoch (``skip_first_batches``), and each
micro-batch draws its noise/timesteps/latent sample/prompt dropout from a generator seeded by
(seed, process, micro-batch index) — so an interrupted and resumed run performs exactly the
updates of an uninterrupted one; optimiser, LR-scheduler and EMA states come from the checkpoint.
"""

from __future__ import annotations

import importlib.util
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from gazefusion.errors import UserInputError
from gazefusion.progress import NO_PROGRESS, Progress
from gazefusion.training.config import TrainConfig
from gazefusion.utils.atomic import atomic_write_text


@dataclass
class TrainResult:
    """What a run did: the update counter reached, per-update losses of this run, written files."""

    global_step: int
    losses: list[float] = field(default_factory=list)
    first_step: int = 0
    export_dir: Path | None = None
    cldm_path: Path | None = None
    checkpoints: list[Path] = field(default_factory=list)
    validation_files: list[Path] = field(default_factory=list)
    is_main_process: bool = True


def _tracker(cfg: TrainConfig) -> str | None:
    if cfg.report_to in (None, "none"):
        return None
    if cfg.report_to == "tensorboard" and importlib.util.find_spec("tensorboard") is None:
        return None  # TensorBoard not installed: images and losses still go to disk
    return cfg.report_to


def _optimizer(cfg: TrainConfig, params):
    import torch

    if cfg.use_8bit_adam:
        try:
            import bitsandbytes as bnb
        except ImportError:
            raise UserInputError(
                "--use-8bit-adam: needs the bitsandbytes package (pip install bitsandbytes)"
            ) from None
        cls = bnb.optim.AdamW8bit
    else:
        cls = torch.optim.AdamW
    return cls(
        params,
        lr=cfg.learning_rate,
        betas=(cfg.adam_beta1, cfg.adam_beta2),
        weight_decay=cfg.adam_weight_decay,
        eps=cfg.adam_epsilon,
    )


#: The task :func:`train` reports: optimiser updates (``done`` starts at a resumed run's step).
TRAIN_TASK = "train ControlNet"


def train(cfg: TrainConfig, progress: Progress = NO_PROGRESS) -> TrainResult:
    """Train the ControlNet as configured; returns a :class:`TrainResult` (on every process).

    ``progress`` gets :data:`TRAIN_TASK` in optimiser updates of ``cfg.max_train_steps``, on the
    main process only: once the models are loaded (and a checkpoint resumed), then after each update.
    """
    import torch
    from accelerate import Accelerator
    from accelerate.utils import DistributedDataParallelKwargs, ProjectConfiguration, set_seed
    from diffusers.optimization import get_scheduler
    from diffusers.training_utils import EMAModel

    from gazefusion.data.dataset import TripletDataset, load_examples
    from gazefusion.training.checkpoints import register_weight_hooks, resolve_resume, save_checkpoint
    from gazefusion.training.data import Collate, EpochPermutationSampler
    from gazefusion.training.model import load_training_models, set_trainable
    from gazefusion.training.step import StepModels, micro_step_seed, tokenize, training_loss

    out = Path(cfg.output_dir)
    examples = load_examples(cfg.data)  # fail on bad data before loading any model
    accelerator = Accelerator(
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        mixed_precision=cfg.mixed_precision,
        log_with=_tracker(cfg),
        project_config=ProjectConfiguration(project_dir=str(out), logging_dir=str(out / "logs")),
        kwargs_handlers=[DistributedDataParallelKwargs(find_unused_parameters=cfg.mid_control)],
        cpu=not torch.cuda.is_available(),  # lets CPU-only processes (torchrun) form a gloo group
    )
    set_seed(cfg.seed)
    if accelerator.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
    if cfg.allow_tf32:
        torch.backends.cuda.matmul.allow_tf32 = True

    models = load_training_models(cfg.model, cfg.controlnet)
    params = set_trainable(models, cfg.unlock_sd)
    if cfg.gradient_checkpointing:
        models.controlnet.enable_gradient_checkpointing()
        models.unet.enable_gradient_checkpointing()
    register_weight_hooks(accelerator)
    optimizer = _optimizer(cfg, params)
    ema = None
    if cfg.use_ema:
        ema = EMAModel(params, decay=cfg.ema_decay)
        accelerator.register_for_checkpointing(ema)

    dataset = TripletDataset(examples, cfg.resolution)
    sampler = EpochPermutationSampler(len(dataset), cfg.seed)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=cfg.train_batch_size,
        sampler=sampler,
        collate_fn=Collate(models.tokenizer),
        num_workers=cfg.dataloader_num_workers,
    )
    n = accelerator.num_processes
    lr_scheduler = get_scheduler(
        cfg.lr_scheduler,
        optimizer=optimizer,
        num_warmup_steps=cfg.lr_warmup_steps * n,
        num_training_steps=cfg.max_train_steps * n,
    )
    if cfg.unlock_sd:
        controlnet, unet, optimizer, loader, lr_scheduler = accelerator.prepare(
            models.controlnet, models.unet, optimizer, loader, lr_scheduler
        )
        trained = (controlnet, unet)
    else:
        controlnet, optimizer, loader, lr_scheduler = accelerator.prepare(
            models.controlnet, optimizer, loader, lr_scheduler
        )
        unet = models.unet
        trained = (controlnet,)

    weight_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(
        accelerator.mixed_precision, torch.float32
    )
    cast = {} if weight_dtype == torch.float32 else {"dtype": weight_dtype}
    models.vae.to(accelerator.device, **cast)
    models.text_encoder.to(accelerator.device, **cast)
    if cfg.unlock_sd:
        _cast_frozen(accelerator.unwrap_model(unet), accelerator.device, weight_dtype)
    else:
        unet.to(accelerator.device, **cast)
    if ema is not None:
        ema.to(accelerator.device)
    step_models = StepModels(models.vae, models.text_encoder, unet, controlnet, models.noise_scheduler)
    empty_ids = tokenize(models.tokenizer, [""])[0].to(accelerator.device)

    updates_per_epoch = math.ceil(len(loader) / cfg.gradient_accumulation_steps)
    num_epochs = math.ceil(cfg.max_train_steps / updates_per_epoch)
    if accelerator.is_main_process:
        accelerator.init_trackers(
            "gazefusion-train",
            config={k: v for k, v in cfg.to_json().items() if not isinstance(v, list) and v is not None},
        )
        atomic_write_text(
            out / "train_config.json",
            json.dumps(
                {**cfg.to_json(), "model_description": models.description, "examples": len(dataset)}, indent=2
            ),
        )

    global_step = 0
    resume = resolve_resume(out, cfg.resume_from_checkpoint)
    if resume is not None:
        global_step, path = resume
        accelerator.print(f"resuming from {path}")
        accelerator.load_state(str(path))
    result = TrainResult(
        global_step=global_step, first_step=global_step, is_main_process=accelerator.is_main_process
    )
    first_epoch = global_step // updates_per_epoch
    skip_batches = (global_step % updates_per_epoch) * cfg.gradient_accumulation_steps

    rank = accelerator.process_index
    generator = torch.Generator(device=accelerator.device)
    if accelerator.is_main_process:
        progress(TRAIN_TASK, global_step, cfg.max_train_steps)
    for epoch in range(first_epoch, num_epochs):
        if global_step >= cfg.max_train_steps:
            break
        loader.set_epoch(epoch)
        epoch_loader = loader
        start = skip_batches if epoch == first_epoch else 0
        if start:
            epoch_loader = accelerator.skip_first_batches(loader, start)
            epoch_loader.set_epoch(epoch)
        for index, batch in enumerate(epoch_loader, start=start):
            generator.manual_seed(micro_step_seed(cfg.seed, rank, epoch * len(loader) + index))
            with accelerator.accumulate(*trained):
                loss = training_loss(
                    step_models,
                    batch,
                    generator,
                    weight_dtype=weight_dtype,
                    empty_prompt_ids=empty_ids,
                    proportion_empty_prompts=cfg.proportion_empty_prompts,
                    mid_control=cfg.mid_control,
                )
                accelerator.backward(loss)
                if accelerator.sync_gradients and cfg.max_grad_norm is not None:
                    accelerator.clip_grad_norm_(params, cfg.max_grad_norm)
                optimizer.step()
                lr_scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            if not accelerator.sync_gradients:
                continue
            global_step += 1
            if ema is not None:
                ema.step(params)
            step_loss = accelerator.gather(loss.detach()[None]).mean().item()
            result.losses.append(step_loss)
            accelerator.log({"loss": step_loss, "lr": lr_scheduler.get_last_lr()[0]}, step=global_step)
            if global_step % cfg.checkpointing_steps == 0:
                result.checkpoints.append(
                    save_checkpoint(accelerator, out, global_step, cfg.checkpoints_total_limit)
                )
            if (
                cfg.validation_steps
                and global_step % cfg.validation_steps == 0
                and accelerator.is_main_process
            ):
                result.validation_files += _validate(
                    models, controlnet, ema, params, cfg, accelerator, global_step
                )
            if accelerator.is_main_process:
                progress(TRAIN_TASK, global_step, cfg.max_train_steps)
            if global_step >= cfg.max_train_steps:
                break

    accelerator.wait_for_everyone()
    result.global_step = global_step
    if cfg.export and accelerator.is_main_process:
        from gazefusion.training.export import export_trained

        if ema is not None:
            ema.copy_to(params)
        result.export_dir, result.cldm_path = export_trained(
            models, accelerator.unwrap_model(controlnet), cfg, weight_dtype, out / "export"
        )
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return result


def _cast_frozen(unet, device, dtype) -> None:
    """Move the UNet to ``device``; cast its frozen parts to ``dtype``, keep trained parts float32."""
    import torch

    from gazefusion.training.model import UNLOCKED_UNET_MODULES

    unet.to(device)
    if dtype == torch.float32:
        return
    for name, child in unet.named_children():
        if name not in UNLOCKED_UNET_MODULES:
            child.to(dtype=dtype)


def _validate(models, controlnet, ema, params, cfg, accelerator, step):
    """Validation images; with EMA, sampled with the averaged weights (training weights restored)."""
    from gazefusion.training.validation import run_validation

    net = accelerator.unwrap_model(controlnet)
    if ema is None:
        return run_validation(models, net, cfg, accelerator, step)
    ema.store(params)
    ema.copy_to(params)
    try:
        return run_validation(models, net, cfg, accelerator, step)
    finally:
        ema.restore(params)
