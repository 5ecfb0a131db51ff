"""`gazefusion smap`: render, build-assets, info, list; user mistakes exit 2 with one line."""

import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from gazefusion.cli import app, main
from gazefusion.smaps import assets_dir, builtin_names, builtin_spec, load_smap, quantize_smap, render_spec

runner = CliRunner()


def _ok(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_list_shows_every_builtin_and_the_default():
    out = _ok(["smap", "list"])
    for name in builtin_names():
        assert name in out
    assert "smap1" in out and "(default)" in out


def test_info_prints_peak_mean_and_centroid():
    out = _ok(["smap", "info", "smap1"])
    assert "512x512" in out and "178.0/255" in out and "mass centroid (381." in out
    out = _ok(["smap", "info", "--json", "smap2"])
    assert '"peak": 1.0' in out and '"width": 512' in out


def test_render_spec_in_pixels_and_for_a_display(tmp_path):
    spec = assets_dir() / "two_blobs.toml"
    _ok(
        ["smap", "render", str(spec), "-o", str(tmp_path / "a.png"), "--width-px", "128", "--height-px", "96"]
    )
    expected = quantize_smap(render_spec(builtin_spec("two_blobs"), size=(128, 96)))
    np.testing.assert_array_equal(load_smap(tmp_path / "a.png"), expected)

    deg = assets_dir() / "blob_5deg_right.toml"
    _ok(["smap", "render", str(deg), "-o", str(tmp_path / "near.png"), "--display", "1920x1080:53.1:60"])
    _ok(["smap", "render", str(deg), "-o", str(tmp_path / "far.png"), "--display", "1920x1080:53.1:120"])
    near, far = load_smap(tmp_path / "near.png"), load_smap(tmp_path / "far.png")
    assert (far > 0.5).sum() > 3 * (near > 0.5).sum()
    # the same image shown at 540x540 instead of full-screen (1080x1080): one degree spans twice the image px
    _ok(
        [
            "smap",
            "render",
            str(deg),
            "-o",
            str(tmp_path / "small.png"),
            "--display",
            "lab",
            "--on-screen-px",
            "540x540",
        ]
    )
    small = load_smap(tmp_path / "small.png")
    assert (small > 0.5).sum() > 3 * (near > 0.5).sum()


def test_render_frames_of_a_keyframed_spec(tmp_path):
    _ok(
        [
            "smap",
            "render",
            str(assets_dir() / "moving_blob.toml"),
            "-o",
            str(tmp_path / "f.png"),
            "--frames",
            "3",
            "--width-px",
            "64",
            "--height-px",
            "64",
        ]
    )
    frames = [load_smap(tmp_path / f"f_{i:03d}.png") for i in range(3)]
    xs = [np.unravel_index(np.argmax(f), f.shape)[1] for f in frames]
    assert xs[0] < xs[1] < xs[2]


def test_build_assets_writes_and_checks(tmp_path):
    shutil.copy(assets_dir() / "blob_center.toml", tmp_path)
    result = runner.invoke(app, ["smap", "build-assets", "--check", "--folder", str(tmp_path)])
    assert result.exit_code == 1 and "out of date" in result.output
    _ok(["smap", "build-assets", "--folder", str(tmp_path)])
    assert (tmp_path / "blob_center.png").read_bytes() == (assets_dir() / "blob_center.png").read_bytes()
    assert "up to date" in _ok(["smap", "build-assets", "--check", "--folder", str(tmp_path)])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["smap", "info", "no_such_map"], "built-ins: blob_5deg_right", id="missing"),
        pytest.param(
            ["smap", "render", "smap1", "-o", "{tmp}/x.png", "--display", "big"], "--display", id="display"
        ),
        pytest.param(
            ["smap", "render", "smap1", "-o", "{tmp}/x.png", "--width-px", "5"], "give both", id="width"
        ),
        pytest.param(
            ["smap", "render", "{tmp}/bad.toml", "-o", "{tmp}/x.png"], "'star' is unknown", id="spec"
        ),
    ],
)
def test_user_mistakes_exit_2_with_one_line(tmp_path, capsys, args, message):
    (tmp_path / "bad.toml").write_text('[[elements]]\ntype = "star"\n')
    with pytest.raises(SystemExit) as exc:
        main([a.replace("{tmp}", str(tmp_path)) for a in args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and message in err.replace("\n", "")
