"""``gazefusion prepare``: raw images → (image, smap, prompt) training crops + a Parquet manifest.

Three resumable stages, each doing only what is missing (by default exactly GazeFusion's
``process.py``):

1. **crop**: decode each raw image (torchvision's decoder, RGB), resize its shorter side to the
   resolution, cut square crops (:mod:`gazefusion.data.crops`), save them (JPEG at PIL's default
   quality 75, like the original, or PNG). Near-black crops (mean ≤ 1 on 0–255, measured on the
   crop as saved) are dropped. Unreadable images are skipped and reported.
2. **saliency**: a registered saliency model on each saved crop (default ``emlnet`` in its
   ``prepare`` convention), quantised like the original (``(map * 255).astype(uint8)``, i.e.
   truncated) and saved as 8-bit grey **PNG**. The original wrote these maps under the crop's
   ``.jpg`` name, i.e. JPEG-compressed; lossless PNG is a deliberate improvement.
3. **caption**: BLIP-2 or a captions table (:mod:`gazefusion.data.captions`).

Requirements first: the output folder, the device, the saliency model's weights and the captioner
(BLIP-2 weights or the captions table) are all checked before the first crop is cut.

No silent overwrite: ``.prepare-state/params.json`` records what determines the dataset
(resolution, stride, crop format, saliency model/convention/options, captioner). A run into a
folder recorded with other parameters is refused with one line naming them, unless
``overwrite=True`` (``--overwrite``: the folder's dataset is removed and made anew).

Crash safety: every file is written atomically, and a work item is recorded in its stage's journal
(:mod:`gazefusion.data.journal`) only after its files are in place. The manifest is rebuilt from
the journals at the end and lists only complete rows.

Several processes (``accelerate launch``): each takes an interleaved share of the pending items of
every stage and writes its own journal; the main process merges them into the manifest.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from gazefusion.config import Config
from gazefusion.data.captions import DEFAULT_BLIP2, Blip2Captioner, CropRef, TableCaptioner
from gazefusion.data.crops import CropResolution, cut_crops, is_dark, resized_size
from gazefusion.data.journal import JournalWriter, journal_path, read_journal
from gazefusion.data.manifest import MANIFEST_NAME, write_manifest
from gazefusion.errors import UserInputError
from gazefusion.progress import NO_PROGRESS, Progress, tracked
from gazefusion.utils.images import write_gray

STATE_DIR = ".prepare-state"
REPORT_NAME = "prepare.json"
PARAMS_NAME = "params.json"
#: Journal records are made durable in groups of this many items.
_FLUSH_EVERY = 32


class PrepareConfig(Config):
    """Options of ``gazefusion prepare``; the defaults reproduce the original ``process.py``.

    Values are checked on creation (one-line errors naming the option); what depends on the
    machine (the folders, the device) is checked by :meth:`check_requirements`.
    """

    label_style = "option"

    raw_dir: Path = Path("data/raw-images")
    out_dir: Path = Path("data")
    resolution: CropResolution = 512
    stride: int | None = Field(None, gt=0)  # default resolution // 2
    image_format: Literal["jpg", "png"] = "jpg"  # "jpg" (as the original, PIL quality 75) or "png"
    saliency_model: str = "emlnet"
    saliency_convention: str | None = None  # default "prepare" for emlnet
    saliency_options: dict[str, Any] = Field(default_factory=dict)
    saliency_batch_size: int = Field(128, gt=0)
    captions: Path | None = None  # CSV or COCO JSON; None = BLIP-2
    blip2_model: str = DEFAULT_BLIP2
    caption_batch_size: int = Field(128, gt=0)
    max_new_tokens: int = Field(20, gt=0)
    seed: int = 123
    device: str | None = None
    overwrite: bool = False

    @classmethod
    def field_label(cls, loc: Sequence[str | int]) -> str:
        """The command line's names: ``IMAGES_DIR`` (the argument), ``--out``, else ``--kebab-case``."""
        names = {"raw_dir": "IMAGES_DIR", "out_dir": "--out"}
        if loc and loc[0] in names:
            return names[str(loc[0])]
        return super().field_label(loc)

    def check_requirements(self) -> None:
        """Check what the machine must provide: the raw image folder, a writable output folder, the device."""
        if not Path(self.raw_dir).is_dir():
            raise UserInputError(f"IMAGES_DIR: raw image folder not found: {self.raw_dir}")
        from gazefusion.utils.paths import check_output_dir

        check_output_dir(self.out_dir, "--out")
        if self.device is not None:
            from gazefusion.devices import torch_device

            torch_device(self.device)

    def record(self) -> dict[str, Any]:
        """What determines the dataset's files (compared with the folder's record on a re-run)."""
        return {
            "resolution": self.resolution,
            "stride": self.stride if self.stride is not None else self.resolution // 2,
            "image_format": self.image_format,
            "saliency_model": self.saliency_model,
            "saliency_convention": self.convention,
            "saliency_options": {k: str(v) for k, v in sorted(self.saliency_options.items())},
            "captioner": captioner_name(self),
            "max_new_tokens": self.max_new_tokens if self.captions is None else None,
        }

    @property
    def convention(self) -> str:
        if self.saliency_convention is not None:
            return self.saliency_convention
        return "prepare" if self.saliency_model == "emlnet" else "default"


@dataclass
class PrepareReport:
    """What one run did: new work per stage, what was skipped and why, and the manifest size."""

    sources: int = 0
    new_crops: int = 0
    dropped_dark: int = 0
    corrupt: list[tuple[str, str]] = field(default_factory=list)
    new_smaps: int = 0
    new_captions: int = 0
    missing_captions: list[str] = field(default_factory=list)
    manifest_rows: int = 0
    main_process: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------------------------------
# Image decoding and file writing


def decode_rgb(path: str | os.PathLike):
    """Decode an image file to a uint8 (3, H, W) tensor with torchvision, as the original reads it.

    Formats torchvision cannot decode (BMP, TIFF, …) go through PIL. Raises ``ValueError`` for an
    unreadable file.
    """
    import torch
    from torchvision.io import ImageReadMode, decode_image

    p = Path(path)
    if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".gif", ".webp"):
        try:
            return decode_image(str(p), mode=ImageReadMode.RGB)
        except (RuntimeError, OSError, ValueError):
            pass  # PIL gives the clearer message (or reads what torchvision cannot)
    from gazefusion.utils.images import read_rgb

    try:
        return torch.from_numpy(read_rgb(p)).permute(2, 0, 1).contiguous()
    except UserInputError as exc:
        raise ValueError(str(exc)) from None


def encode_crop(crop: np.ndarray, image_format: str) -> bytes:
    """Encode a uint8 (H, W, 3) crop the way the original saved it (PIL, default JPEG quality)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(crop).save(buf, format="JPEG" if image_format == "jpg" else "PNG")
    return buf.getvalue()


# --------------------------------------------------------------------------------------------------
# The stages


class _Workers:
    """This process's place among the accelerate processes (a single process without accelerate)."""

    def __init__(self, device: str | None = None) -> None:
        import torch
        from accelerate import PartialState

        # cpu=True lets CPU-only processes (no GPU, or --device cpu) started by accelerate/torchrun
        # join a gloo group instead of claiming a GPU each
        self.state = PartialState(cpu=device == "cpu" or not torch.cuda.is_available())
        self.rank = self.state.process_index
        self.world = self.state.num_processes

    def barrier(self) -> None:
        self.state.wait_for_everyone()

    def share_pending(self, pending: Sequence[Any]) -> list[Any]:
        """This process's share of the ``pending`` items of a stage, once every process has listed them.

        Each process lists what a stage's journal lacks before any of them appends to the journal.
        """
        mine = list(pending[self.rank :: self.world])
        self.barrier()
        return mine


def _sources(raw_dir: Path) -> list[Path]:
    from gazefusion.utils.images import list_images

    sources = list_images(raw_dir)
    by_stem: dict[str, Path] = {}
    for p in sources:
        if p.stem in by_stem:
            raise UserInputError(
                f"IMAGES_DIR: two images share the name {p.stem!r} ({by_stem[p.stem].name}, {p.name}); "
                "crop ids are built from the name without extension, so rename one"
            )
        by_stem[p.stem] = p
    return sources


@dataclass(frozen=True)
class StageRun:
    """What every stage of one ``prepare`` run works with: the config, this process's share of
    the work (``workers``), the report it adds to, the progress callback and the model device."""

    cfg: PrepareConfig
    workers: _Workers
    report: PrepareReport
    progress: Progress = NO_PROGRESS
    device: str | None = None


def run_crop_stage(run: StageRun) -> None:
    """Cut crops of every raw image not yet in the crop journal (this process's share)."""
    cfg, workers, report, progress = run.cfg, run.workers, run.report, run.progress
    state = Path(cfg.out_dir) / STATE_DIR
    sources = _sources(Path(cfg.raw_dir))
    report.sources = len(sources)
    done = read_journal(state, "crop", "source")
    pending = workers.share_pending([p for p in sources if p.name not in done])
    image_dir = Path(cfg.out_dir) / "images"
    image_dir.mkdir(parents=True, exist_ok=True)
    from torchvision.io import decode_image

    from gazefusion.utils.atomic import atomic_write_bytes

    records: list[dict[str, Any]] = []
    with JournalWriter(journal_path(state, "crop", workers.rank)) as journal:
        for src in tracked(pending, progress, "crop"):
            try:
                image = decode_rgb(src)
            except ValueError as exc:
                report.corrupt.append((src.name, str(exc)))
                continue
            height, width = image.shape[-2:]
            crops = []
            for box, crop in cut_crops(image, cfg.resolution, cfg.stride):
                crop_id = f"{src.stem}_{box.index}"
                data = encode_crop(crop, cfg.image_format)
                saved = decode_image(_byte_tensor(data)).numpy()  # the crop as a reader will see it
                entry = {"id": crop_id, "box": list(box.box), "dropped": is_dark(saved)}
                if entry["dropped"]:
                    report.dropped_dark += 1
                else:
                    rel = f"images/{crop_id}.{cfg.image_format}"
                    atomic_write_bytes(Path(cfg.out_dir) / rel, data)
                    entry["image"] = rel
                    report.new_crops += 1
                crops.append(entry)
            resized = list(resized_size(int(width), int(height), cfg.resolution))
            records.append(
                {"source": src.name, "size": [int(width), int(height)], "resized": resized, "crops": crops}
            )
            if len(records) >= _FLUSH_EVERY:
                journal.write(records)
                records = []
        journal.write(records)


def _byte_tensor(data: bytes):
    import torch

    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def _kept_crops(state: Path) -> list[dict[str, Any]]:
    """Every crop that was saved (not dropped), with its source, sorted by id."""
    out = []
    for rec in read_journal(state, "crop", "source").values():
        for c in rec["crops"]:
            if not c["dropped"]:
                out.append({**c, "source": rec["source"], "resized": rec["resized"]})
    return sorted(out, key=lambda c: c["id"])


#: What ``prepare`` writes into its folder (``--overwrite`` removes exactly these).
_OUTPUTS = (STATE_DIR, "images", "smaps", MANIFEST_NAME, REPORT_NAME)


def _check_record(cfg: PrepareConfig) -> None:
    """Refuse a folder prepared with other parameters (or clear it with ``overwrite``); record ours."""

    from gazefusion.utils.records import check_record, remove_outputs, write_record

    out = Path(cfg.out_dir)
    record_file = out / STATE_DIR / PARAMS_NAME
    params = cfg.record()
    same = check_record(record_file, params, "--out", out, cfg.overwrite)
    if not same:
        remove_outputs(out, _OUTPUTS)
    if not record_file.is_file() or not same:
        write_record(record_file, params)


def load_saliency_model(cfg: PrepareConfig, device: str | None):
    """The configured saliency model; a missing model or missing weights is a one-line error.

    Weights are only looked for here, not loaded (models load them on their first prediction).
    """
    from gazefusion.saliency import available_saliency_models, get_saliency_model

    options = dict(cfg.saliency_options)
    if cfg.saliency_model == "emlnet":
        options.setdefault("convention", cfg.convention)
    if device is not None:
        options.setdefault("device", device)
    options.setdefault("batch_size", cfg.saliency_batch_size)
    try:
        model = get_saliency_model(cfg.saliency_model, **options)
        problem = None if model.is_available() else "its weights are missing"
    except (UserInputError, FileNotFoundError, OSError) as exc:
        problem = str(exc).splitlines()[0]
    if problem is not None:
        usable = ", ".join(available_saliency_models(usable_only=True)) or "none"
        raise UserInputError(
            f"--saliency-model {cfg.saliency_model}: cannot use it ({problem}); "
            f"choose another with --saliency-model NAME (usable here: {usable})"
        )
    return model


def run_saliency_stage(run: StageRun) -> None:
    """Predict and save the smap of every kept crop that lacks one from the configured model."""
    cfg, workers, report, progress, device = run.cfg, run.workers, run.report, run.progress, run.device
    state = Path(cfg.out_dir) / STATE_DIR
    done = read_journal(state, "saliency", "id")
    pending = workers.share_pending([c for c in _kept_crops(state) if not _smap_done(cfg, done.get(c["id"]))])
    if not pending:
        return
    from gazefusion.saliency.emlnet.conventions import as_uint8_truncated

    model = load_saliency_model(cfg, device)
    batches = [
        pending[i : i + cfg.saliency_batch_size] for i in range(0, len(pending), cfg.saliency_batch_size)
    ]
    with JournalWriter(journal_path(state, "saliency", workers.rank)) as journal:
        for batch in tracked(batches, progress, "saliency"):
            images = [decode_rgb(Path(cfg.out_dir) / c["image"]).permute(1, 2, 0).numpy() for c in batch]
            smaps = model.predict(images)
            records = []
            for c, smap in zip(batch, smaps, strict=True):
                rel = f"smaps/{c['id']}.png"
                write_gray(Path(cfg.out_dir) / rel, as_uint8_truncated(smap))
                records.append(
                    {"id": c["id"], "smap": rel, "model": cfg.saliency_model, "convention": cfg.convention}
                )
            journal.write(records)
            report.new_smaps += len(records)


def _smap_done(cfg: PrepareConfig, rec: dict[str, Any] | None) -> bool:
    return (
        rec is not None
        and rec["model"] == cfg.saliency_model
        and rec["convention"] == cfg.convention
        and (Path(cfg.out_dir) / rec["smap"]).is_file()
    )


def make_captioner(cfg: PrepareConfig, device: str | None = None):
    if cfg.captions is not None:
        return TableCaptioner.from_file(cfg.captions)
    return Blip2Captioner(
        cfg.blip2_model, device=device, batch_size=cfg.caption_batch_size, max_new_tokens=cfg.max_new_tokens
    )


def captioner_name(cfg: PrepareConfig) -> str:
    if cfg.captions is not None:
        return TableCaptioner.from_file(cfg.captions).name
    return f"blip2:{cfg.blip2_model}"


def run_caption_stage(run: StageRun) -> None:
    """Caption every kept crop that lacks a caption from the configured captioner."""
    cfg, workers, report, progress, device = run.cfg, run.workers, run.report, run.progress, run.device
    state = Path(cfg.out_dir) / STATE_DIR
    name = captioner_name(cfg)
    done = read_journal(state, "caption", "id")
    pending = workers.share_pending(
        [c for c in _kept_crops(state) if done.get(c["id"], {}).get("captioner") != name]
    )
    if not pending:
        return
    captioner = make_captioner(cfg, device)
    size = captioner.batch_size
    batches = [pending[i : i + size] for i in range(0, len(pending), size)]
    with JournalWriter(journal_path(state, "caption", workers.rank)) as journal:
        for batch in tracked(batches, progress, "caption"):
            refs = [CropRef(c["id"], Path(cfg.out_dir) / c["image"], c["source"]) for c in batch]
            records = []
            for c, prompt in zip(batch, captioner(refs), strict=True):
                if prompt is None:
                    report.missing_captions.append(c["id"])
                    continue
                records.append({"id": c["id"], "prompt": prompt, "captioner": name})
            journal.write(records)
            report.new_captions += len(records)


def build_manifest(cfg: PrepareConfig) -> int:
    """Rewrite the manifest from the journals: complete rows only. Returns the number of rows."""
    out = Path(cfg.out_dir)
    state = out / STATE_DIR
    smaps = read_journal(state, "saliency", "id")
    captions = read_journal(state, "caption", "id")
    name = captioner_name(cfg)
    rows = []
    for c in _kept_crops(state):
        s, p = smaps.get(c["id"]), captions.get(c["id"])
        if not _smap_done(cfg, s) or p is None or p["captioner"] != name or not (out / c["image"]).is_file():
            continue
        left, top, right, bottom = c["box"]
        rows.append(
            {
                "id": c["id"],
                "source": c["source"],
                "box_left": left,
                "box_top": top,
                "box_right": right,
                "box_bottom": bottom,
                "resized_width": c["resized"][0],
                "resized_height": c["resized"][1],
                "image": c["image"],
                "smap": s["smap"],
                "prompt": p["prompt"],
                "saliency_model": s["model"],
                "saliency_convention": s["convention"],
                "captioner": name,
            }
        )
    write_manifest(out / MANIFEST_NAME, rows)
    return len(rows)


def _merge_reports(report: PrepareReport, workers: _Workers) -> PrepareReport:
    """The sum of every process's report (each counted its own share of the work)."""
    from accelerate.utils import gather_object

    parts = gather_object([report.to_dict()])
    merged = PrepareReport(sources=report.sources, main_process=report.main_process)
    for part in parts:
        for name in ("new_crops", "dropped_dark", "new_smaps", "new_captions"):
            setattr(merged, name, getattr(merged, name) + part[name])
        merged.corrupt += [tuple(c) for c in part["corrupt"]]
        merged.missing_captions += part["missing_captions"]
    return merged


def prepare_dataset(cfg: PrepareConfig, progress: Progress = NO_PROGRESS) -> PrepareReport:
    """Run the three stages (each only on what is missing) and rebuild the manifest.

    Works in a single process or under ``accelerate launch`` (the report sums every process's work).
    ``progress`` gets, on every process for its share, ``crop`` (raw images), then ``saliency`` and
    ``caption`` (batches of crops) when they have work.
    """
    import torch

    from gazefusion.saliency.registry import canonical_name
    from gazefusion.utils.atomic import atomic_write_json

    cfg.check_requirements()
    cfg = cfg.replace(saliency_model=canonical_name(cfg.saliency_model))  # one spelling on record
    # every requirement before the first crop: captioner, saliency weights, earlier parameters
    if cfg.captions is not None:
        TableCaptioner.from_file(cfg.captions)  # fail early on a bad captions file
    else:
        from gazefusion.data.captions import check_blip2_local

        check_blip2_local(cfg.blip2_model)
    torch.manual_seed(cfg.seed)
    workers = _Workers(cfg.device)
    device = cfg.device or str(workers.state.device)  # this process's GPU under accelerate launch
    load_saliency_model(cfg, device)  # weights present? (not loaded yet)
    if workers.state.is_main_process:
        _check_record(cfg)
    workers.barrier()
    report = PrepareReport(main_process=workers.state.is_main_process)
    run = StageRun(cfg, workers, report, progress, device)
    run_crop_stage(run)
    workers.barrier()
    run_saliency_stage(run)
    run_caption_stage(run)
    workers.barrier()
    if workers.world > 1:
        report = _merge_reports(report, workers)
    if workers.state.is_main_process:
        report.manifest_rows = build_manifest(cfg)
        atomic_write_json(
            Path(cfg.out_dir) / REPORT_NAME, {"config": cfg.to_json(), "last_run": report.to_dict()}
        )
    workers.barrier()
    return report
