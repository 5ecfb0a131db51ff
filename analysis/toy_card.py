"""The toy model's model card: ``README.md``, ``training_curves.png`` and ``effects.json`` in its folder.

The card states the data, the recipe command and its seeds and steps, the stage times, the
training curves, the measured effects on the held-out benchmark (:mod:`analysis.toy_effects`)
beside each scorer's ceiling on real scenes, what the model can and cannot do, and the SHA-256 of
every shipped file (a test checks them against the files).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from analysis.toy_effects import effects_markdown
from gazefusion.utils.atomic import atomic_path, atomic_write_json, atomic_write_text

CARD = "README.md"
CURVES = "training_curves.png"
EFFECTS = "effects.json"
#: Files the card lists with their hashes (everything shipped except the card itself).
HASHED_SUFFIXES = (".safetensors", ".json", ".txt", ".png")
HASH_HEADER = "| file | bytes | sha256 |"


def shipped_files(model_dir: str | os.PathLike) -> list[Path]:
    """The files of the model folder the card's hash table covers (sorted, relative paths)."""
    root = Path(model_dir)
    return sorted(
        p.relative_to(root)
        for p in root.rglob("*")
        if p.is_file() and p.suffix in HASHED_SUFFIXES and p.name != CARD and not p.name.startswith(".")
    )


def file_hashes(model_dir: str | os.PathLike) -> dict[str, tuple[int, str]]:
    root = Path(model_dir)
    return {
        rel.as_posix(): ((root / rel).stat().st_size, hashlib.sha256((root / rel).read_bytes()).hexdigest())
        for rel in shipped_files(root)
    }


def read_card_hashes(card: str | os.PathLike) -> dict[str, tuple[int, str]]:
    """The (bytes, sha256) per file listed in a model card's hash table."""
    rows = {}
    inside = False
    for line in Path(card).read_text().splitlines():
        if line.strip() == HASH_HEADER:
            inside = True
            continue
        if inside:
            if not line.startswith("|"):
                break
            cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
            if cells[0].startswith("---"):
                continue
            rows[cells[0]] = (int(cells[1]), cells[2])
    return rows


def plot_curves(losses: dict[str, list[float]], path: Path) -> Path:
    """One panel per stage: the loss per update and its running mean (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = [s for s in ("autoencoder", "base", "controlnet") if losses.get(s)]
    fig, axes = plt.subplots(1, len(stages), figsize=(4.2 * len(stages), 3.2), squeeze=False)
    titles = {
        "autoencoder": "autoencoder (L1 + KL)",
        "base": "base model (ε-MSE)",
        "controlnet": "ControlNet (ε-MSE)",
    }
    for ax, stage in zip(axes[0], stages, strict=True):
        y = np.asarray(losses[stage], dtype=float)
        window = max(1, len(y) // 50)
        smooth = np.convolve(y, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(1, len(y) + 1), y, lw=0.5, alpha=0.35, label="per update")
        ax.plot(np.arange(window, len(y) + 1), smooth, lw=1.5, label=f"mean of {window}")
        ax.set_yscale("log")
        ax.set_xlabel("update")
        ax.set_ylabel("loss")
        ax.set_title(titles[stage])
        ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path


def _parameter_table(model_dir: Path) -> list[str]:
    from safetensors import safe_open

    lines = ["| component | parameters | config |", "|---|---:|---|"]
    for name in ("vae", "text_encoder", "unet", "controlnet"):
        files = sorted((model_dir / name).glob("*.safetensors"))
        count = 0
        for f in files:
            with safe_open(f, "pt") as fh:
                for key in fh.keys():  # noqa: SIM118 (safe_open has no __iter__)
                    count += int(np.prod(fh.get_slice(key).get_shape()))
        config = json.loads((model_dir / name / "config.json").read_text())
        keys = (
            "block_out_channels",
            "down_block_types",
            "hidden_size",
            "num_hidden_layers",
            "conditioning_embedding_out_channels",
            "latent_channels",
        )
        shown = ", ".join(f"{k}={config[k]}" for k in keys if k in config)
        lines.append(f"| {name} | {count:,} | {shown} |")
    return lines


def write_card(
    model_dir: str | os.PathLike,
    *,
    recipe: dict[str, Any],
    losses: dict[str, list[float]],
    stage_times: dict[str, float],
    effects: dict[str, Any],
    ceiling: dict[str, float],
    train_command: str,
    demo_command: str,
    demo_seconds: float | None = None,
    failures: list[str] | None = None,
    parameter_table: bool = True,
) -> Path:
    """Write ``README.md`` (+ curves and ``effects.json``) into ``model_dir``; returns the card's path."""
    root = Path(model_dir)
    plot_curves(losses, root / CURVES)
    atomic_write_json(
        root / EFFECTS,
        {"effects": effects, "ceiling": ceiling, "stage_times": stage_times, "failures": failures or []},
    )
    total = sum(stage_times.values())
    times = ", ".join(f"{k} {v / 60:.1f} min" for k, v in stage_times.items())
    held_out = ", ".join(f"{c} {s}" for c, s in recipe.get("held_out_pairs", []))
    sal = f"`{recipe['saliency_model']}` with options {json.dumps(recipe['saliency_options'])}"
    finals = {k: float(np.mean(v[-100:])) for k, v in losses.items() if v}
    lines = [
        "# gazefusion-toy — a GazeFusion trained from scratch on synthetic scenes",
        "",
        "The toolkit's built-in default model: the paper's recipe (a ControlNet on a locked text-to-image",
        "latent diffusion model, conditioned on saliency maps predicted from the training images) at small",
        f"scale, {recipe['size']}x{recipe['size']} pixels, trained on 2 CPU cores in {total / 60:.0f} minutes. It exists so that the",
        "toolkit can show its job end to end with no downloaded weights; it is no substitute for the real",
        "GazeFusion (SD2.1-base + ControlNet at 512 px on MSCOCO with EML-Net maps).",
        "",
        "## Architecture (SD2.1-base family, small widths)",
        "",
        *(_parameter_table(root) if parameter_table else []),
        "",
        "diffusers `AutoencoderKL` (factor 4: 64x64 images ↔ 4x16x16 latents), `UNet2DConditionModel` (linear",
        "projections, upcast attention, cross-attention only at 8x8 and 4x4 latents), OpenCLIP-style",
        "`CLIPTextModel` with the toolkit's SD2.1 tokenizer, the SD2.1-base DDIM schedule (ε-prediction),",
        "`ControlNetModel` copied from the UNet encoder with a 3-level hint encoder. Weights: trained in float32,",
        "stored as float16 safetensors (loading casts them to float32; every number below is measured on these files).",
        "",
        "## Data",
        "",
        f"{recipe['n_scenes']:,} procedural scenes (`gazefusion.data.synthetic`, world seed {recipe['seed']}): plain,",
        "gradient, striped, checkered or mottled backgrounds in muted colours with 1–4 discs, squares,",
        "triangles, stars or rings of 12 named colours, captioned with what is there",
        '("a red star and a grey square on a striped green background").',
        f"Held out of training: the (colour, shape) pairs {held_out}.",
        f"`gazefusion prepare` turned them into training triples: crops at {recipe['size']} px, smaps from {sal},",
        "captions from the scene generator's table.",
        "",
        "## Recipe",
        "",
        "```bash",
        "gazefusion toy build -o models/toy        # every stage below; killed at any point, re-run to resume",
        "```",
        "",
        f"- autoencoder: {recipe['vae_steps']} AdamW updates, batch {recipe['vae_batch']}, lr {recipe['vae_lr']} (cosine), L1 + {recipe['vae_kl_weight']} x KL;",
        "  latents scaled by 1/std (as SD's 0.18215).",
        f"- base model (UNet + text encoder together): {recipe['base_steps']} updates, batch {recipe['base_batch']}, lr {recipe['base_lr']}",
        f"  (warm-up {recipe['base_warmup']}, cosine), {recipe['base_prompt_dropout']:.0%} empty prompts, EMA {recipe['ema_decay']} (exported).",
        f"- ControlNet, base locked — exactly `gazefusion train`: {recipe['controlnet_steps']} updates, batch {recipe['controlnet_batch']},",
        f"  lr {recipe['controlnet_lr']} (constant), {recipe['controlnet_proportion_empty_prompts']:.0%} empty prompts:",
        "",
        "```bash",
        train_command,
        "```",
        "",
        f"Seeds: world {recipe['seed']}; every update draws its batch and noise from (seed, stage, update), so a",
        "resumed stage repeats the updates of an uninterrupted one.",
        f"Stage times on 2 CPU cores: {times} (total {total / 60:.1f} min).",
        "Final losses (mean of the last 100 updates): "
        + ", ".join(f"{k} {v:.4f}" for k, v in finals.items())
        + ".",
        "",
        f"![training curves]({CURVES})",
        "",
        "## What it shows (held-out benchmark)",
        "",
        f"`{demo_command}`"
        + (f" ({demo_seconds / 60:.1f} min on 2 CPU cores)" if demo_seconds else "")
        + ":",
        f"{effects['n_prompts']} prompts naming held-out (colour, shape) pairs x the built-in smaps (never seen in",
        "training: training maps are saliency maps of scenes) x 1 seed, control scales 0 (baseline), 0.5, 1, 1.5;",
        "100 pseudo-fixations sampled from each target; paired by prompt, smap and seed; bootstrap 95 % CIs.",
        "",
        effects_markdown(effects),
        "Scorer ceiling: mean CC between each scorer's prediction on held-out real scenes and those scenes'",
        "training-style smaps (what a perfect generator could reach): "
        + ", ".join(f"{k} {v:.3f}" for k, v in ceiling.items())
        + ".",
        "",
    ]
    if failures:
        lines += ["Acceptance checks that did not hold:", "", *[f"- {f}" for f in failures], ""]
    lines += [
        "## What it can and cannot do",
        "",
        "- Can: put a salient object where a target smap is bright (one or two blobs anywhere in the frame),",
        "  leave a suppressed region empty, respond more strongly at a higher control scale; follow the colour",
        "  and shape words of a prompt roughly, including combinations never seen together in training.",
        "- Cannot: make photographs, anything but the scene world above, sizes other than 64x64, or fine",
        "  detail: its small autoencoder (trained for minutes) rounds shapes and mutes colours, so objects",
        "  come out as soft blobs; its text encoder knows only the scene vocabulary. Numbers from it test the toolkit's",
        "  chain (prepare → train → generate → score → statistics), not GazeFusion's published results.",
        "",
        "## Files",
        "",
        HASH_HEADER,
        "|---|---:|---|",
    ]
    lines += [f"| `{name}` | {size} | `{digest}` |" for name, (size, digest) in file_hashes(root).items()]
    card = root / CARD
    atomic_write_text(card, "\n".join(lines) + "\n")
    return card
