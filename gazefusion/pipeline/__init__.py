"""Saliency-guided generation: :class:`GazeFusionPipeline` on diffusers, and folder output with sidecars."""

from gazefusion.pipeline.core import GazeFusionOutput, GazeFusionPipeline, Job
from gazefusion.pipeline.folder import FolderRun, generate_to_folder
from gazefusion.pipeline.hint import EmptySmapWarning, SmapResizedWarning
from gazefusion.pipeline.sampling import SamplingParams

__all__ = [
    "EmptySmapWarning",
    "FolderRun",
    "GazeFusionOutput",
    "GazeFusionPipeline",
    "Job",
    "SamplingParams",
    "SmapResizedWarning",
    "generate_to_folder",
]
