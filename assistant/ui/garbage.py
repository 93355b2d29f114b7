"""Python's cycle collector runs on the Qt thread only.

Python collects reference cycles in whichever thread happens to allocate when a generation fills up:
the speech thread, the model's worker, OCR. A cycle that holds a Qt object (a window, a lambda slot
that holds its owner) then has its C++ destructor run on that thread, which Qt does not allow: the
process died of a segmentation fault while the speech thread listed voices and collected a closed
window's cycle. So automatic collection is turned off while the app runs, and a timer on the Qt thread
collects as Python would, generation by generation as each one's threshold is passed (the way
pyqtgraph's GarbageCollector does).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_MS = 500  # how often the Qt thread looks at the generations' counts

_running = 0  # collectors running (tests start one for each app they build); gc is on again at none


class QtThreadGarbage(QObject):
    """Turns Python's automatic collection off until `stop`, and collects on the Qt thread instead."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        global _running
        _running += 1
        gc.disable()
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect)
        self._timer.start(CHECK_MS)

    def collect(self) -> None:
        """What Python's own collector would do now: each generation whose count passed its threshold."""
        thresholds, counts = gc.get_threshold(), gc.get_count()
        if counts[0] > thresholds[0]:
            gc.collect(0)
            if counts[1] > thresholds[1]:
                gc.collect(1)
                if counts[2] > thresholds[2]:
                    gc.collect(2)

    def stop(self) -> None:
        """Automatic collection on again where no other collector runs; safe to call more than once."""
        global _running
        if self._stopped:
            return
        self._stopped = True
        self._timer.stop()
        _running -= 1
        if _running == 0:
            gc.enable()
