"""`gazefusion prepare`: a folder of raw images → a training dataset (crops, smaps, prompts, manifest)."""

from __future__ import annotations

from pathlib import Path

import typer

from gazefusion.cli._common import RichProgress, console, print_warning


def register(app: typer.Typer) -> None:
    """Add this module's command(s) to ``app``."""
    app.command("prepare")(prepare)


def prepare(
    images_dir: Path = typer.Argument(
        Path("data/raw-images"), help="Folder of raw images (not searched recursively)."
    ),
    out: Path = typer.Option(
        Path("data"), "--out", "-o", help="Dataset folder (images/, smaps/, manifest.parquet)."
    ),
    resolution: int = typer.Option(
        512, help="Side of the square crops, px (the shorter side is resized to it)."
    ),
    stride: int | None = typer.Option(
        None, help="Crop stride along the longer side, px [default: resolution/2]."
    ),
    image_format: str = typer.Option(
        "jpg", help="Crop file format: jpg (as the original, quality 75) or png."
    ),
    saliency_model: str = typer.Option(
        "emlnet", help="Registered saliency model (see `gazefusion saliency --help`)."
    ),
    saliency_convention: str | None = typer.Option(
        None, help="Post-processing convention [default: 'prepare' for emlnet]."
    ),
    saliency_batch_size: int = typer.Option(128, help="Crops per saliency batch."),
    captions: Path | None = typer.Option(
        None, help="Captions from a CSV (file,caption) or COCO captions JSON instead of BLIP-2."
    ),
    blip2_model: str = typer.Option(
        "Salesforce/blip2-opt-2.7b-coco", help="BLIP-2 folder or cached hub id (never downloaded)."
    ),
    caption_batch_size: int = typer.Option(128, help="Crops per BLIP-2 batch."),
    max_new_tokens: int = typer.Option(20, help="BLIP-2 caption length limit, tokens."),
    device: str | None = typer.Option(None, help="Torch device [default: cuda if available, else cpu]."),
    seed: int = typer.Option(123, help="Random seed (the original's)."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Remake a dataset folder that was prepared with other parameters."
    ),
) -> None:
    """Cut square crops, predict their saliency maps and caption them; a re-run does only what is missing.

    Spread over several GPUs/processes with `accelerate launch -m gazefusion prepare ...`.
    """
    from gazefusion.data.prepare import PrepareConfig, prepare_dataset

    cfg = PrepareConfig(
        raw_dir=images_dir,
        out_dir=out,
        resolution=resolution,
        stride=stride,
        image_format=image_format,
        saliency_model=saliency_model,
        saliency_convention=saliency_convention,
        saliency_batch_size=saliency_batch_size,
        captions=captions,
        blip2_model=blip2_model,
        caption_batch_size=caption_batch_size,
        max_new_tokens=max_new_tokens,
        seed=seed,
        device=device,
        overwrite=overwrite,
    )
    with RichProgress() as progress:
        report = prepare_dataset(cfg, progress=progress)
    if not report.main_process:
        return
    for name, message in report.corrupt:
        print_warning(f"skipped unreadable image {name}: {message}")
    if report.missing_captions:
        shown = ", ".join(report.missing_captions[:5]) + (" …" if len(report.missing_captions) > 5 else "")
        print_warning(f"no caption for {len(report.missing_captions)} crop(s): {shown}")
    console.print(
        f"{report.sources} source images: {report.new_crops} new crops ({report.dropped_dark} near-black dropped, "
        f"{len(report.corrupt)} unreadable skipped), {report.new_smaps} new smaps, {report.new_captions} new "
        f"captions; manifest: {report.manifest_rows} rows in {out / 'manifest.parquet'}",
        highlight=False,
    )
