"""Reading datasets for training: our manifest and the original data/ layout."""

import json

import numpy as np
import pytest
from PIL import Image

from gazefusion.data.dataset import TripletDataset, load_examples
from gazefusion.data.manifest import write_manifest
from gazefusion.errors import UserInputError


def _write_pair(folder, name, image, smap):
    Image.fromarray(image).save(folder / "images" / name)
    Image.fromarray(smap, mode="L").save(folder / "smaps" / name)


@pytest.fixture
def original_layout(tmp_path):
    root = tmp_path / "data"
    for sub in ("images", "smaps", "prompts"):
        (root / sub).mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in ("a_1.png", "a_2.png"):
        _write_pair(
            root,
            name,
            rng.integers(0, 256, (16, 16, 3), dtype=np.uint8),
            rng.integers(0, 179, (16, 16), dtype=np.uint8),
        )
    lines = [
        {"filename": "a_1.png", "prompt": "first"},
        {"filename": "a_2.png", "prompt": "second"},
        {"filename": "gone.png", "prompt": "no files"},
    ]
    (root / "prompts" / "prompts.json").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return root


def test_original_layout_keeps_entries_with_both_files(original_layout):
    examples = load_examples(original_layout)
    assert [(e.id, e.prompt) for e in examples] == [("a_1", "first"), ("a_2", "second")]


def test_example_tensors_follow_the_original_conventions(original_layout):
    item = TripletDataset(load_examples(original_layout), resolution=16)[0]
    image = np.asarray(Image.open(original_layout / "images" / "a_1.png"), dtype=np.float32)
    smap = np.asarray(Image.open(original_layout / "smaps" / "a_1.png"), dtype=np.float32)
    # original utils/dataset.py: image / 127.5 - 1 (HWC), smap tiled to 3 channels / 255, never re-normalised
    np.testing.assert_allclose(
        item["pixel_values"].numpy(), (image / 127.5 - 1.0).transpose(2, 0, 1), atol=1e-6
    )
    np.testing.assert_allclose(
        item["conditioning_pixel_values"].numpy(), np.stack([smap / 255.0] * 3), atol=1e-7
    )
    assert item["conditioning_pixel_values"].max() < 179 / 255 + 1e-6
    assert item["prompt"] == "first"


def test_manifest_layout_preferred_and_resolution_checked(original_layout):
    write_manifest(
        original_layout / "manifest.parquet",
        [
            {
                "id": "a_2",
                "source": "a.png",
                "box_left": 0,
                "box_top": 0,
                "box_right": 16,
                "box_bottom": 16,
                "resized_width": 16,
                "resized_height": 16,
                "image": "images/a_2.png",
                "smap": "smaps/a_2.png",
                "prompt": "from manifest",
                "saliency_model": "m",
                "saliency_convention": "c",
                "captioner": "x",
            }
        ],
    )
    examples = load_examples(original_layout)
    assert [(e.id, e.prompt) for e in examples] == [("a_2", "from manifest")]
    with pytest.raises(UserInputError, match="--resolution 32"):
        TripletDataset(examples, resolution=32)[0]


def test_bad_datasets_are_user_errors(tmp_path, original_layout):
    with pytest.raises(UserInputError, match="neither"):
        load_examples(tmp_path)
    (original_layout / "prompts" / "prompts.json").write_text("not json\n")
    with pytest.raises(UserInputError, match="line 1"):
        load_examples(original_layout)
