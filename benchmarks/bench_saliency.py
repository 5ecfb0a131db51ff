"""Speed of the saliency models on this machine (per image, median of repeats after a warm-up).

- every weight-free model at 512x512 and 480x640 (W x H);
- EML-Net with random weights in the release layout (the real files are not needed for timing):
  the full predict per image at batch 1 and ``--batch``, each convention, and its pieces
  (network forward; post-processing alone);
- peak resident memory of the process.

Usage: .venv/bin/python benchmarks/bench_saliency.py [--device cpu] [--batch 4] [--repeats 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile

import numpy as np
from _common import median_seconds


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-emlnet", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    import torch

    from gazefusion.saliency import get_saliency_model
    from gazefusion.saliency.emlnet import save_release_files
    from gazefusion.saliency.emlnet.conventions import prepare_output, scorer_output
    from gazefusion.saliency.emlnet.network import EMLNetNetwork

    rng = np.random.default_rng(0)
    images = {
        "512x512": rng.integers(0, 256, (512, 512, 3), dtype=np.uint8),
        "640x480": rng.integers(0, 256, (480, 640, 3), dtype=np.uint8),
    }
    results: dict[str, float] = {"torch_threads": torch.get_num_threads()}
    for name in ["spectral-residual", "fine-grained", "itti-koch", "centre-bias"]:
        model = get_saliency_model(name)
        for size, img in images.items():
            results[f"{name} {size} s/img"] = median_seconds(
                lambda m=model, i=img: m.predict(i), args.repeats
            )

    if not args.skip_emlnet:
        with tempfile.TemporaryDirectory() as tmp:
            torch.manual_seed(0)
            save_release_files(EMLNetNetwork(), tmp)
            for convention in ("scorer", "prepare"):
                model = get_saliency_model(
                    "emlnet", weights_dir=tmp, convention=convention, device=args.device
                )
                model.load()
                img = images["512x512"]
                results[f"emlnet-{convention} 512x512 batch 1 s/img"] = median_seconds(
                    lambda m=model, i=img: m.predict(i), args.repeats
                )
                batch = [img] * args.batch
                t = median_seconds(lambda m=model, b=batch: m.predict(b, batch_size=len(b)), args.repeats)
                results[f"emlnet-{convention} 512x512 batch {args.batch} s/img"] = t / args.batch
            x = torch.rand(1, 3, 480, 640, device=args.device)
            net = model.network.to(args.device)

            def forward():
                with torch.inference_mode():
                    net(x)
                if args.device.startswith("cuda"):
                    torch.cuda.synchronize()

            results["emlnet network forward 480x640 s/img"] = median_seconds(forward, args.repeats)
            pred = np.random.default_rng(1).random((480, 640)).astype(np.float32)
            results["emlnet scorer post-processing to 512x512 s/img"] = median_seconds(
                lambda: scorer_output(pred, (512, 512)), args.repeats
            )
            results["emlnet prepare post-processing to 512x512 s/img"] = median_seconds(
                lambda: prepare_output(torch.from_numpy(pred), (512, 512)), args.repeats
            )
    results["peak RSS MiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for key, value in results.items():
        print(f"{key:55s} {value:10.4f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
