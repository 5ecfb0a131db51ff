"""``gazefusion toy build``: the paper's recipe at small scale, every stage resumable.

Stages, in order, each in its own folder under ``WORK`` (default ``OUT/.build``):

1. ``scenes``   — :mod:`gazefusion.data.synthetic` scenes as PNG + ``captions.csv`` (file,caption).
2. ``data``     — ``gazefusion prepare`` of those scenes: crops at the recipe's size, smaps from a
   classical saliency model (default spectral residual), captions from the table.
3. ``vae``      — an ``AutoencoderKL`` trained on the crops (L1 + small KL, as LDM's first stage).
4. ``latents``  — every crop encoded once (posterior mean and std); the scaling factor is 1/std of
   the latents, as SD's 0.18215 was chosen.
5. ``base``     — ``UNet2DConditionModel`` + ``CLIPTextModel`` trained together as a text-to-image
   latent diffusion model (ε-prediction, the SD2.1-base noise schedule, 10 % empty prompts for
   classifier-free guidance, EMA weights); written as a diffusers ``StableDiffusionPipeline`` folder.
6. ``controlnet`` — ``gazefusion train`` of a ControlNet copied from that UNet, base locked, on the
   prepared (image, smap, prompt) triples — the same code path as for the real model.
7. ``export``   — the trained pipeline folder copied to ``OUT`` with the recipe and the loss curves.
8. ``ship``     — its weights stored as float16 safetensors (half the bytes, so the package carries
   them; loading casts them back to float32, and every number in the model card is measured on
   these files).

A stage whose result exists is skipped; a killed stage resumes from its last checkpoint
(:mod:`gazefusion.toy.trainer` for stages 3 and 5, ``--resume-from-checkpoint latest`` for 6).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.progress import NO_PROGRESS, Progress, tracked
from gazefusion.toy.recipe import ToyRecipe
from gazefusion.toy.trainer import Stage, run_stage
from gazefusion.utils.atomic import atomic_path, atomic_write_json, atomic_write_text

RECIPE_FILE = "recipe.json"
TIMES_FILE = "stage_times.json"
LOSSES_FILE = "losses.json"
STAGES = ("scenes", "data", "vae", "latents", "base", "controlnet", "export", "ship")
"""The build's stages, in order (``--until`` takes one of them)."""


def _done_marker(folder: Path) -> Path:
    return folder / ".done"


def _mark_done(folder: Path, info: dict | None = None) -> None:
    atomic_write_json(_done_marker(folder), info or {})


def _is_done(folder: Path) -> bool:
    return _done_marker(folder).is_file()


class ToyBuild:
    """One build: ``recipe`` into ``out`` (the model folder), intermediate work under ``work``.

    ``progress`` gets the tasks of the stages that run: ``scenes`` (scenes), ``crop``,
    ``saliency`` and ``caption`` (:func:`~gazefusion.data.prepare.prepare_dataset`),
    ``autoencoder`` and ``base model`` (updates, :func:`~gazefusion.toy.trainer.run_stage`),
    ``encode latents`` (batches of 64 crops) and ``train ControlNet`` (updates,
    :func:`~gazefusion.training.loop.train`).
    """

    def __init__(
        self,
        recipe: ToyRecipe,
        out: str | os.PathLike,
        work: str | os.PathLike | None = None,
        progress: Progress = NO_PROGRESS,
        log: Callable[[str], None] = print,
    ) -> None:
        self.recipe = recipe
        self.out = Path(out)
        self.work = Path(work) if work is not None else self.out.with_name(self.out.name + ".build")
        self.progress = progress
        self.log = log

    # -- bookkeeping -------------------------------------------------------------------------
    def _check_recipe(self) -> None:
        """A work folder holds one recipe: resuming with another one is refused."""
        self.work.mkdir(parents=True, exist_ok=True)
        path = self.work / RECIPE_FILE
        current = json.dumps(self.recipe.identity(), indent=2, sort_keys=True)
        if path.is_file() and path.read_text() != current:
            old = json.loads(path.read_text())
            new = json.loads(current)
            diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            raise UserInputError(
                f"toy build: {self.work} holds a build with another recipe (differs in {', '.join(diff)}); "
                "give another --work folder or delete it"
            )
        atomic_write_text(path, current)

    def _record_time(self, stage: str, seconds: float) -> None:
        path = self.work / TIMES_FILE
        times = json.loads(path.read_text()) if path.is_file() else {}
        times[stage] = round(times.get(stage, 0.0) + seconds, 1)
        atomic_write_json(path, times)

    def stage_times(self) -> dict[str, float]:
        path = self.work / TIMES_FILE
        return json.loads(path.read_text()) if path.is_file() else {}

    def run(self, until: str | None = None) -> Path:
        """Run every stage not yet done (up to and including ``until``); returns the model folder."""
        import torch

        self._check_recipe()
        torch.set_num_threads(self.recipe.threads)
        for name in STAGES:
            folder = self.work / name
            if _is_done(folder):
                self.log(f"{name}: done")
            else:
                start = time.perf_counter()
                getattr(self, f"_stage_{name}")(folder)
                self._record_time(name, time.perf_counter() - start)
            if name == until:
                break
        return self.out

    # -- 1. scenes ------------------------------------------------------------------------------
    def _stage_scenes(self, folder: Path) -> None:
        from PIL import Image

        from gazefusion.data.synthetic import make_scene

        r = self.recipe
        raw = folder / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        rows = []
        for k in tracked(range(r.n_scenes), self.progress, "scenes"):
            scene = make_scene(r.seed, k, r.size)
            name = f"scene_{k:05d}.png"
            rows.append((name, scene.caption))
            if not (raw / name).is_file():
                with atomic_path(raw / name) as tmp:
                    Image.fromarray(scene.image).save(tmp)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["file", "caption"])
        writer.writerows(rows)
        atomic_write_text(folder / "captions.csv", buffer.getvalue())
        _mark_done(folder, {"scenes": len(rows)})

    # -- 2. prepare -----------------------------------------------------------------------------
    def _stage_data(self, folder: Path) -> None:
        from gazefusion.data.prepare import PrepareConfig, prepare_dataset

        r = self.recipe
        scenes = self.work / "scenes"
        cfg = PrepareConfig(
            raw_dir=scenes / "raw",
            out_dir=folder,
            resolution=r.size,
            image_format="png",
            saliency_model=r.saliency_model,
            saliency_options=dict(r.saliency_options),
            captions=scenes / "captions.csv",
            seed=r.seed,
            device="cpu",
        )
        report = prepare_dataset(cfg, progress=self.progress)
        if report.manifest_rows < r.n_scenes * 0.9:
            raise UserInputError(
                f"toy build: prepare kept {report.manifest_rows} of {r.n_scenes} scenes (expected nearly all)"
            )
        _mark_done(folder, {"examples": report.manifest_rows})

    def _examples(self):
        from gazefusion.data.dataset import load_examples

        return load_examples(self.work / "data")

    def _images(self):
        """All prepared crops as a float32 tensor (N, 3, S, S) in [-1, 1], and their prompts."""
        import torch

        from gazefusion.utils.images import read_rgb

        examples = self._examples()
        stack = np.stack([read_rgb(e.image) for e in examples]).transpose(0, 3, 1, 2)
        images = torch.from_numpy(stack.astype(np.float32) / 127.5 - 1.0)
        return images, [e.prompt for e in examples]

    # -- 3. autoencoder -------------------------------------------------------------------------
    def _stage_vae(self, folder: Path) -> None:
        import torch
        from diffusers.optimization import get_scheduler

        from gazefusion.toy.components import build_vae
        from gazefusion.training.step import micro_step_seed

        r = self.recipe
        images, _ = self._images()
        vae = build_vae(r, r.seed + 10).train()
        params = list(vae.parameters())
        optimizer = torch.optim.AdamW(params, lr=r.vae_lr, weight_decay=0.0)
        schedule = get_scheduler(
            "cosine", optimizer, num_warmup_steps=min(50, r.vae_steps // 10), num_training_steps=r.vae_steps
        )
        stage = Stage(
            "autoencoder", folder, {"vae": vae}, optimizer, schedule, r.vae_steps, r.checkpoint_every
        )

        def update(k: int):
            g = torch.Generator().manual_seed(micro_step_seed(r.seed, 1, k))
            x = images[torch.randint(0, len(images), (r.vae_batch,), generator=g)]
            posterior = vae.encode(x).latent_dist
            recon = vae.decode(posterior.sample(generator=g)).sample
            return (recon - x).abs().mean() + r.vae_kl_weight * posterior.kl().mean()

        losses = run_stage(stage, update, params, self.progress)
        self._save_losses("autoencoder", losses)
        vae.eval()
        self._save_pretrained(vae, folder / "model")
        _mark_done(folder, {"final_loss": float(np.mean(losses[-50:]))})

    def _save_pretrained(self, module, target: Path) -> None:
        partial = target.with_name(f".{target.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        module.save_pretrained(partial, safe_serialization=True)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(partial, target)

    def _save_losses(self, stage: str, losses: list[float]) -> None:
        path = self.work / LOSSES_FILE
        all_losses = json.loads(path.read_text()) if path.is_file() else {}
        all_losses[stage] = losses
        atomic_write_text(path, json.dumps(all_losses))

    # -- 4. latents -----------------------------------------------------------------------------
    def _stage_latents(self, folder: Path) -> None:
        import torch
        from diffusers import AutoencoderKL

        images, prompts = self._images()
        vae = AutoencoderKL.from_pretrained(self.work / "vae" / "model").eval()
        means, stds = [], []
        with torch.no_grad():
            for start in tracked(range(0, len(images), 64), self.progress, "encode latents"):
                dist = vae.encode(images[start : start + 64]).latent_dist
                means.append(dist.mean)
                stds.append(dist.std)
        mean, std = torch.cat(means), torch.cat(stds)
        scaling = float(1.0 / torch.sqrt(mean.var() + (std**2).mean()))
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / "latents.pt") as tmp:
            torch.save({"mean": mean, "std": std, "prompts": prompts, "scaling_factor": scaling}, tmp)
        _mark_done(folder, {"scaling_factor": scaling, "shape": list(mean.shape)})

    # -- 5. base text-to-image model -----------------------------------------------------------
    def _stage_base(self, folder: Path) -> None:
        import torch
        from diffusers import AutoencoderKL, StableDiffusionPipeline
        from diffusers.optimization import get_scheduler
        from diffusers.training_utils import EMAModel

        from gazefusion.models.tokenizer import build_tokenizer
        from gazefusion.toy.components import build_text_encoder, build_unet, ddim_scheduler, ddpm_scheduler
        from gazefusion.training.step import micro_step_seed, tokenize

        r = self.recipe
        data = torch.load(self.work / "latents" / "latents.pt", weights_only=True)
        mean, std, scaling = data["mean"], data["std"], data["scaling_factor"]
        tokenizer = build_tokenizer()
        ids = tokenize(tokenizer, data["prompts"])
        empty = tokenize(tokenizer, [""])[0]
        unet = build_unet(r, r.seed + 20).train()
        text = build_text_encoder(r, r.seed + 30).train()
        params = list(unet.parameters()) + list(text.parameters())
        optimizer = torch.optim.AdamW(params, lr=r.base_lr, weight_decay=1e-2)
        schedule = get_scheduler(
            "cosine", optimizer, num_warmup_steps=r.base_warmup, num_training_steps=r.base_steps
        )
        ema = EMAModel(params, decay=r.ema_decay, use_ema_warmup=True)
        noise_scheduler = ddpm_scheduler()
        stage = Stage(
            "base model",
            folder,
            {"unet": unet, "text_encoder": text},
            optimizer,
            schedule,
            r.base_steps,
            r.checkpoint_every,
            ema=ema,
        )

        def update(k: int):
            g = torch.Generator().manual_seed(micro_step_seed(r.seed, 2, k))
            idx = torch.randint(0, len(mean), (r.base_batch,), generator=g)
            latents = (mean[idx] + std[idx] * torch.randn(mean[idx].shape, generator=g)) * scaling
            noise = torch.randn(latents.shape, generator=g)
            t = torch.randint(0, noise_scheduler.config.num_train_timesteps, (r.base_batch,), generator=g)
            noisy = noise_scheduler.add_noise(latents, noise, t)
            batch_ids = ids[idx]
            drop = torch.rand(r.base_batch, generator=g) < r.base_prompt_dropout
            batch_ids = torch.where(drop[:, None], empty[None], batch_ids)
            hidden = text(batch_ids, return_dict=False)[0]
            pred = unet(noisy, t, encoder_hidden_states=hidden, return_dict=False)[0]
            return torch.nn.functional.mse_loss(pred, noise)

        losses = run_stage(stage, update, params, self.progress)
        self._save_losses("base", losses)
        ema.copy_to(params)
        vae = AutoencoderKL.from_pretrained(self.work / "vae" / "model")
        vae.register_to_config(scaling_factor=scaling)
        pipe = StableDiffusionPipeline(
            vae=vae,
            text_encoder=text.eval(),
            tokenizer=tokenizer,
            unet=unet.eval(),
            scheduler=ddim_scheduler(),
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )
        self._save_pretrained(pipe, folder / "model")
        _mark_done(folder, {"final_loss": float(np.mean(losses[-100:]))})

    # -- 6. ControlNet: gazefusion train ------------------------------------------------------
    def train_argv(self) -> list[str]:
        """The ``gazefusion train`` arguments of the ControlNet stage (also shown in the model card)."""
        r = self.recipe
        return [
            "--data", str(self.work / "data"),
            "--output-dir", str(self.work / "controlnet"),
            "--model", str(self.work / "base" / "model"),
            "--resolution", str(r.size),
            "--train-batch-size", str(r.controlnet_batch),
            "--max-train-steps", str(r.controlnet_steps),
            "--learning-rate", str(r.controlnet_lr),
            "--proportion-empty-prompts", str(r.controlnet_proportion_empty_prompts),
            "--checkpointing-steps", str(r.checkpoint_every),
            "--checkpoints-total-limit", "1",
            "--resume-from-checkpoint", "latest",
            "--validation-steps", "0",
            "--dataloader-num-workers", "0",
            "--report-to", "none",
            "--seed", str(r.seed),
        ]  # fmt: skip

    def _stage_controlnet(self, folder: Path) -> None:
        from gazefusion.training.config import parse_args
        from gazefusion.training.loop import train

        cfg = parse_args(self.train_argv())
        result = train(cfg, progress=self.progress)
        previous = (
            json.loads((self.work / LOSSES_FILE).read_text()).get("controlnet", [])
            if (self.work / LOSSES_FILE).is_file()
            else []
        )
        self._save_losses("controlnet", previous[: result.first_step] + result.losses)
        _mark_done(folder, {"global_step": result.global_step})

    # -- 7. export ------------------------------------------------------------------------------
    def _stage_export(self, folder: Path) -> None:
        """The trained pipeline folder (fp32 safetensors) + recipe + losses, written as a whole to ``out``."""
        source = self.work / "controlnet" / "export" / "diffusers"
        partial = self.out.with_name(f".{self.out.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(source, partial)
        shutil.copy2(self.work / RECIPE_FILE, partial / RECIPE_FILE)
        shutil.copy2(self.work / LOSSES_FILE, partial / LOSSES_FILE)
        shutil.rmtree(self.out, ignore_errors=True)
        os.replace(partial, self.out)
        _mark_done(folder, {"model": str(self.out)})

    # -- 8. ship --------------------------------------------------------------------------------
    def _stage_ship(self, folder: Path) -> None:
        from safetensors.torch import load_file, save_file

        for path in sorted(self.out.rglob("*.safetensors")):
            tensors = load_file(path)
            halved = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
            with atomic_path(path) as tmp:
                save_file(halved, tmp, metadata={"format": "pt"})
        _mark_done(folder, {"dtype": "float16"})
