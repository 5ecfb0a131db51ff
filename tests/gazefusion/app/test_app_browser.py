"""`gazefusion app` in a real browser: Debian's Chromium driven by Playwright, fully offline.

One app (``--model tiny``, a 64 px canvas) is started on a free loopback port for the module; the
tests paint a stroke, place a blob, generate with 2 steps, read the metrics from the page, check
that the saved PNG + sidecar regenerate the image, and that bad input gives one line in the page
while the session folder stays as it was. Any request that leaves the machine is refused and fails
the test.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PROMPT = "a sailboat on the sea"
#: Longest wait for one thing in the page, ms ($GAZEFUSION_APP_TEST_WAIT_S on a crowded machine).
WAIT_MS = int(float(os.environ.get("GAZEFUSION_APP_TEST_WAIT_S", "60")) * 1000)

playwright_sync = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytest.importorskip("gradio", reason="gradio is not installed")
pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Debian chromium is not installed ({CHROMIUM})"),
    pytest.mark.timeout(max(300, 6 * WAIT_MS // 1000)),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, log: Path, seconds: float = 2 * WAIT_MS / 1000) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"gazefusion app exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gazefusion app did not answer at {url}:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``(url, session folder)`` of a running ``gazefusion app --model tiny`` (stopped afterwards)."""
    root = tmp_path_factory.mktemp("app")
    session, log = root / "session", root / "app.log"
    port = _free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    env.pop("GAZEFUSION_MODEL", None)
    cmd = [sys.executable, "-m", "gazefusion", "app", "--model", "tiny", "--port", str(port)]
    cmd += ["--session", str(session), "--size", "64x64"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_http(url, proc, log)
        yield url, session
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    """A fresh page of the app; requests to anything but the app's own address are aborted and fail the test."""
    url, _ = server
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    outside: list[str] = []

    def route(r):
        if r.request.url.startswith(url) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    pg.goto(url)
    pg.wait_for_selector("#preview img")
    yield pg
    context.close()
    assert outside == [], f"the page tried to reach the network: {outside}"


def _info(page) -> str:
    return page.locator("#info").inner_text()


def _wait_text(page, selector: str, pattern: str) -> str:
    """Wait until the element's text matches ``pattern`` (regex); return the text."""
    page.wait_for_function(
        "([sel, pat]) => new RegExp(pat).test(document.querySelector(sel)?.innerText ?? '')",
        arg=[selector, pattern],
        timeout=WAIT_MS,
    )
    return page.locator(selector).inner_text()


def _fill(page, elem_id: str, value: str) -> None:
    box = page.locator(f"#{elem_id} input, #{elem_id} textarea").first
    box.fill(value)
    box.press("Tab")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _mean_level(info: str) -> float:
    return float(re.search(r"mean ([0-9.]+)/255", info).group(1))


def test_design_generate_score_and_regenerate(page, server, tmp_path):
    from gazefusion.cli import main
    from gazefusion.smaps import load_smap
    from gazefusion.utils.images import read_rgb

    _, session = server
    before = _mean_level(_info(page))

    # a stroke with the pad's 'attention' brush
    page.locator("#paint button[data-layer='attention']").click()
    box = page.locator("#paint canvas").first.bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.25
    page.mouse.move(x0, y0)
    page.mouse.down()
    for k in range(1, 9):
        page.mouse.move(x0 + box["width"] * 0.07 * k, y0, steps=2)
    page.mouse.up()
    page.wait_for_function(
        "([b]) => { const m = /mean ([0-9.]+)\\/255/.exec(document.querySelector('#info').innerText);"
        " return m && parseFloat(m[1]) > b + 1; }",
        arg=[before],
        timeout=WAIT_MS,
    )

    # a blob where the map is dark: the preview's lower-left corner region
    img = page.locator("#preview img")
    ib = img.bounding_box()
    img.click(position={"x": ib["width"] * 0.2, "y": ib["height"] * 0.8})
    _wait_text(page, "#info", r"1 blob\(s\)")

    _fill(page, "steps", "2")
    _fill(page, "seeds", "7")
    page.locator("#generate").click()
    status = _wait_text(page, "#status", r"saved in|error")
    assert "error" not in status, status

    # metrics from the page = the run's scores.json
    page.wait_for_selector("#metrics [role=gridcell]")
    cells = [c.inner_text().strip() for c in page.locator("#metrics [role=gridcell]").all()]
    assert len(cells) == 8, cells  # one row: image, seed, control and the five scores
    run = session / "runs" / "0001"
    scores = json.loads((run / "scores.json").read_text())["images"][0]
    shown = dict(zip(["cc", "kld", "nss", "sim", "auc_judd"], (float(c) for c in cells[-5:]), strict=True))
    for name, value in shown.items():
        assert np.isfinite(value)
        assert value == pytest.approx(scores[name], abs=1e-4)
    assert 0 <= shown["auc_judd"] <= 1 and -1 <= shown["cc"] <= 1

    # the saved map holds the stroke and the blob, and its spec reproduces it
    spec = (run / "smap.toml").read_text()
    assert 'file = "attention.png"' in spec and 'type = "gaussian"' in spec
    again = tmp_path / "again.png"
    with pytest.raises(SystemExit) as exit_info:
        main(["smap", "render", str(run / "smap.toml"), "-o", str(again)])
    assert exit_info.value.code in (0, None)
    np.testing.assert_array_equal(load_smap(again), load_smap(run / "smap.png"))

    # the PNG + sidecar regenerate the same image through `gazefusion generate`
    png = run / "cs1" / "0000_a-sailboat-on-the-sea_seed7.png"
    sidecar = json.loads(png.with_suffix(".json").read_text())
    gen = sidecar["generation"]
    assert (png.with_name(png.stem + "_blend.png")).is_file()
    args = [
        "generate",
        "--smap",
        str(run / "smap.png"),
        "--prompt",
        gen["prompt"],
        "--seed",
        str(gen["seed"]),
    ]
    args += ["-n", "1", "--steps", str(gen["params"]["steps"]), "--model", "tiny", "--no-blend"]
    args += ["--guidance", str(gen["params"]["guidance_scale"]), "--out", str(tmp_path / "regen")]
    args += ["--control-scale", str(gen["params"]["control_scale"])]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code in (0, None)
    remade = tmp_path / "regen" / png.name
    np.testing.assert_array_equal(read_rgb(remade), read_rgb(png))
    assert json.loads(remade.with_suffix(".json").read_text())["generation"] == gen

    _wait_text(page, "#history", r"run 0001")
    shots = Path(os.environ.get("GAZEFUSION_APP_SCREENSHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "app.png"), full_page=True)


def test_bad_input_is_one_line_in_the_page_and_keeps_the_session(page, server, tmp_path):
    _, session = server
    session.mkdir(parents=True, exist_ok=True)
    kept = _snapshot(session)

    # an uploaded non-image
    bad = tmp_path / "notes.png"
    bad.write_text("this is not an image")
    page.get_by_role("tab", name="Start from").click()
    page.locator("#map-upload input[type=file]").set_input_files(str(bad))
    assert "cannot read image" in _wait_text(page, "#status", r"error")

    # a size that is not a multiple of 8
    page.get_by_role("tab", name="Canvas and display").click()
    _fill(page, "width", "100")
    page.locator("#apply-canvas").click()
    assert "multiple of 8" in _wait_text(page, "#status", r"multiple of 8")
    _fill(page, "width", "64")

    # a model that fails to load (a broken checkpoint; the map is fine: the default built-in)
    broken = tmp_path / "broken.ckpt"
    broken.write_bytes(b"not a checkpoint")
    _fill(page, "model", str(broken))
    _fill(page, "steps", "2")
    page.locator("#generate").click()
    status = _wait_text(page, "#status", r"cannot generate: .*broken\.ckpt")
    assert "Traceback" not in status and len(status.splitlines()) == 1

    # an empty map: start from nothing, then generate
    page.get_by_role("tab", name="Start from").click()
    page.get_by_role("button", name=re.compile("Start from nothing")).click()
    assert "empty" in _wait_text(page, "#status", r"empty")
    _fill(page, "model", "tiny")
    page.locator("#generate").click()
    status = _wait_text(page, "#status", r"cannot generate: .*map is empty")
    assert "Traceback" not in status and len(status.splitlines()) == 1
    assert _snapshot(session) == kept
