"""Fixtures for the document tests."""

from __future__ import annotations

import pytest
from doc_helpers import RecordingEngine


@pytest.fixture
def engine() -> RecordingEngine:
    return RecordingEngine()
