"""Time and peak memory of converting a FULL-size SD2.1-base + ControlNet cldm checkpoint.

Builds a random-weight checkpoint with the original's 1,581 keys and shapes from the shipped configs
(6.7 GB fp32, written without ever holding it in anonymous memory: each tensor lives in its own
memory-mapped scratch file), then runs, each in a fresh process measured with ``os.wait4``:

1. ``gazefusion convert CKPT OUT_DIR`` (cldm → diffusers),
2. ``gazefusion convert --to-cldm OUT_DIR BACK.ckpt`` (diffusers → cldm),
3. with ``--verify``: a key-by-key byte comparison of BACK.ckpt with CKPT (memory-mapped).

Peak RSS counts file-backed (memory-mapped) pages as well as anonymous memory. Needs ~21 GB of disk
under ``--workdir`` (deleted at the end unless ``--keep``).

    python benchmarks/convert_full.py [--workdir /tmp/convert-bench] [--verify] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def build_checkpoint(path: Path, scratch: Path) -> dict:
    """Write a random full-size cldm checkpoint (bare state dict, the tool_add_control form)."""
    import torch
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKL, ControlNetModel, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from gazefusion.models import SD21_CONFIG_DIR as CONFIG
    from gazefusion.models.cldm import components_to_cldm

    with init_empty_weights():
        models = {
            "unet": UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(CONFIG / "unet")),
            "controlnet": ControlNetModel.from_config(ControlNetModel.load_config(CONFIG / "controlnet")),
            "vae": AutoencoderKL.from_config(AutoencoderKL.load_config(CONFIG / "vae")),
            "text_encoder": CLIPTextModel(CLIPTextConfig.from_pretrained(CONFIG / "text_encoder")),
        }
    last = "transformer.resblocks.22."
    meta = components_to_cldm(models, scheduler_config=None, openclip_extras={})
    extras = {
        k.replace(".22.", ".23.").removeprefix("cond_stage_model.model."): v
        for k, v in meta.items()
        if last in k
    }
    extras |= {
        "text_projection": torch.empty(1024, 1024, device="meta"),
        "logit_scale": torch.empty((), device="meta"),
    }
    scheduler = json.loads((CONFIG / "scheduler" / "scheduler_config.json").read_text())
    layout = components_to_cldm(models, scheduler_config=scheduler, openclip_extras=extras)
    generator = torch.Generator().manual_seed(0)
    state = {}
    for i, (key, value) in enumerate(layout.items()):
        if value.device.type != "meta":  # the schedule buffers
            state[key] = value
            continue
        n = max(value.numel(), 1)
        tensor = torch.from_file(str(scratch / f"{i}.bin"), shared=True, size=n, dtype=torch.float32)
        tensor.normal_(0.0, 0.02, generator=generator)
        state[key] = tensor.view(value.shape) if value.dim() else tensor.view(())
    torch.save(state, path)
    return {
        "keys": len(state),
        "parameters": sum(v.numel() for v in state.values()),
        "bytes": path.stat().st_size,
    }


def run_measured(argv: list[str]) -> dict:
    """Run a command in a child process; wall time and the child's peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{stderr[-2000:]}")
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_gb": round(usage.ru_maxrss / 1024**2, 2),
    }


def verify(ckpt: Path, back: Path) -> dict:
    """Every original key byte-identical after cldm → diffusers → cldm (both memory-mapped)."""
    import torch

    a = torch.load(ckpt, map_location="cpu", weights_only=True, mmap=True)
    b = torch.load(back, map_location="cpu", weights_only=True, mmap=True)
    same = list(a) == list(b) and all(
        a[k].dtype == b[k].dtype
        and torch.equal(a[k].reshape(-1).view(torch.uint8), b[k].reshape(-1).view(torch.uint8))
        for k in a
    )
    return {"keys_identical": same, "keys": len(a)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/convert-bench"))
    parser.add_argument(
        "--verify", action="store_true", help="compare the round-tripped checkpoint key by key"
    )
    parser.add_argument("--keep", action="store_true", help="keep the files")
    parser.add_argument("--_build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._build:  # child process: write the checkpoint
        scratch = args._build.parent / "scratch"
        scratch.mkdir(exist_ok=True)
        print(json.dumps(build_checkpoint(args._build, scratch)))
        shutil.rmtree(scratch)
        return

    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    ckpt, out, back = work / "full.ckpt", work / "full-diffusers", work / "back.ckpt"
    env_cli = [sys.executable, "-m", "gazefusion", "convert"]
    results = {}
    try:
        results["build"] = run_measured([sys.executable, __file__, "--_build", str(ckpt)])
        results["build"]["gb"] = round(ckpt.stat().st_size / 1e9, 2)
        results["cldm_to_diffusers"] = run_measured([*env_cli, str(ckpt), str(out)])
        results["diffusers_to_cldm"] = run_measured([*env_cli, "--to-cldm", str(out), str(back)])
        if args.verify:
            results["verify"] = verify(ckpt, back)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
