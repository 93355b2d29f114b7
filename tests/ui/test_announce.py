"""Announcements reach a screen reader one at a time: Orca drops an event that comes within 0.1 s of one
of the same kind from the same application, and of two announcements made at once a real Orca 51 said
the first alone (tests/e2e/test_real_orca_e2e.py hears them all)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from assistant.ui import announce as announce_module


def test_announcements_made_at_once_go_one_after_another(qtbot, monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(announce_module, "_pacer", None)  # none made before this test's
    monkeypatch.setattr(announce_module, "send", lambda _widget, text: sent.append(text))
    label, closed = QLabel("status"), QLabel("closed")
    qtbot.addWidget(label)
    announce_module.announce(label, "A cat on a sofa.")
    assert sent == ["A cat on a sofa."]  # none just before: at once
    announce_module.announce(label, "Text on it: Hello.")
    announce_module.announce(closed, "From a window closed meanwhile.")
    closed.deleteLater()
    announce_module.announce(label, "Ready.")
    assert sent == ["A cat on a sofa."]  # the next waits its turn
    qtbot.waitUntil(lambda: len(sent) == 3, timeout=5000)
    assert sent == ["A cat on a sofa.", "Text on it: Hello.", "Ready."]
