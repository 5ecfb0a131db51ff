"""The toy GazeFusion: the paper's recipe at small scale on synthetic scenes, trained on a CPU.

- :mod:`.recipe`: every size, step count, learning rate and seed of the build (``ToyRecipe``,
  presets ``full`` and ``smoke``).
- :mod:`.components`: the SD2.1-base-family modules at the recipe's widths (diffusers
  ``AutoencoderKL``, ``UNet2DConditionModel``, ``CLIPTextModel`` + our tokenizer, DDIM config).
- :mod:`.trainer`: the resumable loop of the autoencoder and base-model stages.
- :mod:`.build`: the staged, resumable ``gazefusion toy build`` (scenes → ``prepare`` → autoencoder →
  latents → base text-to-image model → ``gazefusion train`` of the ControlNet → export → card).
- :mod:`.card`: the model card (README.md in the model folder).

The shipped result lives in ``gazefusion/models/weights/gazefusion-toy`` and is the toolkit's
default model (:func:`gazefusion.models.loading.default_model_path`).
"""
