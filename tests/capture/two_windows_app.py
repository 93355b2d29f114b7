"""Two plain windows with known titles, colours and text, for the focused-window tests."""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

WINDOWS = (
    ("Quarterly report - Writer", "#f4f4c8", "Revenue grew in every region", (60, 80)),
    ("Invoice 2041 - Mail", "#c8e4f4", "Payment received thank you", (560, 300)),
)

app = QApplication(sys.argv)
shown = []
for title, colour, text, (x, y) in WINDOWS:
    window = QWidget()
    window.setWindowTitle(title)
    window.setStyleSheet(f"background: {colour}; color: black;")
    layout = QVBoxLayout(window)
    label = QLabel(text)
    label.setFont(QFont("DejaVu Sans", 16))
    layout.addWidget(label)
    window.setGeometry(x, y, 440, 240)
    window.show()
    shown.append(window)
QTimer.singleShot(300, lambda: print("ready", flush=True))
app.exec()
