# ruff: noqa: E402

# %% [markdown]
# # Video frames: a time-varying saliency map (Text2Video-Zero extension)
#
# A keyframed smap (`moving_blob`, its blob moving over time) rendered per frame, the frames
# generated with cross-frame attention (`gazefusion.video.generate_video`), shown as a strip:
# smap over frame.
#
# **Parameters**: the smap spec, number of frames, `model` (default: the built-in toy GazeFusion).

# %% tags=["parameters"]
out = None
model = None
prompt = "an orange square on a gradient blue background"
smap = "moving_blob"
n_frames = 3
size = 64
steps = 20
seed = 0

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from analysis.figures import save_figure
from gazefusion.smaps import jet_overlay, resolve_smap
from gazefusion.video import generate_video
from study.demo_data import load_pipeline

out = Path(out or tempfile.mkdtemp(prefix="video-"))
maps = [resolve_smap(smap, size=(size, size), t=k / max(1, n_frames - 1))[0] for k in range(n_frames)]
video = generate_video(load_pipeline(model), prompt, maps, seed=seed, steps=steps)

# %%
fig, axes = plt.subplots(2, n_frames, figsize=(1.8 * n_frames, 3.8), squeeze=False)
for k, (frame, m) in enumerate(zip(video.frames, maps, strict=True)):
    axes[0][k].imshow(frame)
    axes[1][k].imshow(jet_overlay(frame, m))
    axes[0][k].set_title(f"frame {k}", fontsize=7)
    for ax in axes[:, k]:
        ax.axis("off")
fig.tight_layout()
print("wrote", *save_figure(fig, out / "video_frames"))
