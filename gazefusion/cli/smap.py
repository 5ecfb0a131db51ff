"""`gazefusion smap`: render specs, rebuild the built-in maps, inspect and list maps."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from gazefusion.cli._common import console, print_warning
from gazefusion.errors import UserInputError

smap_app = typer.Typer(
    name="smap",
    help="Saliency maps: render specs (pixels or degrees), rebuild gazefusion/assets/smaps, inspect, list built-ins.",
    no_args_is_help=True,
    add_completion=False,
)

_DISPLAY_HELP = (
    "Display for degree specs: 'WxH:WIDTH_CM:DISTANCE_CM' (e.g. 1920x1080:53.1:60), "
    "'lab' (1920x1080, 53.1 cm, 60 cm), or a TOML/JSON file of DisplayGeometry fields."
)


def parse_display(value: str):
    """Parse the ``--display`` option into a :class:`~gazefusion.geometry.DisplayGeometry`."""
    from gazefusion.geometry import DEFAULT_LAB_DISPLAY, DisplayGeometry

    if value == "lab":
        return DEFAULT_LAB_DISPLAY
    path = Path(value)
    if path.suffix.lower() in (".toml", ".json"):
        from gazefusion.utils.datafiles import read_data_file

        data = read_data_file(path, "--display")
        return DisplayGeometry.from_json(data.get("display", data))
    try:
        res, width_cm, distance_cm = value.split(":")
        width_px, height_px = (int(v) for v in res.lower().split("x"))
        return DisplayGeometry(
            width_px=width_px, height_px=height_px, width_cm=float(width_cm), distance_cm=float(distance_cm)
        )
    except ValueError as exc:
        if isinstance(exc, UserInputError):
            raise
        raise UserInputError(
            f"--display: expected 'WxH:WIDTH_CM:DISTANCE_CM', 'lab' or a .toml/.json file, got {value!r}"
        ) from None


def parse_px_pair(value: str | None, option: str) -> tuple[int, int] | None:
    """Parse 'WxH' (pixels) or None."""
    if value is None:
        return None
    try:
        w, h = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise UserInputError(
            f"{option}: expected WIDTHxHEIGHT in pixels, e.g. 512x512, got {value!r}"
        ) from None
    if w <= 0 or h <= 0:
        raise UserInputError(f"{option}: width and height must be positive, got {value!r}")
    return w, h


@smap_app.command("render")
def render(
    spec: str = typer.Argument(..., help="Spec file (.toml/.json), built-in name, or image file."),
    out: Path = typer.Option(..., "--out", "-o", help="Output PNG (with --frames: FILE_000.png, ...)."),
    width_px: int | None = typer.Option(None, "--width-px", help="Output width (default: the spec's)."),
    height_px: int | None = typer.Option(None, "--height-px", help="Output height (default: the spec's)."),
    display: str | None = typer.Option(None, "--display", help=_DISPLAY_HELP),
    on_screen: str | None = typer.Option(
        None, "--on-screen-px", help="On-screen size WxH of the image (default: full-screen)."
    ),
    t: float | None = typer.Option(None, "--t", help="Time in [0, 1] for keyframed specs."),
    frames: int | None = typer.Option(None, "--frames", help="Render N frames at t = 0 .. 1 (video)."),
    bits: int = typer.Option(8, "--bits", help="8 or 16 bits per pixel."),
) -> None:
    """Render a spec to a grey PNG (pixel values = map x 255, rounded).

    Sizes are checked against the documented maximum (8192 px per side, gazefusion.limits) and
    the output path before anything is rendered; an all-zero map is written with a warning.
    """
    from gazefusion.smaps import resolve_smap, save_smap
    from gazefusion.smaps.io import check_size
    from gazefusion.utils.paths import check_output_file

    if (width_px is None) != (height_px is None):
        raise UserInputError("--width-px and --height-px: give both or neither")
    if width_px is not None:
        check_size((width_px, height_px), "--width-px/--height-px")
    check_output_file(out, "--out")
    if frames is not None and (frames < 1 or t is not None):
        raise UserInputError(f"--frames: expected a positive count and no --t, got frames={frames}, t={t}")
    size = (width_px, height_px) if width_px is not None else None
    geometry = parse_display(display) if display else None
    on_screen_px = parse_px_pair(on_screen, "--on-screen-px")
    if on_screen_px is not None and geometry is None:
        raise UserInputError("--on-screen-px needs --display")
    times = [t] if frames is None else [i / max(frames - 1, 1) for i in range(frames)]
    for i, ti in enumerate(times):
        smap, what = resolve_smap(spec, size=size, geometry=geometry, t=ti, on_screen_px=on_screen_px)
        target = out if frames is None else out.with_name(f"{out.stem}_{i:03d}{out.suffix or '.png'}")
        if not smap.any():
            print_warning(f"{target}: the map is all zero (no element inside the image?); it guides nothing")
        save_smap(check_output_file(target, "--out"), smap, bits=bits)
        console.print(
            f"wrote {target} ({smap.shape[1]}x{smap.shape[0]}, {bits}-bit) from {what}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@smap_app.command("build-assets")
def build_assets_cmd(
    check: bool = typer.Option(False, "--check", help="Only check; exit 1 if a PNG is out of date."),
    folder: Path | None = typer.Option(
        None, "--folder", help="Folder of specs (default: gazefusion/assets/smaps)."
    ),
) -> None:
    """Regenerate gazefusion/assets/smaps/*.png from their *.toml specs (512x512, 8-bit)."""
    from gazefusion.smaps import build_assets

    changed = build_assets(folder, check=check)
    for name, differs in changed.items():
        state = ("out of date" if check else "updated") if differs else "up to date"
        console.print(f"{name:24s} {state}", highlight=False, markup=False)
    if check and any(changed.values()):
        raise typer.Exit(1)


@smap_app.command("info")
def info(
    refs: list[str] = typer.Argument(..., help="Image files, spec files or built-in names."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of text."),
) -> None:
    """Size, peak (value and location), mean and mass centroid of each map."""
    from gazefusion.smaps import resolve_smap, smap_stats

    for ref in refs:
        smap, what = resolve_smap(ref)
        st = smap_stats(smap)
        if as_json:
            console.print_json(json.dumps({"ref": ref, "source": what, **st.to_dict()}))
            continue
        centroid = (
            "none (all zero)"
            if st.centroid_xy is None
            else f"({st.centroid_xy[0]:.1f}, {st.centroid_xy[1]:.1f})"
        )
        console.print(
            f"{ref}: {st.width}x{st.height}, peak {st.peak:.4f} (= {st.peak * 255:.1f}/255) at "
            f"{st.peak_xy}, min {st.min:.4f}, mean {st.mean:.4f} (= {st.mean * 255:.2f}/255), "
            f"mass centroid {centroid}  [{what}]",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


@smap_app.command("list")
def list_builtins() -> None:
    """List the built-in smaps (gazefusion/assets/smaps) with their descriptions."""
    from gazefusion.smaps import DEFAULT_SMAP, builtin_names, builtin_spec

    for name in builtin_names():
        mark = " (default)" if name == DEFAULT_SMAP else ""
        console.print(
            f"{name:20s} {builtin_spec(name).description}{mark}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    """Add ``gazefusion smap ...`` to ``app``."""
    app.add_typer(smap_app, name="smap")
