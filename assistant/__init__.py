"""A desktop assistant that describes images and the screen aloud, running BLIP-2 locally."""

__version__ = "0.1.0"
