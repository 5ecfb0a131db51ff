"""Issue 21: every user mistake gets one clear line (exit 2), and no run overwrites a result.

Each test names the finding it covers. A refused run must leave the user's files as they were:
the output folder is hashed before and after (``tree_digest``). Models: ``--model tiny`` only.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from testsupport import tree_digest, write_bench_inputs

from gazefusion.cli import main

GEN = [
    "generate",
    "--model",
    "tiny",
    "--steps",
    "1",
    "--height",
    "32",
    "--width",
    "32",
    "-n",
    "1",
    "--no-blend",
]


@pytest.fixture(autouse=True)
def no_configured_model(monkeypatch):
    monkeypatch.delenv("GAZEFUSION_MODEL", raising=False)


def run(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in argv])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def one_error_line(code: int, err: str, *needles: str) -> str:
    """Assert exit 2 and exactly one ``error:`` line holding every needle; return that line."""
    assert code == 2, err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def grey_png(path: Path, value: int | np.ndarray, size: int = 32) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.full((size, size), value, np.uint8) if np.isscalar(value) else np.asarray(value, np.uint8)
    Image.fromarray(arr, mode="L").save(path)
    return path


def blob(size: int = 32, cx: float = 12.0, cy: float = 16.0) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    return (255 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 40.0)).astype(np.uint8)


# ------------------------------------------------------------------------------------ results lost
def test_generate_refuses_to_replace_images_of_other_parameters(tmp_path):
    out = tmp_path / "ow"
    assert run([*GEN, "--guidance", "9", "--out", out])[0] == 0
    before = tree_digest(out)
    code, _, err = run([*GEN, "--guidance", "5", "--out", out])
    one_error_line(code, err, str(out), "guidance_scale 9.0 -> 5.0", "--overwrite")
    assert tree_digest(out) == before
    assert run([*GEN, "--guidance", "5", "--out", out, "--overwrite"])[0] == 0
    sidecar = json.loads(next(out.glob("*.json")).read_text())
    assert sidecar["generation"]["params"]["guidance_scale"] == 5.0
    # other prompts/seeds are new file names: both kept, nothing refused
    assert run([*GEN, "--guidance", "5", "--seed", "7", "--out", out])[0] == 0
    assert len(list(out.glob("*.png"))) == 2


def test_saliency_refuses_maps_of_another_model(tmp_path):
    images = tmp_path / "imgs"
    grey_png(images / "a.png", blob())
    Image.open(images / "a.png").convert("RGB").save(images / "a.png")
    out = tmp_path / "maps"
    assert run(["saliency", images, "-m", "centre-bias", "-o", out])[0] == 0
    before = tree_digest(out)
    code, _, err = run(["saliency", images, "-m", "spectral-residual", "-o", out])
    one_error_line(code, err, "--output", "model centre-bias -> spectral-residual")
    assert tree_digest(out) == before
    code, stdout, _ = run(["saliency", images, "-m", "spectral-residual", "-o", out, "--overwrite"])
    assert code == 0 and "1 map(s) written" in stdout
    assert tree_digest(out) != before


@pytest.fixture
def score_folders(tmp_path):
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        grey_png(tmp_path / "pred" / f"{name}.png", rng.integers(0, 256, (32, 32)))
        grey_png(tmp_path / "tgt" / f"{name}.png", rng.integers(1, 256, (32, 32)))
    return tmp_path / "pred", tmp_path / "tgt"


def test_metrics_refuses_to_resume_with_other_settings(score_folders, tmp_path):
    pred, tgt = score_folders
    table = tmp_path / "scores.parquet"
    assert run(["metrics", pred, tgt, "-m", "cc", "-o", table])[0] == 0
    before = tree_digest(table)
    code, _, err = run(["metrics", pred, tgt, "-m", "cc", "-o", table, "--seed", "3"])
    one_error_line(code, err, str(table), "seed 0 -> 3")
    assert tree_digest(table) == before
    assert run(["metrics", pred, tgt, "-m", "cc", "-o", table, "--seed", "3", "--overwrite"])[0] == 0


# bench and prepare: tests/gazefusion/bench/test_runner.py and tests/gazefusion/data/test_prepare.py


# ------------------------------------------------------------------------ sizes before allocating
@pytest.mark.parametrize(
    ("args", "needles"),
    [
        pytest.param(["--height", "100000", "--width", "100000"], ["--height", "2048"], id="huge"),
        pytest.param(["--height", "-64"], ["--height", "-64"], id="negative"),
        pytest.param(["--width", "0"], ["--width", "0"], id="zero"),
        pytest.param(["--batch-size", "0"], ["--batch-size", "0"], id="batch-size-0"),
        pytest.param(["--device", "banana"], ["--device", "banana", "devices here: cpu"], id="device"),
        pytest.param(["--device", "cuda:7"], ["--device", "cuda:7", "devices here: cpu"], id="absent-gpu"),
    ],
)
def test_generate_bad_sizes_and_devices_are_one_line_before_anything(tmp_path, args, needles):
    out = tmp_path / "out"
    code, _, err = run(["generate", "--model", "tiny", "--out", out, *args])
    one_error_line(code, err, *needles)
    assert not out.exists()


def test_generate_rounds_sides_to_multiples_of_8_with_a_notice_that_says_so(tmp_path):
    argv = [
        "generate",
        "--model",
        "tiny",
        "--steps",
        "1",
        "-n",
        "1",
        "--no-blend",
        "--height",
        "36",
        "--width",
        "32",
    ]
    code, _, err = run([*argv, "--out", tmp_path / "o"])
    assert code == 0 and "multiples of 8" in err and "to 40x32" in err


def test_smap_render_of_a_huge_spec_is_refused_before_allocating(tmp_path):
    spec = tmp_path / "big.toml"
    spec.write_text('size = [100000, 100000]\n[[elements]]\ntype = "gaussian"\ncenter = [5, 5]\nsigma = 2\n')
    code, _, err = run(["smap", "render", spec, "-o", tmp_path / "x.png"])
    one_error_line(code, err, "spec size", "8192")
    code, _, err = run(
        ["smap", "render", "smap1", "-o", tmp_path / "x.png", "--width-px", "9000", "--height-px", "8"]
    )
    one_error_line(code, err, "--width-px/--height-px", "8192")
    assert not (tmp_path / "x.png").exists()


def test_bench_huge_size_leaves_nothing_that_blocks_the_next_run(tmp_path):
    prompts, smaps = write_bench_inputs(tmp_path, ["a boat"])
    out = tmp_path / "bench"
    base = ["bench", "run", "--prompts", prompts, "--smaps", smaps, "--model", "tiny", "--steps", "1"]
    code, _, err = run([*base, "--size", "100000", "-o", out])
    one_error_line(code, err, "--size", "2048")
    assert not out.exists()
    code, _, err = run([*base, "--size", "36", "-o", out])
    one_error_line(code, err, "--size", "multiples of 8")


# --------------------------------------------------------------------------------- weight files
# truncated / pickled diffusers weight files: tests/gazefusion/models/test_weightfiles.py


# ---------------------------------------------------------------------- output paths (every command)
def _commands(tmp_path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Sub-command -> (argv before the output option, output option); small real inputs."""
    images = tmp_path / "imgs"
    grey_png(images / "a.png", blob())
    Image.open(images / "a.png").convert("RGB").save(images / "a.png")
    grey_png(tmp_path / "pred" / "a.png", blob())
    grey_png(tmp_path / "tgt" / "a.png", blob(cx=14))
    prompts, smaps = write_bench_inputs(tmp_path, ["a boat"])
    captions = tmp_path / "captions.csv"
    captions.write_text("file,caption\na.png,a grey blob\n")
    raw = tmp_path / "raw"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(
        grey_png(raw / "a.png", 0)
    )
    return {
        "generate": (GEN, ["--out"]),
        "saliency": (["saliency", images, "-m", "centre-bias"], ["-o"]),
        "metrics": (["metrics", tmp_path / "pred", tmp_path / "tgt", "-m", "cc"], ["-o"]),
        "smap render": (["smap", "render", "smap1", "--width-px", "32", "--height-px", "32"], ["-o"]),
        "bench run": (
            [
                "bench",
                "run",
                "--prompts",
                prompts,
                "--smaps",
                smaps,
                "--model",
                "tiny",
                "--steps",
                "1",
                "--scorers",
                "centre-bias",
                "--metrics",
                "cc",
                "--no-baseline",
                "--no-shuffled",
            ],
            ["-o"],
        ),  # fmt: skip
        "prepare": (
            ["prepare", raw, "--resolution", "32", "--saliency-model", "centre-bias", "--captions", captions],
            ["--out"],
        ),
    }


_FOLDER_OUTPUTS = {"generate", "saliency", "bench run", "prepare"}


@pytest.mark.parametrize(
    "command", ["generate", "saliency", "metrics", "smap render", "bench run", "prepare"]
)
def test_output_that_is_an_existing_file_or_below_one(tmp_path, command):
    argv, option = _commands(tmp_path)[command]
    blocker = tmp_path / "taken.txt"
    blocker.write_text("the user's file")
    before = tree_digest(tmp_path)
    if command in _FOLDER_OUTPUTS:  # a file where a folder is due
        code, _, err = run([*argv, *option, blocker])
        one_error_line(code, err, str(blocker), "expected a folder")
    else:  # a folder where a file is due
        code, _, err = run([*argv, *option, tmp_path / "imgs"])
        line = one_error_line(code, err, str(tmp_path / "imgs"), "expected a file name")
        assert ".tmp" not in line
    code, _, err = run([*argv, *option, blocker / "sub" / "out"])
    one_error_line(code, err, str(blocker), "is a file")
    assert tree_digest(tmp_path) == before


@pytest.mark.parametrize(
    "command", ["generate", "saliency", "metrics", "smap render", "bench run", "prepare"]
)
def test_output_below_missing_folders_is_created(tmp_path, command):
    argv, option = _commands(tmp_path)[command]
    target = tmp_path / "new" / "deeper" / ("out.png" if command == "smap render" else "out")
    code, _, err = run([*argv, *option, target])
    assert code == 0, err
    assert target.exists()


# ------------------------------------------------------------------------------- bad input files
def test_metrics_fixation_csv_with_text_keeps_the_valid_scores(score_folders, tmp_path):
    pred, tgt = score_folders
    fix = tmp_path / "fix"
    fix.mkdir()
    (fix / "a.csv").write_text("x,y\nfoo,bar\n")
    (fix / "b.csv").write_text("x,y\n3,4\n10,12\n")
    table = tmp_path / "s.parquet"
    code, _, err = run(["metrics", pred, tgt, "--fixations", fix, "-m", "nss", "-m", "cc", "-o", table])
    assert code == 0 and "Traceback" not in err
    assert [line for line in err.splitlines() if "a.csv" in line] == [
        "warning: a: unreadable (fixations "
        + str(fix / "a.csv")
        + ": columns x and y must hold numbers (pixels))"
    ]
    import pandas as pd

    assert sorted(pd.read_parquet(table)["image"].unique()) == ["b"]


# --------------------------------------------------------------------------------- non-finite floats
GENERATE_FLOATS = ["--guidance", "--control-scale", "--fps"]
BENCH_FLOATS = ["--guidance", "--control-scales"]
NON_FINITE = st.sampled_from(["nan", "inf", "-inf", "NaN", "Infinity", "-Infinity"])
FINITE = st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda v: repr(float(v)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(option=st.sampled_from(GENERATE_FLOATS), value=NON_FINITE)
def test_generate_refuses_non_finite_floats(option, value):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        code, _, err = run(["generate", "--model", "tiny", "--out", out, option, value])
        one_error_line(code, err, option, "finite")
        assert not out.exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(option=st.sampled_from(GENERATE_FLOATS), value=FINITE)
def test_generate_lets_every_finite_float_through_the_boundary(option, value):
    # --height 0 is checked after the float options: the error must be about it, not the float
    code, _, err = run(["generate", "--model", "tiny", "--out", "/nonexistent-never-written", option, value,
                        "--height", "0"])  # fmt: skip
    one_error_line(code, err, "--height")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(option=st.sampled_from(BENCH_FLOATS), value=NON_FINITE, finite=FINITE)
def test_bench_refuses_non_finite_floats(option, value, finite):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "bench"
        given_value = f"{finite},{value}" if option == "--control-scales" else value
        code, _, err = run(["bench", "run", "--model", "tiny", "-o", out, option, given_value])
        one_error_line(code, err, option, "finite")
        assert not out.exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(option=st.sampled_from(BENCH_FLOATS), value=FINITE)
def test_bench_lets_every_finite_float_through_the_boundary(option, value):
    code, _, err = run(["bench", "run", "--model", "tiny", "-o", "/nonexistent-never-written", option, value,
                        "--steps", "0"])  # fmt: skip
    one_error_line(code, err, "--steps")


def test_every_float_option_of_every_command_refuses_nan():
    import math

    import typer.main

    from gazefusion.cli import app
    from gazefusion.cli._common import finite_float_options
    from gazefusion.errors import UserInputError

    root = finite_float_options(typer.main.get_command(app))
    seen = []

    def walk(command, path):
        for sub_name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, [*path, sub_name])
        for param in command.params:
            descriptor = getattr(param, "type_descriptor", None)
            annotation = getattr(descriptor, "annotation", None)
            if annotation in (float, float | None):
                seen.append((command, param, math.nan))
            elif annotation in (list[float], list[float] | None):
                seen.append((command, param, [1.0, math.inf]))

    walk(root, [])
    options = sorted(p.opts[0] for _, p, _ in seen)
    assert {"--guidance", "--control-scale", "--fps", "--t", "--alpha"} <= set(options)
    for command, param, value in seen:  # the check runs before the command's body
        with pytest.raises(UserInputError, match=f"^{param.opts[0]}: expected a finite number"):
            command.callback(**{param.name: value})


# -------------------------------------------------------------------------------- messages, markup
def test_square_brackets_survive_in_error_messages(tmp_path):
    config = tmp_path / "study.toml"
    config.write_text('name = "x"\n')
    code, _, err = run(["study", "check", config])
    one_error_line(code, err, "needs a [display] section")


def test_print_helpers_print_user_text_as_is(capsys):
    from gazefusion.cli._common import print_error, print_warning

    print_error("spec [display] has [bold]x[/bold]")
    print_warning("file [1].png")
    err = capsys.readouterr().err
    assert "error: spec [display] has [bold]x[/bold]" in err and "warning: file [1].png" in err


def test_metrics_with_nothing_scored_is_exit_2_and_writes_nothing(score_folders, tmp_path):
    _, tgt = score_folders
    empty = tmp_path / "empty"
    empty.mkdir()
    table = tmp_path / "s.parquet"
    code, _, err = run(["metrics", empty, tgt, "-o", table])
    one_error_line(code, err, "nothing scored", str(empty))
    assert not table.exists()
    nan_targets = tmp_path / "nan"
    nan_targets.mkdir()
    np.save(nan_targets / "a.npy", np.full((32, 32), np.nan, np.float32))
    code, _, err = run(["metrics", score_folders[0], nan_targets, "-m", "cc", "-o", table])
    one_error_line(code, err, "nothing scored")
    assert not table.exists()


def test_emd_refused_on_maps_too_small_for_it(score_folders, tmp_path):
    from metrics.emd import check_emd_size

    check_emd_size((97, 97))
    with pytest.raises(ValueError, match="at least 4 bins per side"):
        check_emd_size((96, 512))
    pred, tgt = score_folders
    table = tmp_path / "s.parquet"
    code, _, err = run(["metrics", pred, tgt, "-m", "emd", "-m", "cc", "-o", table])
    assert code == 0 and "emd: 32x32 maps shrink to 1x1 bins" in err
    import pandas as pd

    assert set(pd.read_parquet(table)["metric"]) == {"cc"}


def test_empty_smaps_are_warned(tmp_path):
    spec = tmp_path / "outside.toml"
    spec.write_text(
        'size = [32, 32]\nnormalize = "none"\n[[elements]]\ntype = "gaussian"\ncenter = [-500, -500]\nsigma = 3\n'
    )
    code, _, err = run(["smap", "render", spec, "-o", tmp_path / "x.png"])
    assert code == 0 and "warning:" in err and "all zero" in err
    zero = grey_png(tmp_path / "zero.png", 0)
    code, _, err = run([*GEN, "--smap", zero, "--out", tmp_path / "g"])
    assert code == 0 and "warning:" in err and "all zero" in err


def test_study_check_refuses_a_name_that_is_not_a_plain_file_name(tmp_path):
    import tomllib

    import tomli_w

    from study.example import write_example_study

    config = write_example_study(tmp_path / "ex", size=(96, 72), items=("a", "b"))
    data = tomllib.loads(config.read_text())
    data["name"] = "../../x"
    config.write_text(tomli_w.dumps(data))
    before = tree_digest(tmp_path)
    code, _, err = run(["study", "check", config])
    assert tree_digest(tmp_path) == before
    one_error_line(code, err, "name:", "../../x")


# -------------------------------------------------------------------------- requirements before work
def test_prepare_checks_saliency_weights_and_blip2_before_cropping(tmp_path, monkeypatch):
    monkeypatch.setenv("GAZEFUSION_EMLNET_DIR", str(tmp_path / "no-weights"))
    raw = tmp_path / "raw"
    Image.fromarray(np.zeros((48, 64, 3), np.uint8) + 90).save(grey_png(raw / "a.png", 0))
    captions = tmp_path / "c.csv"
    captions.write_text("file,caption\na.png,grey\n")
    out = tmp_path / "ds"
    code, _, err = run(["prepare", raw, "--out", out, "--resolution", "32", "--captions", captions])
    one_error_line(code, err, "--saliency-model emlnet")
    assert not (out / "images").exists()
    code, _, err = run(["prepare", raw, "--out", out, "--resolution", "32", "--saliency-model", "centre-bias",
                        "--blip2-model", str(tmp_path / "no-blip2")])  # fmt: skip
    one_error_line(code, err, "--blip2-model", "no-blip2")
    assert not (out / "images").exists()


def test_saliency_checks_emlnet_weights_before_the_first_image(tmp_path, monkeypatch):
    monkeypatch.setenv("GAZEFUSION_EMLNET_DIR", str(tmp_path / "no-weights"))
    images = tmp_path / "imgs"
    grey_png(images / "a.png", blob())
    out = tmp_path / "maps"
    code, _, err = run(["saliency", images, "-m", "emlnet", "-o", out])
    one_error_line(code, err, "--model emlnet", "EML-Net weights not found")
    assert not out.exists() and "saliency (" not in err  # no progress bar was started
