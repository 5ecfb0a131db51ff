# ruff: noqa: E402

# %% [markdown]
# # Gaze heat maps over generated images
#
# For each stimulus: the image, its target smap over it, and the fixation map of all participants
# (Gaussian, sigma in degrees of visual angle from the study's display geometry) over it, with
# the fixations as dots.
#
# **Parameters**: `data` = a study export (`gazefusion study export`) or its `.sqlite`. Left
# `None`, a demo study is made here: images from the built-in toy GazeFusion, simulated observers.

# %% tags=["parameters"]
data = None
out = None
model = None
participants = 4
sigma_deg = 1.0
fixations = "tracker"
max_stimuli = 8

# %%
import tempfile
from pathlib import Path

from analysis.figures import plot_heatmaps
from analysis.fixations import fixations_on_stimuli, study_fixations
from analysis.maps import stimulus_maps
from analysis.study_data import image_sizes, load_study, target_smaps
from gazefusion.utils.images import read_rgb

out = Path(out or tempfile.mkdtemp(prefix="heatmaps-"))
if data is None:
    from study.demo_data import load_pipeline, make_demo_study

    data = make_demo_study(out / "demo", participants=participants, pipe=load_pipeline(model))
study = load_study(data)
sizes = image_sizes(study)
targets = target_smaps(study, sizes)
fix = fixations_on_stimuli(study_fixations(study, fixations), study.trials, sizes)
print(
    f"{len(study.participants)} participants, {len(study.stimuli)} stimuli, {len(fix)} fixations on stimuli"
)

# %%
rows, points = [], []
for sid in study.stimuli[:max_stimuli]:
    sub = fix[fix["stimulus_id"] == sid]
    w, h = sizes[sid]
    density = stimulus_maps(sub, {sid: (h, w)}, study.geometry, sigma_deg)[sid]
    trial = study.trials[study.trials["stimulus_id"] == sid].iloc[0]
    cond = f" [{trial['condition']}]" if trial["condition"] else ""
    rows.append(
        (
            f"{sid}{cond}: {len(sub)} fixations",
            read_rgb(study.image_path(trial["stim_file"])),
            targets.get(sid),
            density,
        )
    )
    points.append(sub[["x_img", "y_img"]].to_numpy())
paths = plot_heatmaps(rows, out / "gaze_heatmaps", points=points)
print("wrote", *paths)
