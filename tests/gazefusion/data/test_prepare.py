"""`prepare_dataset` end to end on small generated images with a classical saliency model."""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from testsupport import tree_digest

from gazefusion.data.crops import crop_boxes, resized_size
from gazefusion.data.journal import read_journal
from gazefusion.data.prepare import STATE_DIR, PrepareConfig, prepare_dataset
from gazefusion.errors import UserInputError
from gazefusion.saliency import get_saliency_model

RES = 32
SIZES = [(40, 30), (30, 40), (32, 32), (50, 32), (57, 32), (64, 48), (33, 90), (45, 45)]


def _smooth_image(rng, w, h):
    y, x = np.mgrid[0:h, 0:w]
    base = rng.integers(0, 256, 3)
    img = base + 60 * np.sin(x[..., None] / rng.uniform(2, 6)) * np.cos(y[..., None] / rng.uniform(2, 6))
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture
def raw(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i, (w, h) in enumerate(SIZES):
        Image.fromarray(_smooth_image(rng, w, h)).save(folder / f"img{i}.png")
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(folder / "black.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    captions = tmp_path / "captions.csv"
    rows = [f"img{i}.png,picture number {i}" for i in range(len(SIZES))] + ["black.png,darkness"]
    captions.write_text("file,caption\n" + "\n".join(rows) + "\n")
    return folder, captions


def _cfg(raw, out, **kw):
    folder, captions = raw
    kw.setdefault("saliency_model", "spectral-residual")
    kw.setdefault("resolution", RES)
    return PrepareConfig(raw_dir=folder, out_dir=out, captions=captions, **kw)


def expected_ids():
    ids = []
    for i, (w, h) in enumerate(SIZES):
        ids += [f"img{i}_{b.index}" for b in crop_boxes(*resized_size(w, h, RES), RES)]
    return sorted(ids)


def test_prepare_builds_complete_manifest(raw, tmp_path):
    out = tmp_path / "ds"
    report = prepare_dataset(_cfg(raw, out))
    assert report.sources == len(SIZES) + 2
    assert [name for name, _ in report.corrupt] == ["broken.jpg"]
    assert report.dropped_dark == 1  # the black image's only crop
    frame = pd.read_parquet(out / "manifest.parquet")
    assert sorted(frame["id"]) == expected_ids()
    assert report.manifest_rows == report.new_crops == report.new_smaps == report.new_captions == len(frame)
    row = frame.set_index("id").loc["img3_1"]
    assert row["prompt"] == "picture number 3"
    assert (row["saliency_model"], row["captioner"]) == ("spectral-residual", "csv:captions.csv")
    assert (row["resized_width"], row["resized_height"]) == (50, 32)
    for r in frame.itertuples():
        crop = Image.open(out / r.image)
        assert crop.size == (RES, RES) and crop.format == "JPEG"
        smap = Image.open(out / r.smap)
        assert smap.mode == "L" and smap.size == (RES, RES) and smap.format == "PNG"
        assert (r.box_right - r.box_left, r.box_bottom - r.box_top) == (RES, RES)


def test_smap_is_truncated_prediction_on_saved_crop(raw, tmp_path):
    out = tmp_path / "ds"
    prepare_dataset(_cfg(raw, out))
    frame = pd.read_parquet(out / "manifest.parquet")
    model = get_saliency_model("spectral-residual")
    for r in frame.head(3).itertuples():
        from torchvision.io import decode_image

        crop = decode_image(str(out / r.image)).permute(1, 2, 0).numpy()
        pred = model.predict([crop])[0]
        expected = np.floor(pred.astype(np.float32) * np.float32(255)).astype(np.uint8)
        np.testing.assert_array_equal(np.asarray(Image.open(out / r.smap)), expected)


def test_rerun_does_nothing_new(raw, tmp_path):
    out = tmp_path / "ds"
    prepare_dataset(_cfg(raw, out))
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.suffix in (".jpg", ".png"))
    mtimes = {p: p.stat().st_mtime_ns for p in files}
    manifest = pd.read_parquet(out / "manifest.parquet")
    again = prepare_dataset(_cfg(raw, out))
    assert (again.new_crops, again.new_smaps, again.new_captions, again.dropped_dark) == (0, 0, 0, 0)
    assert [n for n, _ in again.corrupt] == ["broken.jpg"]  # still reported
    assert {p: p.stat().st_mtime_ns for p in files} == mtimes
    pd.testing.assert_frame_equal(pd.read_parquet(out / "manifest.parquet"), manifest)


def test_resume_redoes_only_what_is_missing(raw, tmp_path):
    out = tmp_path / "ds"
    prepare_dataset(_cfg(raw, out))
    (out / "smaps" / "img0_1.png").unlink()
    # A crash in the middle of a journal append leaves a partial last line: it is ignored.
    with open(out / STATE_DIR / "caption-rank0.jsonl", "a") as fh:
        fh.write('{"captioner": "csv:captions.csv", "id": "img0_2", "pro')
    report = prepare_dataset(_cfg(raw, out))
    assert (report.new_crops, report.new_smaps, report.new_captions) == (0, 1, 0)
    assert sorted(pd.read_parquet(out / "manifest.parquet")["id"]) == expected_ids()


def test_other_saliency_model_is_refused_or_overwrites(raw, tmp_path):
    out = tmp_path / "ds"
    prepare_dataset(_cfg(raw, out))
    before = tree_digest(out)
    with pytest.raises(UserInputError, match="saliency_model spectral-residual -> centre-bias"):
        prepare_dataset(_cfg(raw, out, saliency_model="centre-bias"))
    assert tree_digest(out) == before  # nothing of the first dataset changed
    report = prepare_dataset(_cfg(raw, out, saliency_model="centre-bias", overwrite=True))
    assert report.new_smaps == len(expected_ids())
    assert set(pd.read_parquet(out / "manifest.parquet")["saliency_model"]) == {"centre-bias"}


def test_missing_caption_keeps_row_out(raw, tmp_path):
    folder, _ = raw
    captions = tmp_path / "few.csv"
    captions.write_text("file,caption\nimg0.png,only this one\n")
    out = tmp_path / "ds"
    report = prepare_dataset(
        PrepareConfig(
            raw_dir=folder, out_dir=out, resolution=RES, saliency_model="spectral-residual", captions=captions
        )
    )
    frame = pd.read_parquet(out / "manifest.parquet")
    assert sorted(frame["id"]) == ["img0_1", "img0_2"]
    assert "img1_1" in report.missing_captions


def test_coco_captions_first_caption_per_image(raw, tmp_path):
    folder, _ = raw
    coco = {
        "images": [{"id": 7, "file_name": "img2.png"}, {"id": 8, "file_name": "img0.png"}],
        "annotations": [
            {"image_id": 7, "caption": " first "},
            {"image_id": 7, "caption": "second"},
            {"image_id": 8, "caption": "zero"},
        ],
    }
    path = tmp_path / "captions_train2017.json"
    path.write_text(json.dumps(coco))
    out = tmp_path / "ds"
    prepare_dataset(
        PrepareConfig(
            raw_dir=folder, out_dir=out, resolution=RES, saliency_model="spectral-residual", captions=path
        )
    )
    frame = pd.read_parquet(out / "manifest.parquet").set_index("id")
    assert frame.loc["img2_1", "prompt"] == "first"
    assert frame.loc["img0_2", "prompt"] == "zero"
    assert set(frame["captioner"]) == {"coco:captions_train2017.json"}


def test_png_crops_and_custom_stride(raw, tmp_path):
    out = tmp_path / "ds"
    prepare_dataset(_cfg(raw, out, image_format="png", stride=8))
    frame = pd.read_parquet(out / "manifest.parquet")
    # 64x48 -> 42x32 with stride 8: offsets 0, 8 (10 % 8 = 2 < 4, no flush crop).
    assert sorted(frame.loc[frame["source"] == "img5.png", "id"]) == ["img5_1", "img5_2"]
    assert all(Path(p).suffix == ".png" for p in frame["image"])


def test_unusable_saliency_model_is_one_line_error(raw, tmp_path):
    with pytest.raises(UserInputError, match=r"--saliency-model no-such-model: .*--saliency-model NAME"):
        prepare_dataset(_cfg(raw, tmp_path / "ds", saliency_model="no-such-model"))


def test_bad_options_are_user_errors(raw, tmp_path):
    with pytest.raises(UserInputError, match="--resolution"):
        prepare_dataset(_cfg(raw, tmp_path / "ds", resolution=30))
    with pytest.raises(UserInputError, match="--image-format"):
        prepare_dataset(_cfg(raw, tmp_path / "ds", image_format="gif"))
    with pytest.raises(UserInputError, match="IMAGES_DIR"):
        prepare_dataset(PrepareConfig(raw_dir=tmp_path / "nope", out_dir=tmp_path / "ds"))
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("name,text\na,b\n")
    with pytest.raises(UserInputError, match="file,caption"):
        prepare_dataset(
            PrepareConfig(raw_dir=raw[0], out_dir=tmp_path / "ds", resolution=RES, captions=bad_csv)
        )


def test_journal_records_only_complete_items(raw, tmp_path):
    out = tmp_path / "ds"
    prepare_dataset(_cfg(raw, out))
    for rec in read_journal(out / STATE_DIR, "saliency", "id").values():
        assert (out / rec["smap"]).is_file()
    assert not [
        p for p in out.rglob(".*") if p.is_file() and p.parent != out / STATE_DIR
    ]  # no temp files left
    assert os.listdir(out / STATE_DIR)


def test_missing_emlnet_weights_suggest_another_model(raw, tmp_path):
    cfg = _cfg(
        raw, tmp_path / "ds", saliency_model="emlnet", saliency_options={"weights_dir": tmp_path / "none"}
    )
    assert cfg.convention == "prepare"
    with pytest.raises(
        UserInputError, match=r"--saliency-model emlnet: .*weights are missing.*--saliency-model NAME"
    ):
        prepare_dataset(cfg)


def test_model_name_spelling_does_not_redo_smaps(raw, tmp_path):
    out = tmp_path / "ds"
    prepare_dataset(_cfg(raw, out))
    again = prepare_dataset(_cfg(raw, out, saliency_model="Spectral_Residual"))
    assert again.new_smaps == 0
