"""Tiny random checkpoints of the real architectures, each with a complete processor built on the spot."""
