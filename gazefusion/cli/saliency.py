"""`gazefusion saliency`: predict saliency maps for a folder of images with any registered model."""

from __future__ import annotations

import ast
from pathlib import Path

import typer

from gazefusion.cli._common import RichProgress, console, error_console, print_warning
from gazefusion.errors import UserInputError
from gazefusion.progress import NO_PROGRESS, Progress

FORMATS = ("png", "npy")


def register(app: typer.Typer) -> None:
    """Add this module's command(s) to ``app``."""
    app.command("saliency")(saliency)


def saliency(
    images_dir: Path | None = typer.Argument(
        None, metavar="IMAGES_DIR", help="Folder of images (PNG, JPEG, …); not recursive."
    ),
    model: str = typer.Option("emlnet", "--model", "-m", help="Registered saliency model (see --list)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Output folder (default: IMAGES_DIR-smaps-MODEL beside IMAGES_DIR)."
    ),
    device: str = typer.Option(
        "cpu", "--device", help="Torch device for models that use one (cpu, cuda, cuda:1…)."
    ),
    batch_size: int | None = typer.Option(
        None, "--batch-size", min=1, help="Images per batch (default: the model's)."
    ),
    fmt: str = typer.Option(
        "png", "--format", help="png: 8-bit grey (value·255 rounded); npy: float32 in [0, 1], unquantised."
    ),
    model_args: list[str] = typer.Option(
        [],
        "--model-arg",
        help="Extra model option KEY=VALUE, repeatable (e.g. convention=prepare, weights_dir=DIR).",
    ),
    list_models: bool = typer.Option(
        False, "--list", help="List the registered models and whether they can run here."
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace maps in the output folder made by another model or options."
    ),
) -> None:
    """Predict a saliency map for every image of IMAGES_DIR, named like the image.

    Resumable: images whose map already exists are skipped. Unreadable images are skipped and listed.
    The output folder's saliency.json records the model and options; a run with others is refused
    (unless --overwrite), so maps of two models never mix. Every requirement (model weights,
    output folder, device) is checked before the first image.
    """
    from gazefusion import saliency as registry

    if list_models:
        _print_models(registry)
        return
    if images_dir is None:
        raise UserInputError("IMAGES_DIR is required (or pass --list to see the models)")
    if fmt not in FORMATS:
        raise UserInputError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    from gazefusion.devices import torch_device
    from gazefusion.utils.paths import check_output_dir

    kwargs = dict(_parse_model_arg(a) for a in model_args)
    torch_device(device)
    smap_model = registry.get_saliency_model(model, device=device, batch_size=batch_size, **kwargs)
    _check_usable(registry, smap_model, model)
    out_dir = output if output is not None else images_dir.parent / f"{images_dir.name}-smaps-{model}"
    check_output_dir(out_dir, "--output")
    params = {
        "model": smap_model.name,
        "format": fmt,
        "options": {k: str(v) for k, v in sorted(kwargs.items())},
    }
    with RichProgress() as progress:
        written, unreadable, skipped = run_folder(
            smap_model, images_dir, out_dir, fmt, params, overwrite, progress=progress
        )
    console.print(
        f"{written} map(s) written to {out_dir}, {skipped} already there", highlight=False, soft_wrap=True
    )
    if unreadable:
        print_warning(f"{len(unreadable)} unreadable image(s) skipped:")
        for path in unreadable:
            error_console.print(f"  {path}", highlight=False, soft_wrap=True)


#: The record of what made the maps of an output folder.
RECORD_NAME = "saliency.json"


def _check_usable(registry, smap_model, name: str) -> None:
    """A model that cannot run here (weights or libraries missing) fails before any image is read."""
    if smap_model.is_available():
        return
    usable = ", ".join(registry.available_saliency_models(usable_only=True)) or "none"
    load = getattr(smap_model, "load", None)
    if load is not None:  # the model's own message names the missing files
        try:
            load()
        except UserInputError as exc:
            raise UserInputError(f"--model {name}: {exc}; usable models here: {usable}") from None
    raise UserInputError(
        f"--model {name}: cannot run here (its weights or libraries are missing); usable models here: {usable}"
    )


def run_folder(
    model,
    images_dir: Path,
    out_dir: Path,
    fmt: str = "png",
    params: dict | None = None,
    overwrite: bool = False,
    progress: Progress = NO_PROGRESS,
) -> tuple[int, list[Path], int]:
    """Write one map per image of ``images_dir`` into ``out_dir``; return (written, unreadable, skipped).

    ``params`` (what determines the maps) are recorded in ``out_dir/saliency.json``; a folder
    recorded with other params is refused unless ``overwrite`` (then every map is predicted again).
    ``progress`` gets ``saliency (MODEL)``: the images to do (unreadable ones included).
    """
    from gazefusion.errors import UserInputError
    from gazefusion.utils.images import IMAGE_EXTENSIONS, list_images, read_rgb
    from gazefusion.utils.records import check_record, write_record

    images = list_images(images_dir)
    if not images:
        raise UserInputError(
            f"IMAGES_DIR: no images ({', '.join(IMAGE_EXTENSIONS)}) directly in {images_dir} (sub-folders are not searched)"
        )
    targets = {img: out_dir / f"{img.stem}.{fmt}" for img in images}
    _check_unique_names(targets)
    params = params if params is not None else {"model": model.name, "format": fmt}
    same = check_record(out_dir / RECORD_NAME, params, "--output", out_dir, overwrite)
    todo = [img for img in images if not same or not targets[img].exists()]
    if not same or not (out_dir / RECORD_NAME).is_file():
        write_record(out_dir / RECORD_NAME, params)
    written, unreadable = 0, []
    task = f"saliency ({model.name})"
    progress(task, 0, len(todo))
    for start in range(0, len(todo), model.batch_size):
        paths, arrays = [], []
        for path in todo[start : start + model.batch_size]:
            try:
                arrays.append(read_rgb(path))
                paths.append(path)
            except UserInputError:
                unreadable.append(path)
                progress(task, written + len(unreadable), len(todo))
        for path, smap in zip(paths, model.predict(arrays) if arrays else [], strict=True):
            _write_map(targets[path], smap, fmt)
            written += 1
            progress(task, written + len(unreadable), len(todo))
    return written, unreadable, len(images) - len(todo)


def _write_map(path: Path, smap, fmt: str) -> None:
    import numpy as np

    from gazefusion.utils.atomic import atomic_path
    from gazefusion.utils.images import write_gray

    if fmt == "png":
        write_gray(path, smap)
        return
    with atomic_path(path, suffix=".npy") as tmp, open(tmp, "wb") as fh:
        np.save(fh, np.asarray(smap, dtype=np.float32), allow_pickle=False)


def _check_unique_names(targets: dict[Path, Path]) -> None:
    seen: dict[Path, Path] = {}
    for image, target in targets.items():
        if target in seen:
            raise UserInputError(
                f"IMAGES_DIR holds two images with the same name stem: {seen[target].name} and "
                f"{image.name} (both would be written to {target.name})"
            )
        seen[target] = image


def _parse_model_arg(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip().isidentifier():
        raise UserInputError(f"--model-arg must be KEY=VALUE with KEY a Python identifier, got {text!r}")
    try:
        parsed: object = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        parsed = value  # a plain string such as a path or a convention name
    return key.strip(), parsed


def _print_models(registry) -> None:
    from rich.table import Table
    from rich.text import Text

    table = Table("model", "usable here", "needs weights", "description")
    for name in registry.available_saliency_models(usable_only=False):
        model = registry.get_saliency_model(name)
        doc = (type(model).__doc__ or "").strip().splitlines()
        usable = (
            Text("yes", style="green")
            if model.is_available()
            else Text.assemble(("no", "red"), " (weights or library missing)")
        )
        table.add_row(
            name, usable, "yes" if model.needs_weights else "no", doc[0].replace("``", "") if doc else ""
        )
    console.print(table)
