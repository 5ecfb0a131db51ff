"""Throughput of `gazefusion bench` pieces on this machine, and a wall-time estimate at scale.

Measures (median of a few repeats, after one warm-up):
- generation with the model under test (default: the tiny random model) at ``--size`` and ``--steps``;
- each scorer's prediction per image (classical models; ``emlnet`` too when its weights exist);
- the metric set per (prediction, target) pair, as the bench computes it;
- a whole small bench run (items/s including file writes).
Then prints an estimate for N images x S scorers on G GPUs from a per-image generation cost
(``--gen-s-per-image``; default 3.0 s: SD2.1-base + ControlNet, 50 DDIM steps at 512 px, fp16 on
an A100/H100, from published diffusers benchmarks of ~2-2.5 s for SD alone plus ~30% for the
ControlNet) and the scoring costs measured here at 512 px.

Usage: .venv/bin/python benchmarks/bench_throughput.py [--size 64] [--steps 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import median_seconds

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--score-size", type=int, default=512, help="image size for the scoring costs")
    parser.add_argument("--model", default=None)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--scorers", type=int, default=3)
    parser.add_argument("--gpus", type=int, default=8)
    parser.add_argument("--gen-s-per-image", type=float, default=3.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import torch

    from gazefusion.bench.benchmark import BenchOptions, run_benchmark
    from gazefusion.bench.generators import PipelineGenerator
    from gazefusion.bench.plan import DEFAULT_METRICS
    from gazefusion.bench.scoring import score_prediction
    from gazefusion.bench.targets import build_targets
    from gazefusion.saliency import available_saliency_models, get_saliency_model
    from gazefusion.smaps import builtin_names, resolve_smap

    results: dict[str, object] = {"torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count()}
    gen = PipelineGenerator.load(args.model, steps=args.steps, guidance_scale=9.0, device="cpu")
    smap, _ = resolve_smap(builtin_names()[0], size=(args.size, args.size))
    t = median_seconds(lambda: gen.generate("a sailboat on the sea", smap, 0, 1.0, (args.size, args.size)))
    results["generation"] = {
        "model": gen.description,
        "size": args.size,
        "steps": args.steps,
        "s_per_image": t,
        "images_per_s": 1 / t,
    }

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (args.score_size, args.score_size, 3), dtype=np.uint8)
    scorer_costs = {}
    for name in available_saliency_models(usable_only=True):
        model = get_saliency_model(name, device="cpu")
        scorer_costs[name] = median_seconds(lambda m=model: m.predict([image]))
    results["scorers_s_per_map"] = {"size": args.score_size, **scorer_costs}

    smaps = [resolve_smap(n, size=(args.score_size, args.score_size))[0] for n in builtin_names()[:3]]
    targets = build_targets(["a", "b", "c"], smaps)
    pred = get_saliency_model("centre-bias").predict([image])[0]
    t_metrics = median_seconds(lambda: score_prediction(pred, targets["a"], DEFAULT_METRICS, seed=0))
    results["metrics_s_per_pair"] = {
        "size": args.score_size,
        "metrics": list(DEFAULT_METRICS),
        "s": t_metrics,
    }

    with tempfile.TemporaryDirectory() as tmp:
        prompts = Path(tmp) / "p.txt"
        prompts.write_text("\n".join(f"prompt number {i}" for i in range(4)))
        classical = [
            s for s in ("spectral-residual", "fine-grained", "itti-koch", "centre-bias") if s in scorer_costs
        ]
        t0 = time.perf_counter()
        options = BenchOptions(
            prompts=prompts,
            smaps=builtin_names()[:3],
            seeds=(0,),
            scorers=classical,
            steps=args.steps,
            size=(args.size, args.size),
        )
        run = run_benchmark(Path(tmp) / "b", options, log=lambda s: None)
        wall = time.perf_counter() - t0
        n_maps = run.summary.done * len(classical)
        results["bench_run"] = {
            "items": run.summary.done,
            "scorers": classical,
            "size": args.size,
            "wall_s_incl_model_load": wall,
            "images_per_s": run.summary.done / wall,
            "scored_maps_per_s": n_maps / wall,
        }

    # estimate at scale: per image = generation + S scorers + metric pairs (aligned + shuffled) per scorer
    slowest = sorted(scorer_costs.values())[-args.scorers :] if scorer_costs else [0.0]
    score_s = sum(slowest) + args.scorers * 2 * t_metrics
    per_image = args.gen_s_per_image + score_s
    wall_h = args.images * per_image / args.gpus / 3600
    results["estimate"] = {
        "images": args.images,
        "scorers": args.scorers,
        "gpus": args.gpus,
        "assumed_gen_s_per_image": args.gen_s_per_image,
        "scoring_s_per_image_cpu_measured": score_s,
        "s_per_image": per_image,
        "wall_hours": wall_h,
    }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
