"""A desktop assistant that describes images and the screen aloud, running BLIP-2 locally."""

import os

__version__ = "0.1.0"

# PyTorch's OpenMP threads sleep while they wait for work instead of spinning (libgomp reads this once,
# when torch loads, so it is set before anything imports torch; a user's own setting wins). Spinning, two
# threads on a processor other programs keep busy took 15 to 34 s for a sentence that takes 0.4 s on
# one thread (docs/translation.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
