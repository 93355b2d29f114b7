"""A window full of known text for `assistant bench`: `python -m assistant.bench.textwindow TITLE`.

It shows a rendered screen of text (`assistant.bench.samples.text_screen`) under the window title TITLE,
prints "shown" once it is on the screen, and shows a new screen of text (the next seed) for each line
read from its standard input, printing "shown" again, so no read of it is answered from memory.
"""

from __future__ import annotations

import io
import sys

WINDOW_SIZE = (1200, 600)  # two columns of 15 px text, no line cut off, on a 1280x800 screen


def main(argv: list[str]) -> int:
    from PySide6.QtCore import QSocketNotifier, QTimer
    from PySide6.QtGui import QPixmap
    from PySide6.QtWidgets import QApplication, QLabel

    from assistant.bench.samples import text_screen

    app = QApplication(argv)
    label = QLabel()
    label.setWindowTitle(argv[1] if len(argv) > 1 else "Quarterly report - Writer")
    label.setFixedSize(*WINDOW_SIZE)

    seed = [0]

    def show_next() -> None:
        seed[0] += 1
        picture = io.BytesIO()
        text_screen(seed[0], size=WINDOW_SIZE, font_size=15).image.save(picture, "PNG")
        pixmap = QPixmap()
        pixmap.loadFromData(picture.getvalue())
        label.setPixmap(pixmap)
        label.repaint()
        app.processEvents()
        QTimer.singleShot(200, lambda: print("shown", flush=True))  # once the server has drawn it

    def on_input() -> None:
        if not sys.stdin.readline():  # the benchmark has ended
            app.quit()
            return
        show_next()

    show_next()
    label.move(20, 40)
    label.show()
    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(on_input)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
