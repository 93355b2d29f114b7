"""Tiny random checkpoints of the real architectures, each with a complete processor built on the spot.

The chat families' are built by the same builders as the benchmark's full-size ones
(assistant.bench.synthetic_families, TINY); these modules name them as the tests use them.
"""

from __future__ import annotations

from assistant.bench.family_builders import save_processor, train_byte_level_bpe

__all__ = ["save_processor", "train_byte_level_bpe"]
