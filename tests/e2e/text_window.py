"""A window of text in the middle of the screen, for the end-to-end tests that want a description: an
empty virtual screen is blank, and the app names it instead of describing it.

It takes no keyboard focus, so keys still go where the tests send them. Prints "ready" once shown."""

import sys

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

LINES = (
    "Meeting notes, Tuesday",
    "The new bus timetable starts on the first of the month.",
    "Bring the signed forms to the front desk before noon.",
    "The library is closed on Friday for the holiday.",
    "Call the pharmacy about the prescription refill.",
    "Lunch with Sam at the cafe on Market Street at one.",
    "Remember to water the plants and feed the cat.",
)

app = QApplication(sys.argv)
window = QWidget(None, Qt.WindowType.WindowDoesNotAcceptFocus)
window.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
window.setWindowTitle("Notes - Editor")
window.setStyleSheet("background: white; color: black;")
layout = QVBoxLayout(window)
for line in LINES:
    label = QLabel(line)
    label.setFont(QFont("DejaVu Sans", 18))
    layout.addWidget(label)
screen = QGuiApplication.primaryScreen().geometry()
# Over the middle of the screen, where the region chooser starts.
window.setGeometry(
    screen.width() // 8, screen.height() // 8, screen.width() * 3 // 4, screen.height() * 3 // 4
)
window.show()
QTimer.singleShot(300, lambda: print("ready", flush=True))
app.exec()
