"""`gazefusion convert`: original cldm checkpoint ↔ diffusers folder."""

from __future__ import annotations

from pathlib import Path

import typer

from gazefusion.cli._common import RichProgress, console


def convert(
    source: Path = typer.Argument(
        ...,
        metavar="SOURCE",
        help="A cldm checkpoint (.ckpt/.pth/.safetensors), or with --to-cldm a diffusers folder.",
    ),
    out: Path = typer.Argument(
        ...,
        metavar="OUT",
        help="The diffusers folder to write, or with --to-cldm the .ckpt/.safetensors file.",
    ),
    to_cldm: bool = typer.Option(
        False, "--to-cldm", help="Write a diffusers folder back as an original cldm checkpoint."
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        help="diffusers config folder matching the checkpoint (default: picked from the shipped ones).",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace OUT if it exists."),
) -> None:
    """Convert an original GazeFusion/ControlNet checkpoint to a diffusers folder, or back.

    CHECKPOINT → OUT_DIR uses diffusers' own single-file conversion (offline, shipped SD2.1-base
    configs) and writes safetensors plus cldm_extras.safetensors, which lets --to-cldm write every
    original key back byte for byte.
    """
    from gazefusion.errors import UserInputError
    from gazefusion.models.cldm import cldm_to_diffusers, diffusers_to_cldm

    if not source.exists():
        raise UserInputError(
            f"SOURCE: expected {'a diffusers folder' if to_cldm else 'a checkpoint file'}, found no {source}"
        )
    if to_cldm:
        if out.exists() and not overwrite:
            raise UserInputError(f"OUT: expected a new file, found existing {out} (use --overwrite)")
        with RichProgress() as progress:
            diffusers_to_cldm(source, out, progress=progress)
        console.print(f"wrote {out}")
        return

    with RichProgress() as progress:
        cldm_to_diffusers(source, out, config_dir=config, overwrite=overwrite, progress=progress)
    console.print(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add ``convert`` to ``app``."""
    app.command("convert")(convert)
