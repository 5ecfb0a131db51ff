# ruff: noqa: E402

# %% [markdown]
# # Teaser grids: saliency map -> generated images
#
# Paper Fig. 1 style: each row is a target saliency map (smap) and the images generated from it,
# plain and blended 50/50 with the smap in JET (the original's overlay).
#
# **Parameters**: `images` = a folder written by `gazefusion generate` (PNG + JSON sidecars; the
# sidecar names the smap). Left `None`, images are generated here with `model` (default: the
# built-in toy GazeFusion, 64x64 synthetic scenes whose salient objects follow the smaps).

# %% tags=["parameters"]
images = None
out = None
model = None
smaps = ["smap1", "smap2", "two_blobs"]
prompts = ["a purple star on a green background", "a cyan triangle on a mottled brown background"]
seed = 123
size = 64
steps = 20

# %%
import json
import re
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from analysis.figures import save_figure
from gazefusion.smaps import resolve_smap, save_smap
from gazefusion.utils.images import read_rgb

out = Path(out or tempfile.mkdtemp(prefix="teaser-"))
if images is None:
    from gazefusion.pipeline import generate_to_folder
    from study.demo_data import load_pipeline

    images = out / "images"
    files = []
    for name in smaps:
        save_smap(out / "smaps" / f"{name}.png", resolve_smap(name, size=(size, size))[0])
        files.append(str(out / "smaps" / f"{name}.png"))
    pipe = load_pipeline(model)
    generate_to_folder(
        pipe,
        [p for _ in files for p in prompts],
        [f for f in files for _ in prompts],
        seed,
        images,
        num_samples=1,
        steps=steps,
        blend=True,
    )


# %%
def smap_of(source: str, size: tuple[int, int]):
    """The smap named by a sidecar's source description ("file PATH (WxH)" or "built-in 'NAME' ..."), or None."""
    m = re.match(r"file (.+) \(\d+x\d+\)$", source) or re.match(r"built-in '([^']+)'", source)
    try:
        return resolve_smap(m.group(1), size=size)[0] if m else None
    except ValueError:
        return None


# group the images by the smap they were made from
rows = {}
for sidecar in sorted(Path(images).glob("*.json")):
    meta = json.loads(sidecar.read_text())
    gen = meta["generation"]
    image = read_rgb(Path(images) / meta["files"]["image"])
    blend = read_rgb(Path(images) / meta["files"]["blend"]) if "blend" in meta["files"] else None
    row = rows.setdefault(gen["smap"]["hint_sha256"], {"source": gen["smap"]["source"], "items": []})
    row["items"].append((gen["prompt"], image, blend))
print(f"{sum(len(r['items']) for r in rows.values())} images from {len(rows)} smaps")

# %%
n_cols = 1 + 2 * max(len(r["items"]) for r in rows.values())
fig, axes = plt.subplots(len(rows), n_cols, figsize=(1.6 * n_cols, 1.7 * len(rows)), squeeze=False)
for ax_row, row in zip(axes, rows.values(), strict=True):
    for ax in ax_row:
        ax.axis("off")
    h, w = row["items"][0][1].shape[:2]
    smap = smap_of(row["source"], (w, h))
    if smap is not None:
        ax_row[0].imshow(smap, cmap="gray", vmin=0, vmax=1)
    ax_row[0].set_title(Path(row["source"].split(" (")[0]).name[-24:], fontsize=6)
    for k, (prompt, image, blend) in enumerate(row["items"]):
        ax_row[1 + 2 * k].imshow(image)
        ax_row[1 + 2 * k].set_title(prompt[:28], fontsize=6)
        if blend is not None:
            ax_row[2 + 2 * k].imshow(blend)
fig.tight_layout()
paths = save_figure(fig, out / "teaser_grid")
print("wrote", *paths)
