"""The Gradio page of ``gazefusion app``: design an smap, generate from it, score, keep everything.

Only layout and wiring live here; the work is done by :mod:`~gazefusion.app.design` (the map),
:mod:`~gazefusion.app.generation` (runs) and :mod:`~gazefusion.app.scoring`. Every handler turns a
:class:`~gazefusion.errors.UserInputError` (and any other failure) into one line in the page's
status box and leaves the design and the session folder as they were.

Offline: analytics and the version check are off, and the theme uses the system's fonts (Gradio's
default theme would fetch Google Fonts).
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from pathlib import Path

import numpy as np

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported
import gradio as gr  # noqa: E402  (this module is imported only by the app command)

from gazefusion.app import design as dz
from gazefusion.app.generation import ModelCache, parse_request, run_generation
from gazefusion.app.paintpad import pad_update, paint_pad
from gazefusion.app.scoring import METRIC_LABELS
from gazefusion.app.session import Session
from gazefusion.app.strokes import parse_strokes, rasterize_strokes
from gazefusion.errors import UserInputError

#: Longest side of the preview on the page, px (the map is shown enlarged, nearest neighbour;
#: clicks are scaled back to the map's pixels).
PREVIEW_SIDE = 384
_CSS = """
#preview img { image-rendering: pixelated; }
#status { min-height: 1.5em; }
#status .error, #status p strong { color: #b91c1c; }
"""
_INTRO = (
    "# GazeFusion: design where viewers look\n"
    "Paint **attention** (brush; switch to the *suppress* layer to paint it away), click the map on the "
    "right to place Gaussian blobs or suppression discs, or start from a built-in map, an uploaded map "
    "or a photo's predicted saliency. The map on the right is exactly what the ControlNet receives "
    "(the 8-bit file / 255). Every generation is saved in the session folder with a JSON sidecar "
    "that regenerates it."
)


class GradioProgress:
    """The app's :class:`~gazefusion.progress.Progress`: Gradio's one bar shows the latest report,
    the task as its description (done/total; an empty bar while nothing of an unknown total is done)."""

    def __init__(self, bar: gr.Progress) -> None:
        self.bar = bar

    def __call__(self, task: str, done: int, total: int | None) -> None:
        if total:
            self.bar((done, total), desc=task)
        else:
            self.bar((done, None) if done else 0.0, desc=task)


def _status_ok(text: str) -> str:
    return f"<span class='ok'>{text}</span>"


def _status_error(exc: BaseException, prefix: str = "") -> str:
    """One line for the page: the user's mistake as it is, anything else with its type."""
    if isinstance(exc, UserInputError):
        msg = str(exc)
    else:
        if os.environ.get("GAZEFUSION_DEBUG"):
            traceback.print_exception(exc, file=sys.stderr)
        msg = f"unexpected {type(exc).__name__}: {exc}"
    return "**error:** " + prefix + " ".join(msg.split())


def _gray(smap: np.ndarray) -> np.ndarray:
    """A map as the 8-bit grey image of its file (value x 255)."""
    return np.round(smap * 255.0).astype(np.uint8)


def _enlarged(design: dz.Design, smap: np.ndarray | None, side: int) -> np.ndarray:
    """The map as grey uint8, enlarged (nearest) so that its longest side is ``side`` px."""
    from PIL import Image

    scale = side / max(design.width, design.height)
    size = (max(1, round(design.width * scale)), max(1, round(design.height * scale)))
    grey = _gray(smap) if smap is not None else np.zeros((design.height, design.width), np.uint8)
    return np.asarray(Image.fromarray(grey).resize(size, Image.Resampling.NEAREST))


def _to_map_px(design: dz.Design, x: float, y: float) -> tuple[float, float]:
    """A pixel (x, y) of the enlarged preview as a position on the map (pixel centres at integers)."""
    scale = PREVIEW_SIDE / max(design.width, design.height)
    mx = min(max((x + 0.5) / scale - 0.5, 0.0), design.width - 1.0)
    my = min(max((y + 0.5) / scale - 0.5, 0.0), design.height - 1.0)
    return mx, my


def _info(design: dz.Design, smap: np.ndarray | None) -> str:
    from gazefusion.smaps import image_px_per_deg, smap_stats

    px_deg = image_px_per_deg(design.size, design.display)[0]
    d = design.display
    geometry = (
        f"display {d.width_px}x{d.height_px} px, {d.width_cm:g} cm wide at {d.distance_cm:g} cm: "
        f"1 deg = {px_deg:.2f} px of this map (shown full-screen)"
    )
    parts = [f"canvas {design.width}x{design.height} px", geometry]
    if smap is not None:
        st = smap_stats(smap)
        parts.append(f"peak {st.peak * 255:.0f}/255 at {st.peak_xy}, mean {st.mean * 255:.1f}/255")
    if design.base_source:
        parts.append(f"base: {design.base_source}")
    parts.append(f"{len(design.blobs)} blob(s), {len(design.discs)} suppression disc(s)")
    return " · ".join(parts)


def _view(design: dz.Design) -> tuple[np.ndarray, str, str | None, np.ndarray]:
    """(enlarged preview, info line, error line or None, the map as grey uint8 at its own size) of
    a design, from one render; an empty design previews black."""
    try:
        smap = dz.render_design(design)
    except UserInputError as exc:
        black = np.zeros((design.height, design.width), np.uint8)
        return _enlarged(design, None, PREVIEW_SIDE), _info(design, None), _status_error(exc), black
    return _enlarged(design, smap, PREVIEW_SIDE), _info(design, smap), None, _gray(smap)


def build_app(
    session_dir: str | os.PathLike,
    model: str | None = None,
    device: str | None = None,
    dtype: str = "auto",
    width: int = 512,
    height: int = 512,
):
    """The app as a ``gradio.Blocks`` (not launched). ``model`` is what the page's model field starts
    with (None/"": the default model); it is loaded on the first "Generate"."""
    from gazefusion.saliency import available_saliency_models
    from gazefusion.smaps import DEFAULT_SMAP, builtin_names

    session = Session.open(session_dir)
    cache = ModelCache(device=device, dtype=dtype)
    initial = dz.base_from_builtin(
        dz.with_canvas(dz.Design(), width, height, dz.DEFAULT_LAB_DISPLAY), DEFAULT_SMAP
    )
    first_preview, first_info, _, first_grey = _view(initial)
    scorers = available_saliency_models(usable_only=True)
    default_scorer = "spectral-residual" if "spectral-residual" in scorers else scorers[0]

    def guarded(n_outputs: int, prefix: str = ""):
        """Decorator: a handler's error becomes the status line; its other outputs stay unchanged."""

        def wrap(fn):
            @functools.wraps(fn)
            def run(*args, **kwargs):
                try:
                    return fn(*args, **kwargs)
                except Exception as exc:  # noqa: BLE001 - never a stack trace in the page
                    return (_status_error(exc, prefix), *([gr.skip()] * (n_outputs - 1)))

            return run

        return wrap

    def show(design: dz.Design, note: str = "", pad_strokes: str | None | bool = False):
        """The view outputs of ``design``; with ``pad_strokes`` other than False also the pad's update
        (its background the same render; None keeps its strokes, a JSON text replaces them)."""
        image, info, error, grey = _view(design)
        outputs = (error or (_status_ok(note) if note else ""), design, image, info)
        return outputs if pad_strokes is False else (*outputs, pad_update(grey, pad_strokes))

    with gr.Blocks(title="GazeFusion app", analytics_enabled=False) as demo:
        gr.Markdown(_INTRO)
        status = gr.Markdown("", elem_id="status")
        state = gr.State(initial)
        with gr.Row():
            with gr.Column(scale=3):
                with gr.Tab("Paint"):
                    gr.Markdown(
                        "Paint on the map: **attention** adds, **suppress** removes, **erase** takes strokes "
                        "away (brush size in px of the map)."
                    )
                    pad = paint_pad(first_grey, elem_id="paint")
                    with gr.Row():
                        softness = gr.Slider(0, 64, value=8, step=0.5, label="Brush softness (px of the map)")
                        stroke_weight = gr.Slider(0.05, 1, value=1, step=0.05, label="Stroke strength")
                with gr.Tab("Start from"):
                    with gr.Row():
                        builtin = gr.Dropdown(builtin_names(), value=DEFAULT_SMAP, label="Built-in smap")
                        use_builtin = gr.Button("Use built-in")
                    map_file = gr.File(
                        label="Upload a map (grey image, /255)", type="filepath", elem_id="map-upload"
                    )
                    with gr.Row():
                        photo_file = gr.File(label="Upload a photo", type="filepath", elem_id="photo-upload")
                        photo_scorer = gr.Dropdown(
                            scorers, value=default_scorer, label="Predict its saliency with"
                        )
                    use_photo = gr.Button("Start from the photo's predicted saliency")
                    clear_base = gr.Button("Start from nothing (clear base, blobs, discs)")
                with gr.Tab("Canvas and display"):
                    with gr.Row():
                        width_in = gr.Number(
                            value=width, label="Map width (px, multiple of 8)", elem_id="width"
                        )
                        height_in = gr.Number(
                            value=height, label="Map height (px, multiple of 8)", elem_id="height"
                        )
                    with gr.Row():
                        screen_w = gr.Number(value=initial.display.width_px, label="Screen width (px)")
                        screen_h = gr.Number(value=initial.display.height_px, label="Screen height (px)")
                        screen_cm = gr.Number(value=initial.display.width_cm, label="Screen width (cm)")
                        distance = gr.Number(value=initial.display.distance_cm, label="Viewing distance (cm)")
                    with gr.Row():
                        combine = gr.Radio(["max", "sum"], value="max", label="Combine elements by")
                        normalize = gr.Radio(
                            ["none", "peak"], value="none", label="Normalise (peak: scale to 1)"
                        )
                    apply_canvas = gr.Button("Apply canvas and display", elem_id="apply-canvas")
            with gr.Column(scale=2):
                preview = gr.Image(
                    value=first_preview,
                    label="The map as the ControlNet receives it: click to place",
                    interactive=False,
                    elem_id="preview",
                    height=PREVIEW_SIDE + 40,
                    buttons=[],
                )
                info = gr.Markdown(first_info, elem_id="info")
                with gr.Row():
                    click_mode = gr.Radio(
                        ["blob", "suppression disc"],
                        value="blob",
                        label="A click places",
                        elem_id="click-mode",
                    )
                    click_unit = gr.Radio(["px", "deg"], value="px", label="Sizes in")
                with gr.Row():
                    click_size = gr.Number(value=32, label="Blob sigma / disc radius", elem_id="click-size")
                    blob_weight = gr.Slider(0.05, 1, value=1, step=0.05, label="Blob weight (peak)")
                    disc_feather = gr.Number(value=0, label="Disc feather")
                with gr.Row():
                    undo = gr.Button("Undo last click")
                    export = gr.Button("Export smap (PNG + spec)", elem_id="export")
                export_files = gr.File(
                    label="Exported smap", file_count="multiple", interactive=False, elem_id="exported"
                )

        gr.Markdown("## Generate")
        with gr.Row():
            model_in = gr.Textbox(
                value=model or "", label="Model (empty: the default model)", elem_id="model"
            )
            prompt = gr.Textbox(value="a sailboat on the sea", label="Prompt", elem_id="prompt", scale=2)
            negative = gr.Textbox(value="", label="Negative prompt")
        with gr.Row():
            seeds = gr.Textbox(value="123", label="Seed(s), comma-separated", elem_id="seeds")
            steps = gr.Number(value=50, label="Steps (DDIM)", elem_id="steps", precision=0)
            guidance = gr.Number(value=9.0, label="Guidance scale")
            control = gr.Number(value=1.0, label="Control scale")
            sweep = gr.Textbox(value="", label="Control-scale sweep (e.g. 0.5,1,1.5; replaces it)")
            scorer = gr.Dropdown(scorers, value=default_scorer, label="Scorer")
        generate = gr.Button("Generate", variant="primary", elem_id="generate")
        results = gr.Gallery(
            label="Images, JET blends and the scorer's predictions", columns=6, elem_id="results"
        )
        metrics = gr.Dataframe(
            headers=["image", "seed", "control", *METRIC_LABELS.values()],
            label="Scores against the designed map (density: CC, KLD, SIM; pseudo-fixations: NSS, AUC-Judd)",
            interactive=False,
            elem_id="metrics",
        )
        history = gr.Gallery(
            value=[(str(p), c) for p, c in session.history()],
            label=f"Session history ({session.root})",
            columns=8,
            height=280,
            object_fit="contain",
            elem_id="history",
        )

        view_outputs = [status, state, preview, info]

        @guarded(4)
        def on_paint(design, value, soft, weight):
            attention, suppress = rasterize_strokes(parse_strokes(value), design.width, design.height)
            return show(dz.with_strokes(design, attention, suppress, soft, weight))

        pad.change(on_paint, [state, pad, softness, stroke_weight], view_outputs, trigger_mode="always_last")
        softness.release(on_paint, [state, pad, softness, stroke_weight], view_outputs)
        stroke_weight.release(on_paint, [state, pad, softness, stroke_weight], view_outputs)

        @guarded(4)
        def on_click(design, mode, size, unit, weight, feather, evt: gr.SelectData):
            x, y = _to_map_px(design, *(float(v) for v in evt.index))
            if mode == "blob":
                design = dz.add_blob(design, x, y, float(size), unit, float(weight))
            else:
                design = dz.add_disc(design, x, y, float(size), unit, float(feather or 0))
            return show(design, f"{mode} placed at ({x:.0f}, {y:.0f})")

        preview.select(
            on_click, [state, click_mode, click_size, click_unit, blob_weight, disc_feather], view_outputs
        )
        undo.click(guarded(4)(lambda d: show(dz.undo_click(d))), [state], view_outputs)

        base_outputs = [*view_outputs, pad]

        def with_canvas_refresh(old: dz.Design, design: dz.Design, note: str):
            """The outputs for a new base or canvas: the pad shows the new map; strokes are kept on the
            same canvas size and dropped on another (they are in the old map's pixels)."""
            if design.size == old.size:
                return show(design, note, pad_strokes=None)
            return show(dz.with_strokes(design, None, None), note, pad_strokes="[]")

        @guarded(5)
        def on_builtin(design, name):
            return with_canvas_refresh(
                design, dz.base_from_builtin(design, name), f"started from built-in {name}"
            )

        @guarded(5)
        def on_map(design, path):
            if not path:
                return (gr.skip(),) * 5
            return with_canvas_refresh(
                design, dz.base_from_file(design, path), f"started from {Path(path).name}"
            )

        @guarded(5)
        def on_photo(design, path, model_name):
            if not path:
                raise UserInputError("photo: upload a photo first")
            new = dz.base_from_photo(design, path, model_name)
            return with_canvas_refresh(design, new, f"started from {model_name} on {Path(path).name}")

        @guarded(5)
        def on_clear(design):
            empty = dz.Design(width=design.width, height=design.height, display=design.display)
            return show(empty, "cleared", pad_strokes="[]")

        @guarded(5)
        def on_canvas(design, w, h, sw, sh, scm, dist, comb, norm):
            from dataclasses import replace

            display = dz.display_from_fields(sw, sh, scm, dist)
            new = replace(dz.with_canvas(design, w, h, display), combine=comb, normalize=norm)
            return with_canvas_refresh(design, new, f"canvas {new.width}x{new.height} px")

        use_builtin.click(on_builtin, [state, builtin], base_outputs)
        map_file.upload(on_map, [state, map_file], base_outputs)
        use_photo.click(on_photo, [state, photo_file, photo_scorer], base_outputs)
        clear_base.click(on_clear, [state], base_outputs)
        apply_canvas.click(
            on_canvas,
            [state, width_in, height_in, screen_w, screen_h, screen_cm, distance, combine, normalize],
            base_outputs,
        )

        @guarded(2)
        def on_export(design):
            dz.render_design(design)  # an empty design is refused before a folder is made
            folder = session.new_folder("exports")
            spec_path, png, _ = dz.write_design(design, folder)
            files = [str(png), str(spec_path), *(str(p) for p in sorted(folder.glob("*.png")) if p != png)]
            return _status_ok(
                f"exported to {folder} (`gazefusion smap render {spec_path} -o m.png` remakes it)"
            ), files

        export.click(on_export, [state], [status, export_files])

        @guarded(4, prefix="cannot generate: ")
        def on_generate(design, model_name, p, neg, sd, st, g, cs, sw, sc, bar=gr.Progress()):
            request = parse_request(p, neg, sd, st, g, cs, sw, sc)
            dz.render_design(design)  # empty map: refused before the model loads
            progress = GradioProgress(bar)
            progress("loading the model", 0, None)
            pipe = cache.get(model_name)
            result = run_generation(session, design, request, pipe, progress=progress)
            from gazefusion.smaps import jet_colormap

            gallery = []
            for im in result.images:
                tag = f"seed {im.seed} · control {im.control_scale:g}"
                gallery.append((str(im.path), tag))
                if im.blend is not None:
                    gallery.append((im.blend, f"{tag} · JET blend"))
                gallery.append((jet_colormap(im.prediction), f"{tag} · {request.scorer}"))
            note = f"{len(result.images)} image(s) saved in {result.folder} ({result.model})"
            rows = result.score_rows()
            return _status_ok(note), gallery, rows, [(str(p), c) for p, c in session.history()]

        generate.click(
            on_generate,
            [state, model_in, prompt, negative, seeds, steps, guidance, control, sweep, scorer],
            [status, results, metrics, history],
            concurrency_limit=1,
        )
    demo.session = session  # type: ignore[attr-defined]
    return demo


def launch(demo, host: str = "127.0.0.1", port: int | None = None, open_browser: bool = False) -> None:
    """Serve the app (blocking) on ``host``:``port`` with the offline theme; files under the
    session folder may be served to the page."""
    theme = gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]
    )
    demo.queue(default_concurrency_limit=4).launch(
        server_name=host,
        server_port=port,
        inbrowser=open_browser,
        share=False,
        show_error=False,
        theme=theme,
        css=_CSS,
        allowed_paths=[str(demo.session.root)],
        footer_links=[],
        quiet=False,
    )
