"""The app's runs without a browser: saved like `gazefusion generate`, regenerable, scored; mistakes
leave the session as it was."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from gazefusion.app import design as dz
from gazefusion.app.generation import parse_request, run_generation
from gazefusion.app.session import Session
from gazefusion.errors import UserInputError


@pytest.fixture()
def design() -> dz.Design:
    return dz.add_blob(dz.with_canvas(dz.Design(), 32, 32, dz.DEFAULT_LAB_DISPLAY), 10.0, 20.0, 4.0)


def _request(**changes):
    fields = dict(
        prompt="a boat",
        negative_prompt="",
        seeds="3,4",
        steps=2,
        guidance=9.0,
        control_scale=1.0,
        sweep="",
        scorer="centre-bias",
    )
    return parse_request(**{**fields, **changes})


def test_run_is_saved_scored_and_regenerates(pipe, design, tmp_path):
    from gazefusion.bench.targets import build_targets
    from gazefusion.pipeline import generate_to_folder
    from gazefusion.saliency import get_saliency_model
    from gazefusion.utils.images import read_rgb
    from metrics import cc, nss

    session = Session.open(tmp_path / "s")
    reports = []
    result = run_generation(
        session, design, _request(sweep="0.5,1"), pipe, progress=lambda *r: reports.append(r)
    )
    assert reports == [("denoising", k, 8) for k in range(9)]  # 2 seeds x 2 scales x 2 steps
    assert result.folder == session.root / "runs" / "0001"
    assert sorted(p.name for p in (result.folder / "cs0.5").glob("*.png")) == [
        "0000_a-boat_seed3.png",
        "0000_a-boat_seed3_blend.png",
        "0000_a-boat_seed4.png",
        "0000_a-boat_seed4_blend.png",
    ]
    im = result.images[-1]
    sidecar = json.loads(im.path.with_suffix(".json").read_text())
    gen = sidecar["generation"]
    assert gen["params"]["control_scale"] == 1.0 and gen["seed"] == 4
    again = generate_to_folder(
        pipe,
        gen["prompt"],
        str(result.smap_png),
        [gen["seed"]],
        tmp_path / "again",
        steps=gen["params"]["steps"],
        guidance_scale=gen["params"]["guidance_scale"],
        control_scale=gen["params"]["control_scale"],
    )
    np.testing.assert_array_equal(read_rgb(again.images[0]), read_rgb(im.path))
    assert json.loads(again.images[0].with_suffix(".json").read_text())["generation"] == gen

    # scores: the centre-bias prediction against the map (cc) and its pseudo-fixations (nss)
    smap = dz.render_design(design)
    prediction = get_saliency_model("centre-bias").predict(im.image)[0]
    target = build_targets(["design"], [smap])["design"]
    assert im.scores["cc"] == pytest.approx(cc(prediction, smap))
    assert im.scores["nss"] == pytest.approx(nss(prediction, target.fixation_map))
    saved = json.loads((result.folder / "scores.json").read_text())["images"]
    assert [r["cc"] for r in saved] == [g.scores["cc"] for g in result.images]
    assert len(session.history()) == 4


@pytest.mark.parametrize(
    ("change", "match"),
    [
        pytest.param({"design": "empty"}, "map is empty", id="empty-map"),
        pytest.param({"scorer": "no-such-scorer"}, "no-such-scorer", id="scorer"),
    ],
)
def test_mistakes_leave_the_session_untouched(pipe, design, tmp_path, change, match):
    session = Session.open(tmp_path / "s")
    run_generation(session, design, _request(seeds="1"), pipe)
    before = {p: p.read_bytes() for p in session.root.rglob("*") if p.is_file()}
    d = dz.with_canvas(dz.Design(), 32, 32, dz.DEFAULT_LAB_DISPLAY) if change.get("design") else design
    with pytest.raises(UserInputError, match=match):
        run_generation(session, d, _request(seeds="1", scorer=change.get("scorer", "centre-bias")), pipe)
    assert {p: p.read_bytes() for p in session.root.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize(
    ("change", "match"),
    [
        pytest.param({"prompt": "  "}, "prompt", id="prompt"),
        pytest.param({"seeds": "1,x"}, "seeds", id="seeds"),
        pytest.param({"steps": 2.5}, "steps", id="steps"),
        pytest.param({"guidance": float("nan")}, "guidance", id="guidance"),
        pytest.param({"sweep": "1,1"}, "distinct", id="sweep"),
        pytest.param({"control_scale": -1}, "control scale", id="negative-scale"),
    ],
)
def test_bad_settings_are_one_line(change, match):
    with pytest.raises(UserInputError, match=match):
        _request(**change)


def test_help_does_not_import_gradio():
    code = (
        "import sys\nfrom gazefusion.cli import main\ntry:\n    main(['app', '--help'])\n"
        "except SystemExit:\n    pass\nprint('gradio' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "--session" in out and out.strip().endswith("False")
