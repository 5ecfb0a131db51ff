"""Saliency-guided video (Text2Video-Zero ControlNet mode, optional motion field) and video files."""

from gazefusion.video.motion_field import motion_field_times
from gazefusion.video.t2v_zero import VideoOutput, cross_frame_attention, generate_video
from gazefusion.video.writer import write_video

__all__ = ["VideoOutput", "cross_frame_attention", "generate_video", "motion_field_times", "write_video"]
