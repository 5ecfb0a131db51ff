"""Time one ControlNet training step (forward + backward + AdamW) and report peak memory.

Runs the same loss as ``gazefusion train`` (:func:`gazefusion.training.step.training_loss`) on
random data with randomly initialised models built from configs (nothing is downloaded):

    python benchmarks/train_step.py --size tiny --resolution 64 --batch-size 4            # CPU
    python benchmarks/train_step.py --size sd21 --device cuda --batch-size 16 \\
        --mixed-precision fp16 --gradient-checkpointing                                   # GPU

``--size sd21`` builds SD2.1-base-sized UNet/ControlNet/VAE/text encoder from the shipped configs
(fp32 trainable ControlNet; frozen parts in the mixed-precision dtype, as in training). Prints one
JSON line: median step time (s) over the timed steps, peak GPU memory (GiB) and parameter counts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def build(size: str):
    import torch
    from diffusers import AutoencoderKL, ControlNetModel, DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from gazefusion.models import SD21_CONFIG_DIR, TINY_CONFIG_DIR
    from gazefusion.models.tokenizer import build_tokenizer

    folder = TINY_CONFIG_DIR if size == "tiny" else SD21_CONFIG_DIR
    torch.manual_seed(0)
    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(folder / "unet"))
    vae = AutoencoderKL.from_config(AutoencoderKL.load_config(folder / "vae"))
    text = CLIPTextModel(CLIPTextConfig.from_pretrained(folder / "text_encoder", local_files_only=True))
    shape = ControlNetModel.load_config(folder / "controlnet")
    controlnet = ControlNetModel.from_unet(
        unet, conditioning_embedding_out_channels=tuple(shape["conditioning_embedding_out_channels"])
    )
    sched = DDPMScheduler.from_pretrained(folder, subfolder="scheduler", local_files_only=True)
    return unet, vae, text, controlnet, sched, build_tokenizer()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("tiny", "sd21"), default="tiny")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=5, help="timed steps (after 2 warm-up steps)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--mixed-precision", choices=("no", "fp16", "bf16"), default="no")
    parser.add_argument("--gradient-checkpointing", action="store_true")
    args = parser.parse_args(argv)

    import torch

    from gazefusion.training.step import StepModels, tokenize, training_loss

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(args.mixed_precision, torch.float32)
    unet, vae, text, controlnet, sched, tokenizer = build(args.size)
    for module in (unet, vae, text):
        module.requires_grad_(False).to(device, dtype=dtype)
    controlnet.to(device).train()
    if args.gradient_checkpointing:
        controlnet.enable_gradient_checkpointing()
        unet.enable_gradient_checkpointing()
    optimizer = torch.optim.AdamW(controlnet.parameters(), lr=1e-5)
    models = StepModels(vae, text, unet, controlnet, sched)
    r, b = args.resolution, args.batch_size
    batch = {
        "pixel_values": (torch.rand(b, 3, r, r) * 2 - 1).to(device),
        "conditioning_pixel_values": torch.rand(b, 3, r, r).to(device),
        "input_ids": tokenize(tokenizer, ["a sailboat on the sea"] * b).to(device),
    }
    generator = torch.Generator(device=device).manual_seed(0)
    autocast = torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32)
    scaler = torch.amp.GradScaler(enabled=args.mixed_precision == "fp16")
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for i in range(args.steps + 2):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        with autocast:
            loss = training_loss(models, batch, generator, weight_dtype=dtype)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if i >= 2:
            times.append(time.perf_counter() - start)
    report = {
        "size": args.size,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "resolution": r,
        "batch_size": b,
        "mixed_precision": args.mixed_precision,
        "gradient_checkpointing": args.gradient_checkpointing,
        "step_s_median": round(statistics.median(times), 4),
        "step_s_all": [round(t, 4) for t in times],
        "peak_gpu_gib": round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
        if device.type == "cuda"
        else None,
        "params_m": {
            name: round(sum(p.numel() for p in m.parameters()) / 1e6, 1)
            for name, m in (("unet", unet), ("controlnet", controlnet), ("vae", vae), ("text_encoder", text))
        },
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
