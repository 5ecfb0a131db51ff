"""``gazefusion app``: the browser app for designing saliency guidance (Gradio, local and offline).

(The module is not called ``app.py``: a sub-module of that name would shadow the root Typer
``gazefusion.cli.app`` once imported.)
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import typer

from gazefusion.cli._common import console
from gazefusion.errors import UserInputError


def app_command(
    model: str | None = typer.Option(
        None,
        "--model",
        help="Model the page starts with: diffusers folder, cldm checkpoint, cached hub id or 'tiny' "
        "(default: $GAZEFUSION_MODEL, else the default model). Loaded on the first Generate.",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to serve on (default: this machine only)."),
    port: int | None = typer.Option(
        None, "--port", help="Port (default: Gradio's, 7860 or the next free one)."
    ),
    session: Path = typer.Option(
        Path("out/app"), "--session", help="Session folder: every generation and export is kept here."
    ),
    size: str = typer.Option("512x512", "--size", help="Starting canvas WIDTHxHEIGHT (multiples of 8)."),
    device: str | None = typer.Option(
        None, "--device", help="cuda, cuda:1, cpu (default: cuda if available)."
    ),
    dtype: str = typer.Option("auto", "--dtype", help="auto (fp16 on GPU, fp32 on CPU), fp32, fp16, bf16."),
    open_browser: bool = typer.Option(False, "--open/--no-open", help="Open the page in a browser."),
) -> None:
    """Design an smap in the browser (paint, blobs, suppression, degrees), generate, score and keep it all."""
    from gazefusion.cli.smap import parse_px_pair

    if port is not None and not 0 < port < 65536:
        raise UserInputError(f"--port: expected 1..65535, found {port}")
    width, height = parse_px_pair(size, "--size")
    from gazefusion.app.design import check_side

    check_side(width, "--size width")
    check_side(height, "--size height")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # this server's own cache of served files: two apps on one machine never serve each other's files
    os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="gazefusion-app-"))
    from gazefusion.app.ui import build_app, launch

    demo = build_app(session, model=model, device=device, dtype=dtype, width=width, height=height)
    console.print(f"session folder: {demo.session.root}", highlight=False, soft_wrap=True)
    launch(demo, host=host, port=port, open_browser=open_browser)


def register(app: typer.Typer) -> None:
    """Add ``gazefusion app``."""
    app.command("app")(app_command)
