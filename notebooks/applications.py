# ruff: noqa: E402

# %% [markdown]
# # Applications: attention suppression and display-adaptive generation
#
# - **Suppression**: a map with an unwanted region set to zero (`suppress_center`) vs the plain
#   map, same prompt and seed.
# - **Display-adaptive**: one map specified in degrees of visual angle (`blob_5deg_right`: a blob
#   5 deg right of centre) rendered for two viewing conditions (a laptop at 60 cm, a large monitor
#   at 50 cm), the image shown full-screen: the same angular layout needs different pixel maps.
#
# **Parameters**: the smaps, displays, `model` (default: the built-in toy GazeFusion, 64x64 synthetic scenes).

# %% tags=["parameters"]
out = None
model = None
prompt = "a yellow ring on a checkered blue background"
plain_smap = "blob_center"
suppressed_smap = "suppress_center"
adaptive_smap = "blob_5deg_right"
displays = {
    "laptop 31 cm wide at 60 cm": dict(width_px=1920, height_px=1080, width_cm=31.0, distance_cm=60.0),
    "monitor 70 cm wide at 50 cm": dict(width_px=1920, height_px=1080, width_cm=70.0, distance_cm=50.0),
}
size = 64
steps = 20
seed = 123

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from analysis.figures import save_figure
from gazefusion.geometry import DisplayGeometry
from gazefusion.smaps import jet_overlay, resolve_smap
from study.demo_data import load_pipeline

out = Path(out or tempfile.mkdtemp(prefix="applications-"))
pipe = load_pipeline(model)
rows = []
for name in (plain_smap, suppressed_smap):
    smap = resolve_smap(name, size=(size, size))[0]
    rows.append((name, smap))
for label, d in displays.items():
    g = DisplayGeometry(**d)
    smap = resolve_smap(adaptive_smap, size=(size, size), geometry=g)[0]
    rows.append((f"{adaptive_smap}\n{label} ({g.px_per_deg:.0f} px/deg)", smap))
images = [pipe(prompt, smap, seed=seed, num_samples=1, steps=steps).images[0] for _, smap in rows]

# %%
fig, axes = plt.subplots(len(rows), 3, figsize=(5.4, 1.9 * len(rows)), squeeze=False)
for ax_row, (label, smap), image in zip(axes, rows, images, strict=True):
    for ax, panel, title in zip(
        ax_row, (smap, image, jet_overlay(image, smap)), ("smap", "image", "overlay"), strict=True
    ):
        ax.imshow(
            panel, cmap="gray" if panel.ndim == 2 else None, vmin=0, vmax=1 if panel.ndim == 2 else None
        )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=7)
    ax_row[0].text(-0.05, 0.5, label, transform=ax_row[0].transAxes, fontsize=6, ha="right", va="center")
fig.tight_layout()
print("wrote", *save_figure(fig, out / "applications"))
