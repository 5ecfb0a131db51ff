"""Test doubles and small inputs for the benchmark tests.

The generator doubles replace only the image generator (the scorers, metrics, targets, files and
statistics are the real ones): ``SmapAsImage`` returns the target smap itself as the generated
image (and noise for the baseline); ``NoiseImage`` ignores the smap. ``IdentityScorer`` predicts
an image's grey level as its saliency.
"""

from __future__ import annotations

import numpy as np
import pytest

from gazefusion.smaps import save_smap


class SmapAsImage:
    description = "test double: each image is its own smap"

    def generate(self, prompt, smap, seed, control_scale, size):
        width, height = size
        if smap is None:
            rng = np.random.default_rng([seed, len(prompt)])
            return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        return np.repeat(np.round(smap * 255).astype(np.uint8)[..., None], 3, axis=2)

    def params(self, control_scale):
        return {"control_scale": control_scale}


class NoiseImage(SmapAsImage):
    description = "test double: unrelated noise"

    def generate(self, prompt, smap, seed, control_scale, size):
        width, height = size
        rng = np.random.default_rng(
            [
                seed,
                sum(map(ord, prompt)),
                int(control_scale * 100),
                0 if smap is None else int(smap.sum() * 1000),
            ]
        )
        return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


class IdentityScorer:
    def predict(self, images):
        return [img[..., 0].astype(np.float32) / 255.0 for img in images]


def blob(size: int, cx: float, cy: float, sigma: float) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    return np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2)).astype(np.float32)


@pytest.fixture()
def smap_dir(tmp_path):
    """Three 32x32 smaps: blobs in different places (PNG files)."""
    folder = tmp_path / "smaps"
    for name, (cx, cy) in {"left": (7, 16), "right": (25, 10), "bottom": (16, 27)}.items():
        save_smap(folder / f"{name}.png", blob(32, cx, cy, 4.0))
    return folder


@pytest.fixture()
def prompt_file(tmp_path):
    f = tmp_path / "prompts.txt"
    f.write_text("a boat\na red bus\n")
    return f
