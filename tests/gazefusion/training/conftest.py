"""A 4-example dataset (32x32, manifest layout) and the arguments of small training runs on it."""

import numpy as np
import pytest
from PIL import Image

from gazefusion.data.manifest import write_manifest

RES = 32  # the resolution small_train_args (tests/gazefusion/conftest.py) trains at


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """4 crops with blob smaps and distinct prompts, in the manifest layout."""
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:RES, 0:RES]
    rows = []
    for i in range(4):
        cx, cy = rng.uniform(6, RES - 6, 2)
        smap = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 40.0)
        image = np.clip(40 + 200 * smap[..., None] * rng.uniform(0.3, 1, 3), 0, 255).astype(np.uint8)
        (root / "images").mkdir(exist_ok=True)
        (root / "smaps").mkdir(exist_ok=True)
        Image.fromarray(image).save(root / "images" / f"c{i}_1.png")
        Image.fromarray((smap * 255).astype(np.uint8), mode="L").save(root / "smaps" / f"c{i}_1.png")
        rows.append(
            {
                "id": f"c{i}_1",
                "source": f"c{i}.png",
                "box_left": 0,
                "box_top": 0,
                "box_right": RES,
                "box_bottom": RES,
                "resized_width": RES,
                "resized_height": RES,
                "image": f"images/c{i}_1.png",
                "smap": f"smaps/c{i}_1.png",
                "prompt": f"a red blob number {i}",
                "saliency_model": "test",
                "saliency_convention": "none",
                "captioner": "test",
            }
        )
    write_manifest(root / "manifest.parquet", rows)
    return root


@pytest.fixture
def train_args(tiny_dataset, small_train_args):
    """``train_args(out, *extra)``: command-line arguments of a small CPU run on the tiny data and model."""

    def make(out, *extra):
        return small_train_args(tiny_dataset, out, "--no-export", *extra)

    return make
