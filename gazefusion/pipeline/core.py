"""`GazeFusionPipeline`: saliency-guided Stable Diffusion 2.1-base generation on diffusers.

The pipeline composes diffusers' ``StableDiffusionControlNetPipeline`` (its sampler is used as is)
and adds what the original GazeFusion ``generate.py`` did around it:

- defaults of the original: DDIM, 50 steps (``steps_offset=1``, "leading" spacing: timesteps
  981, 961, ..., 1), eta 0, classifier-free guidance 9.0 with the empty prompt as the
  unconditional prompt, ControlNet strength 1.0 on all 13 control outputs, no guess mode (the
  unconditional branch keeps the smap), no negative or added prompt, output size = smap size;
- the hint fed exactly as the original fed it (see :mod:`gazefusion.pipeline.hint`): the smap
  (a file only divided by 255) replicated to 3 channels, float in [0, 1], at image resolution;
- determinism per seed: sample ``j`` of a request with seed ``s`` uses its own CPU
  ``torch.Generator`` seeded ``s + j``, so an image does not depend on batching or device.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.pipeline.hint import EmptySmapWarning, fit_smap, smaps_to_hint
from gazefusion.pipeline.provenance import file_sha256
from gazefusion.pipeline.sampling import SamplingParams, sampling_from
from gazefusion.progress import NO_PROGRESS, Progress

SmapInput = Any  # np.ndarray (H, W) float32 in [0, 1], or a file / spec / built-in name (str, Path)

#: Defaults of the original GazeFusion generate.py (PAPER.md §4).
DEFAULT_PROMPT = "a sailboat on the sea"
DEFAULT_SEED = 123
DEFAULT_NUM_SAMPLES = 2

#: Progress task: images finished.
IMAGES = "images"
#: Progress task: denoising steps, one per step of each batch (a batch of several images counts once).
DENOISING = "denoising"


@dataclass
class GazeFusionOutput:
    """Generated images and what made them; all lists are per image, in request order.

    ``images`` are uint8 (H, W, 3) RGB; ``smaps`` the float32 (H, W) maps fed as hints (after any
    resize); ``blends`` the 50/50 JET overlays of image and smap (only when asked for);
    ``params`` the settings shared by all images (model and weight hash included).
    """

    images: list[np.ndarray]
    prompts: list[str]
    seeds: list[int]
    smaps: list[np.ndarray]
    params: dict[str, Any]
    smap_sources: list[str] = field(default_factory=list)
    blends: list[np.ndarray] | None = None


@dataclass(frozen=True)
class Job:
    """One image to generate: prompt, hint map (already at output size) and seed."""

    prompt: str
    smap: np.ndarray
    seed: int
    smap_source: str = "array"
    smap_file_sha256: str | None = None
    item: int = 0


def resolve_device_dtype(device: str | None = None, dtype: str | None = None):
    """Pick ``(torch.device, torch.dtype)``: CUDA + fp16 if available, else CPU + fp32.

    ``dtype`` is one of "auto", "fp32"/"float32", "fp16"/"float16", "bf16"/"bfloat16".
    fp16 on CPU is refused (many CPU kernels lack it); use fp32 or bf16 there.
    """
    import torch

    from gazefusion.devices import torch_device

    dev = torch_device(device) if device is not None else None
    dev = dev or torch.device("cuda" if torch.cuda.is_available() else "cpu")
    names = {
        "fp32": torch.float32,
        "float32": torch.float32,
        "fp16": torch.float16,
        "float16": torch.float16,
        "bf16": torch.bfloat16,
        "bfloat16": torch.bfloat16,
    }
    if dtype in (None, "auto"):
        return dev, (torch.float16 if dev.type == "cuda" else torch.float32)
    if isinstance(dtype, torch.dtype):
        dt = dtype
    elif str(dtype).lower() in names:
        dt = names[str(dtype).lower()]
    else:
        raise UserInputError(f"--dtype: expected one of auto, {', '.join(names)}; found {dtype!r}")
    if dev.type == "cpu" and dt == torch.float16:
        raise UserInputError("--dtype: fp16 needs a GPU; on CPU use fp32 (default) or bf16")
    return dev, dt


def resolve_smap_input(smap: SmapInput, name: str = "smap") -> tuple[np.ndarray, str]:
    """An smap argument as ``(float32 (H, W) array in [0, 1], description of its source)``.

    Arrays are validated (finite, in [0, 1]); references go through
    :func:`gazefusion.smaps.resolve_smap` (file, spec file or built-in name).
    """
    from gazefusion import smaps

    if isinstance(smap, np.ndarray):
        array = smaps.validate_smap(smap, name=name)
        return array, f"array ({array.shape[1]}x{array.shape[0]})"
    if isinstance(smap, str | os.PathLike):
        return smaps.resolve_smap(smap)
    raise UserInputError(f"{name}: expected an array (H, W) or a file/spec/name, found {type(smap).__name__}")


def check_finite(**values: float) -> None:
    """Refuse NaN and infinite sampling parameters (they make black images): one-line error per name."""
    import math

    for name, value in values.items():
        try:
            ok = math.isfinite(float(value))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise UserInputError(f"{name}: expected a finite number, found {value!r}")


def seeds_for(seed: int | Sequence[int], num_samples: int | None) -> list[int]:
    """The seeds of one item's samples: ``seed, seed+1, ...`` for an int, or the list as given."""
    if isinstance(seed, int | np.integer):
        n = DEFAULT_NUM_SAMPLES if num_samples is None else num_samples
        if n < 1:
            raise UserInputError(f"num_samples: expected >= 1, found {n}")
        return [int(seed) + j for j in range(n)]
    seeds = [int(s) for s in seed]
    if not seeds:
        raise UserInputError("seed: expected an int or a non-empty list of ints, found an empty list")
    if num_samples is not None and num_samples != len(seeds):
        raise UserInputError(f"num_samples: {num_samples} does not match the {len(seeds)} seeds given")
    return seeds


def broadcast_items(
    prompts: str | Sequence[str], smaps: SmapInput | Sequence[SmapInput]
) -> tuple[list[str], list[SmapInput]]:
    """Pair prompts with smaps; a single prompt or smap is used for every item."""
    prompt_list = [prompts] if isinstance(prompts, str) else list(prompts)
    smap_list = [smaps] if isinstance(smaps, np.ndarray | str | os.PathLike) else list(smaps)
    if not prompt_list:
        raise UserInputError("prompt: expected a prompt or a non-empty list of prompts, found an empty list")
    if not smap_list:
        raise UserInputError("smap: expected an smap or a non-empty list of smaps, found an empty list")
    for p in prompt_list:
        if not isinstance(p, str):
            raise UserInputError(f"prompt: expected text, found {type(p).__name__}")
    n = max(len(prompt_list), len(smap_list))
    if len(prompt_list) not in (1, n) or len(smap_list) not in (1, n):
        raise UserInputError(
            f"prompt/smap: expected lists of equal length (or one of length 1), "
            f"found {len(prompt_list)} prompts and {len(smap_list)} smaps"
        )
    return prompt_list * (n // len(prompt_list)), smap_list * (n // len(smap_list))


class GazeFusionPipeline:
    """Saliency-guided generation with a ControlNet on SD2.1-base (composes diffusers' pipeline).

    Build it with :meth:`from_components` (a dict of unet, controlnet, vae, text_encoder,
    tokenizer, scheduler) or :meth:`from_pretrained` (a model folder, hub id or cldm checkpoint,
    via :func:`gazefusion.models.loading.load_components`). The diffusers pipeline is available
    as :attr:`sd`; its scheduler is always a ``DDIMScheduler`` built from the given scheduler's
    config (SD2.1-base: ``steps_offset=1``, leading spacing).
    """

    def __init__(self, sd_pipeline, model_description: str | Mapping[str, Any] = "components") -> None:
        self.sd = sd_pipeline
        #: What was loaded: the dict of :func:`gazefusion.models.loading.load_components` (``model_id``,
        #: ``source``, ``path``, ``weight_hash`` "sha256:...", ``notice``) or a short text.
        self.model_description = (
            dict(model_description) if isinstance(model_description, Mapping) else model_description
        )
        self._tensor_hash: str | None = None
        self._device = None

    @classmethod
    def from_components(
        cls,
        components: Mapping[str, Any],
        *,
        device: str | None = None,
        dtype: Any = None,
        model_description: str | Mapping[str, Any] = "components",
    ) -> GazeFusionPipeline:
        """Wrap ready components; moves them to ``device``/``dtype`` (default: CUDA fp16, else CPU fp32)."""
        from diffusers import DDIMScheduler, StableDiffusionControlNetPipeline

        dev, dt = resolve_device_dtype(device, dtype)
        missing = {"unet", "controlnet", "vae", "text_encoder", "tokenizer", "scheduler"} - set(components)
        if missing:
            raise UserInputError(f"components: missing {', '.join(sorted(missing))}")
        scheduler = components["scheduler"]
        if not isinstance(scheduler, DDIMScheduler):
            scheduler = DDIMScheduler.from_config(scheduler.config)
        sd = StableDiffusionControlNetPipeline(
            vae=components["vae"],
            text_encoder=components["text_encoder"],
            tokenizer=components["tokenizer"],
            unet=components["unet"],
            controlnet=components["controlnet"],
            scheduler=scheduler,
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )
        for name in ("unet", "controlnet", "vae", "text_encoder"):
            module = getattr(sd, name)
            if module.dtype != dt:  # cast only when needed (diffusers warns on every dtype cast)
                module.to(dtype=dt)
        sd.to(dev)
        sd.set_progress_bar_config(disable=True)
        return cls(sd, model_description=model_description)

    @classmethod
    def from_pretrained(
        cls, model: str | os.PathLike | None = None, *, device: str | None = None, dtype: Any = None
    ) -> GazeFusionPipeline:
        """Load a model (None: ``$GAZEFUSION_MODEL`` if set, else the built-in toy GazeFusion)."""
        from gazefusion.models.loading import load_components

        dev, dt = resolve_device_dtype(device, dtype)
        components, description = load_components(model, device=dev, dtype=dt)
        return cls.from_components(components, device=str(dev), dtype=dt, model_description=description)

    # ----------------------------------------------------------------------------------- settings
    @property
    def device(self):
        """The device the denoising runs on (cached: diffusers takes ~20 ms to work it out)."""
        if self._device is None:
            self._device = self.sd._execution_device
        return self._device

    @property
    def dtype(self):
        """The UNet's dtype."""
        return self.sd.unet.dtype

    @property
    def size_multiple(self) -> int:
        """Output sides must be multiples of this (the VAE's downsampling factor: 8 for SD2.1-base)."""
        return int(self.sd.vae_scale_factor)

    def enable_memory_savings(
        self, attention_slicing: bool = False, cpu_offload: bool = False, vae_slicing: bool = False
    ) -> None:
        """Trade speed for memory: sliced attention, model CPU offload (GPU only), sliced VAE decode."""
        if attention_slicing:
            self.sd.enable_attention_slicing()
        if vae_slicing:
            self.sd.vae.enable_slicing()
        if cpu_offload:
            if self.device.type == "cpu":
                raise UserInputError("--cpu-offload: expected a GPU device, found cpu (offload needs a GPU)")
            self.sd.enable_model_cpu_offload(device=self.device)
            self._device = None

    @property
    def weight_hash(self) -> str:
        """The weights' hash, "sha256:...": of the loaded files, else of the tensors (computed once)."""
        if isinstance(self.model_description, dict) and self.model_description.get("weight_hash"):
            return str(self.model_description["weight_hash"])
        if self._tensor_hash is None:
            from gazefusion.models.loading import tensors_sha256

            modules = {name: getattr(self.sd, name) for name in ("unet", "controlnet", "vae", "text_encoder")}
            self._tensor_hash = "sha256:" + tensors_sha256(modules)
        return self._tensor_hash

    @property
    def model_id(self) -> str:
        """A short name of the model (its ``model_id``, or the description text)."""
        d = self.model_description
        return str(d.get("model_id")) if isinstance(d, dict) else str(d)

    # --------------------------------------------------------------------------------- generation
    def prepare_jobs(
        self,
        prompt: str | Sequence[str],
        smap: SmapInput | Sequence[SmapInput],
        *,
        seed: int | Sequence[int] = DEFAULT_SEED,
        num_samples: int | None = None,
        height: int | None = None,
        width: int | None = None,
    ) -> list[Job]:
        """Validate a request and expand it into one :class:`Job` per image (item-major order)."""
        from gazefusion.limits import check_image_side

        height = check_image_side(height, "height")
        width = check_image_side(width, "width")
        prompts, smap_inputs = broadcast_items(prompt, smap)
        seeds = seeds_for(seed, num_samples)
        resolved: dict[int, tuple[np.ndarray, str, str | None]] = {}
        jobs = []
        for k, (p, s) in enumerate(zip(prompts, smap_inputs, strict=True)):
            key = id(s)
            if key not in resolved:
                name = f"smap {k}" if len(smap_inputs) > 1 else "smap"
                array, source = resolve_smap_input(s, name=name)
                if isinstance(s, str | os.PathLike) and not array.any():  # a file, spec or name
                    warnings.warn(
                        f"{name} ({source}) is all zero: an empty map guides nothing",
                        EmptySmapWarning,
                        stacklevel=2,
                    )
                is_file = isinstance(s, str | os.PathLike) and os.path.isfile(s)
                resolved[key] = (
                    fit_smap(array, height, width, self.size_multiple, name=name),
                    source,
                    file_sha256(s) if is_file else None,
                )
            array, source, sha = resolved[key]
            jobs.extend(
                Job(prompt=p, smap=array, seed=sd, smap_source=source, smap_file_sha256=sha, item=k)
                for sd in seeds
            )
        return jobs

    def run_jobs(
        self,
        jobs: Sequence[Job],
        sampling: SamplingParams | None = None,
        *,
        batch_size: int = 1,
        progress: Progress = NO_PROGRESS,
    ) -> list[np.ndarray]:
        """Generate the jobs' images (uint8 (H, W, 3)) with ``sampling`` (default
        :class:`SamplingParams()`) in batches of up to ``batch_size`` same-size jobs.

        ``progress`` gets :data:`IMAGES` (the jobs' images, after each batch) and :data:`DENOISING`
        (``steps`` per batch, after each step).
        """
        import torch

        sampling = sampling or SamplingParams()
        if batch_size < 1:
            raise UserInputError(f"batch_size: expected >= 1, found {batch_size}")
        batches = job_batches(jobs, batch_size)
        total_steps = len(batches) * sampling.steps
        progress(IMAGES, 0, len(jobs))
        progress(DENOISING, 0, total_steps)
        step_callback = None if progress is NO_PROGRESS else denoising_callback(progress, total_steps)
        images: list[np.ndarray] = []
        for batch in batches:
            shape = batch[0].smap.shape
            out = self.sd(
                prompt=[j.prompt for j in batch],
                image=smaps_to_hint([j.smap for j in batch]),
                height=shape[0],
                width=shape[1],
                num_inference_steps=sampling.steps,
                guidance_scale=sampling.guidance_scale,
                negative_prompt=None
                if sampling.negative_prompt is None
                else [sampling.negative_prompt] * len(batch),
                eta=sampling.eta,
                controlnet_conditioning_scale=sampling.control_scale,
                guess_mode=False,
                generator=[torch.Generator("cpu").manual_seed(j.seed) for j in batch],
                output_type="np",
                callback_on_step_end=step_callback,
            )
            images.extend(to_uint8(im) for im in out.images)
            progress(IMAGES, len(images), len(jobs))
        return images

    def params(self, sampling: SamplingParams | None = None) -> dict[str, Any]:
        """The shared settings of a run with ``sampling``, as recorded in outputs and sidecars."""
        return {
            **(sampling or SamplingParams()).to_json(),
            "guess_mode": False,
            "scheduler": type(self.sd.scheduler).__name__,
            "scheduler_config": {
                k: v for k, v in dict(self.sd.scheduler.config).items() if not k.startswith("_")
            },
            "dtype": str(self.dtype).removeprefix("torch."),
            "device": self.device.type,
            "model": self.model_id,
        }

    def __call__(
        self,
        prompt: str | Sequence[str] = DEFAULT_PROMPT,
        smap: SmapInput | Sequence[SmapInput] | None = None,
        *,
        seed: int | Sequence[int] = DEFAULT_SEED,
        num_samples: int | None = None,
        sampling: SamplingParams | None = None,
        height: int | None = None,
        width: int | None = None,
        batch_size: int = 1,
        blend: bool = False,
        progress: Progress = NO_PROGRESS,
        **overrides: Any,
    ) -> GazeFusionOutput:
        """Generate ``num_samples`` images for each (prompt, smap) pair.

        Parameters
        ----------
        prompt, smap
            One or a list each (a single one is paired with every item of the other list). An smap
            is a float32 (H, W) array in [0, 1] or a file / spec file / built-in name (default
            ``smap1``); files are only divided by their format maximum (255).
        seed, num_samples
            An int ``s`` gives the samples seeds ``s, s+1, ..., s+num_samples-1`` (default 2
            samples); a list gives the seeds of the samples directly. Every item uses the same seeds.
        sampling, **overrides
            A :class:`SamplingParams` (default: DDIM 50 steps, guidance 9.0, ControlNet strength
            1.0, no negative prompt, eta 0) and keyword overrides of its fields (``steps=``,
            ``guidance_scale=``, ``control_scale=``, ``negative_prompt=``, ``eta=``).
        height, width
            Output size in pixels; default the smap's size. An smap of another size, or whose
            sides are not multiples of 8, is resized with a :class:`SmapResizedWarning`.
        batch_size
            Images per denoising batch; results do not depend on it.
        blend
            Also return each image blended 50/50 with its smap in the JET colormap.
        progress
            Gets :data:`IMAGES` and :data:`DENOISING` (see :meth:`run_jobs`).

        Raises
        ------
        UserInputError
            Empty prompt list, mismatched list lengths, NaN/out-of-range smap, missing smap file.
        """
        if smap is None:
            from gazefusion.smaps import DEFAULT_SMAP

            smap = DEFAULT_SMAP
        sampling = sampling_from(sampling, **overrides)
        jobs = self.prepare_jobs(prompt, smap, seed=seed, num_samples=num_samples, height=height, width=width)
        images = self.run_jobs(jobs, sampling, batch_size=batch_size, progress=progress)
        blends = None
        if blend:
            from gazefusion.smaps import jet_overlay

            blends = [jet_overlay(im, j.smap, alpha=0.5) for im, j in zip(images, jobs, strict=True)]
        return GazeFusionOutput(
            images=images,
            prompts=[j.prompt for j in jobs],
            seeds=[j.seed for j in jobs],
            smaps=[j.smap for j in jobs],
            smap_sources=[j.smap_source for j in jobs],
            params=self.params(sampling),
            blends=blends,
        )


def job_batches(jobs: Sequence[Job], batch_size: int) -> list[Sequence[Job]]:
    """The batches :meth:`GazeFusionPipeline.run_jobs` makes: runs of up to ``batch_size``
    consecutive jobs of one smap size."""
    batches = []
    start = 0
    while start < len(jobs):
        shape = jobs[start].smap.shape
        stop = start + 1
        while stop < len(jobs) and stop - start < batch_size and jobs[stop].smap.shape == shape:
            stop += 1
        batches.append(jobs[start:stop])
        start = stop
    return batches


def denoising_callback(progress: Progress, total: int):
    """The one wrap of diffusers' ``callback_on_step_end``: reports :data:`DENOISING` after each
    step (of ``total`` in all, over every call it is passed to) and changes nothing."""
    done = 0

    def callback(_pipe, _step, _timestep, callback_kwargs):
        nonlocal done
        done += 1
        progress(DENOISING, done, total)
        return callback_kwargs

    return callback


def to_uint8(image: np.ndarray) -> np.ndarray:
    """A float image in [0, 1] as uint8, rounded as diffusers' ``numpy_to_pil`` does."""
    return (np.clip(image, 0.0, 1.0) * 255).round().astype(np.uint8)
