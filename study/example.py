"""Build a small, complete example study: synthetic stimuli, target smaps and a config file.

Each *item* is a textured scene in its own colour; each *condition* is a built-in smap
(``gazefusion.smaps``: ``blob_left``, ``blob_right``, ...) and the item's image for that
condition has a bright, high-contrast target drawn at the smap's peak plus a faint distractor
opposite, so an attentive observer's gaze should follow the map. The images stand in for
generated images (the generator is not needed to try the study runner). The simulated tracker's
observers look at these images (``observer_mode = "image"``), not at the smaps. With two conditions
the design is a Latin square: each participant sees every item once.
"""

from __future__ import annotations

import colorsys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy.ndimage import gaussian_filter

from gazefusion.geometry import DEFAULT_LAB_DISPLAY, DisplayGeometry
from gazefusion.utils.atomic import atomic_path, atomic_write_text
from gazefusion.utils.seeds import derive_seed

DEFAULT_ITEMS = ("harbour", "meadow", "desert", "forest", "city", "lake")
DEFAULT_CONDITIONS = ("blob_left", "blob_right")


def _scene(size: tuple[int, int], item_index: int, peak: tuple[float, float], seed: int) -> np.ndarray:
    w, h = size
    rng = np.random.default_rng(seed)
    hue = (item_index * 0.17) % 1.0
    base = np.array(colorsys.hsv_to_rgb(hue, 0.35, 0.55)) * 255
    texture = gaussian_filter(rng.normal(0, 1, (h, w)), sigma=max(w, h) / 40)
    texture /= np.abs(texture).max() + 1e-9
    img = np.clip(base[None, None, :] * (1 + 0.25 * texture[..., None]), 0, 255).astype(np.uint8)
    pil = Image.fromarray(img)
    draw = ImageDraw.Draw(pil)
    r = max(4, min(w, h) // 10)
    px, py = peak
    accent = tuple(int(c * 255) for c in colorsys.hsv_to_rgb((hue + 0.5) % 1.0, 1.0, 1.0))
    draw.ellipse([px - r, py - r, px + r, py + r], fill=accent, outline=(255, 255, 255), width=max(1, r // 5))
    draw.ellipse([px - r / 3, py - r / 3, px + r / 3, py + r / 3], fill=(0, 0, 0))
    dx, dy = w - px, h - py  # faint distractor at the mirrored position
    faint = tuple(int(c) for c in np.clip(base * 1.15, 0, 255))
    draw.rectangle([dx - r / 2, dy - r / 2, dx + r / 2, dy + r / 2], fill=faint)
    return np.asarray(pil)


def write_example_study(
    folder: str | Path,
    *,
    size: tuple[int, int] = (512, 512),
    items: tuple[str, ...] = DEFAULT_ITEMS,
    conditions: tuple[str, ...] = DEFAULT_CONDITIONS,
    display: DisplayGeometry = DEFAULT_LAB_DISPLAY,
    tracker: str = "simulated",
    trials: dict | None = None,
    calibration: dict | None = None,
    text: dict | None = None,
    seed: int = 2024,
) -> Path:
    """Write ``stimuli/*.png`` and ``study.toml`` into ``folder``; returns the config path.

    ``trials``/``calibration``/``text`` override entries of those config sections.
    """
    import tomli_w

    from gazefusion.smaps import resolve_smap

    folder = Path(folder)
    stim_dir = folder / "stimuli"
    stim_dir.mkdir(parents=True, exist_ok=True)
    stimuli = []
    for i, item in enumerate(items):
        for cond in conditions:
            smap, _ = resolve_smap(cond, size=size)
            yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
            wgt = smap.astype(np.float64) ** 4  # centroid of the peak region
            peak = (float((wgt * xx).sum() / wgt.sum()), float((wgt * yy).sum() / wgt.sum()))
            name = f"{item}_{cond}.png"
            with atomic_path(stim_dir / name) as tmp:
                Image.fromarray(_scene(size, i, peak, derive_seed(seed, i))).save(tmp)
            stimuli.append(
                {
                    "id": f"{item}_{cond}",
                    "image": f"stimuli/{name}",
                    "smap": cond,
                    "condition": cond,
                    "item": item,
                }
            )
    practice_smap = "blob_center"
    with atomic_path(stim_dir / "practice.png") as tmp:
        Image.fromarray(
            _scene(size, len(items), (size[0] / 2, size[1] / 2), derive_seed(seed, "practice"))
        ).save(tmp)
    config = {
        "name": "gazefusion-example",
        "task": "freeview",
        "display": display.to_json(),
        "tracker": {
            "name": tracker,
            "sampling_rate_hz": 1000.0,
            "settings": {
                "observer_mode": "image",  # simulated participants look at the pixels shown
                "accuracy_offset_deg": 0.5,
                "noise_deg": 0.05,
                "centre_bias_weight": 0.3,
                "blink_rate_hz": 0.25,
                "seed": seed,
            }
            if tracker == "simulated"
            else {},
        },
        "calibration": {
            "points": 9,
            "threshold_deg": 1.0,
            "max_attempts": 3,
            "point_s": 1.5,
            "drift_check_every": 4,
            "drift_threshold_deg": 2.0,
            "drift_check_s": 1.0,
            **(calibration or {}),
        },
        "trials": {
            "fixation_s": 1.0,
            "stimulus_s": 5.0,
            "iti_s": 1.0,
            "break_every": 0,
            "background": [128, 128, 128],
            **(trials or {}),
        },
        "design": {"seed": seed, "counterbalance": "latin_square", "shuffle": True},
        "text": dict(text or {}),
        "stimuli": stimuli,
        "practice": [{"id": "practice", "image": "stimuli/practice.png", "smap": practice_smap}],
    }
    path = folder / "study.toml"
    atomic_write_text(
        path,
        "# Example study written by study.example.write_example_study (see docs/study.md).\n"
        + tomli_w.dumps(config),
    )
    return path
