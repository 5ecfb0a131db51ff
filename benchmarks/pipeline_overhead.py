"""CPU overhead of GazeFusionPipeline over the raw diffusers StableDiffusionControlNetPipeline.

Both run the same tiny random model (gazefusion.models.tiny), the same prompt, hint and
per-sample CPU generators; the raw pipeline gets the ready (B, 3, H, W) hint tensor, ours gets the
float32 smap (validation, size check, hint building and uint8 conversion are what we add). Calls
are interleaved and repeated; the median time per denoising step is reported. Target: < 5 %.

    .venv/bin/python benchmarks/pipeline_overhead.py [--size 64] [--steps 10] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64, help="image side in pixels")
    parser.add_argument("--steps", type=int, default=10, help="DDIM steps per call")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per pipeline")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    from gazefusion.models.tiny import build_tiny_components
    from gazefusion.pipeline import GazeFusionPipeline
    from gazefusion.pipeline.core import to_uint8
    from gazefusion.pipeline.hint import smaps_to_hint
    from gazefusion.pipeline.sampling import SamplingParams

    torch.set_num_threads(args.threads)
    ours = GazeFusionPipeline.from_components(build_tiny_components(seed=0), device="cpu")
    raw = ours.sd  # the very same diffusers pipeline object, called directly
    yy, xx = np.mgrid[0 : args.size, 0 : args.size]
    smap = np.exp(-((xx - args.size * 0.7) ** 2 + (yy - args.size * 0.5) ** 2) / (2 * (args.size / 8) ** 2))
    smap = smap.astype(np.float32)
    hint = smaps_to_hint([smap])
    prompt, seed = "a sailboat on the sea", 123

    def run_ours() -> None:
        ours(prompt, smap, seed=[seed], steps=args.steps)

    def run_raw() -> None:
        raw(
            prompt=[prompt],
            image=hint,
            height=args.size,
            width=args.size,
            num_inference_steps=args.steps,
            guidance_scale=9.0,
            controlnet_conditioning_scale=1.0,
            eta=0.0,
            generator=[torch.Generator("cpu").manual_seed(seed)],
            output_type="np",
        )

    run_ours(), run_raw()  # warm-up
    times: dict[str, list[float]] = {"raw diffusers": [], "GazeFusionPipeline": []}
    for _ in range(args.repeats):
        for name, fn in (("raw diffusers", run_raw), ("GazeFusionPipeline", run_ours)):
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) / args.steps)
    med = {name: statistics.median(v) for name, v in times.items()}
    print(
        f"tiny model, {args.size}x{args.size}, {args.steps} steps, CFG on, {args.threads} thread(s), "
        f"median of {args.repeats} calls"
    )
    for name, value in med.items():
        spread = f"{min(times[name]) * 1e3:.2f}-{max(times[name]) * 1e3:.2f}"
        print(f"  {name:20s} {value * 1e3:7.2f} ms/step (range {spread})")
    overhead = med["GazeFusionPipeline"] / med["raw diffusers"] - 1.0
    print(f"  overhead per step: {overhead * 100:+.1f} % (target < 5 %)")

    # what we add, timed on its own (the end-to-end difference above is within the timing noise)
    image = np.zeros((args.size, args.size, 3), np.float32)
    n = 200
    t0 = time.perf_counter()
    for _ in range(n):
        jobs = ours.prepare_jobs(prompt, smap, seed=[seed])
        smaps_to_hint([j.smap for j in jobs])
        to_uint8(image)
        ours.params(SamplingParams(steps=args.steps))
    added = (time.perf_counter() - t0) / n
    step = med["raw diffusers"]
    print(
        f"  added work per call: {added * 1e3:.2f} ms = {added / (step * args.steps) * 100:.2f} % per step at "
        f"{args.steps} steps, {added / (step * 50) * 100:.3f} % at 50 steps"
    )


if __name__ == "__main__":
    main()
