"""What the user sees of the app: a tray icon with a menu, or, without a system tray, a small window.

Both offer every action (with mnemonics), show the state, and show text when speech cannot say it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QCloseEvent, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QStyle,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from assistant.actions import ACTIONS, hotkey_text
from assistant.i18n import _
from assistant.ui.announce import announce
from assistant.ui.labels import buddy_label
from assistant.ui.resources import resource_path

TOOLTIP_LIMIT = 120


def app_icon() -> QIcon:
    """The app's icon, or a standard one where it is not shipped."""
    path = resource_path("assistant.png") or resource_path("assistant.svg")
    if path is not None:
        icon = QIcon(str(path))
        if not icon.isNull():
            return icon
    return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)


def menu_text(label: str, combo: str | None) -> str:
    return f"{label}\t{hotkey_text(combo)}" if combo else label


class TrayView:
    """The system-tray icon: its tooltip is the state; its menu holds every action."""

    announces_said = True  # what speech would have said is announced (show_text) where it is off

    def __init__(self, run_action: Callable[[str], None], hotkeys: Mapping[str, str]) -> None:
        # Whether the desktop's screen reader reads out the balloons (GNOME Shell's notifications): then
        # they are not announced as well. Learnt on a thread (learn_whether_balloons_are_read_out).
        self.balloons_read_out = False
        self.menu = QMenu()
        self.menu.setAccessibleName(_("Assistant"))
        self.actions: dict[str, QAction] = {}
        for action in ACTIONS:
            if action.name in ("settings", "quit"):
                self.menu.addSeparator()
            item = QAction(menu_text(action.label, hotkeys.get(action.name)), self.menu)
            item.setToolTip(action.help)
            item.setStatusTip(action.help)
            item.triggered.connect(lambda _checked=False, name=action.name: run_action(name))
            self.menu.addAction(item)
            self.actions[action.name] = item
        self.icon = QSystemTrayIcon(app_icon())
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self._run_action = run_action
        self.set_status(_("Starting…"))

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.DoubleClick:
            self._run_action("ask")

    def set_hotkeys(self, hotkeys: Mapping[str, str]) -> None:
        for action in ACTIONS:
            self.actions[action.name].setText(menu_text(action.label, hotkeys.get(action.name)))

    def set_status(self, text: str) -> None:
        # Translators: the tray icon's tooltip: the app's name and its state ("Assistant: Ready.").
        tip = _("Assistant: {status}").format(status=text)
        if len(tip) > TOOLTIP_LIMIT:
            tip = tip[: TOOLTIP_LIMIT - 1] + "…"
        self.icon.setToolTip(tip)

    def show_progress(self, text: str) -> None:
        self.set_status(text)  # a tooltip is read only when asked for

    def show_text(self, title: str, text: str) -> None:
        """What speech would have said, where the app is silent: a balloon, and announced once."""
        self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 15000)
        # A balloon reaches a screen reader only where a notification daemon carries it there (none
        # under Xvfb, nor on every desktop): a failure with speech off reached nobody. Announced from
        # the menu, the tray's one accessible object, even while it is closed.
        if not self.balloons_read_out:
            announce(self.menu, text)

    def learn_whether_balloons_are_read_out(self) -> threading.Thread:
        """Ask D-Bus, on a thread (up to a second), whether the balloons are notifications that the
        desktop's screen reader reads out (GNOME Shell's, under Ubuntu's tray): announced as well, each
        would be heard twice."""
        from assistant.speech.desktop_notice import tray_messages_read_out

        def learn() -> None:
            self.balloons_read_out = tray_messages_read_out()

        thread = threading.Thread(target=learn, name="tray-balloons", daemon=True)
        thread.start()
        return thread


class MainWindow(QWidget):
    """The fallback where there is no system tray: every action as a button, the state, and messages."""

    announces_said = True  # what speech would have said is announced here (show_text) where it is off

    def __init__(self, run_action: Callable[[str], None], hotkeys: Mapping[str, str]) -> None:
        super().__init__()
        self.setWindowTitle(_("Assistant"))
        self.setAccessibleName(_("Assistant"))
        self.setWindowIcon(app_icon())
        self._run_action = run_action
        # Whether the app's speech says what matters (the controller sets it). Then the state is shown
        # here and not announced as well: a screen reader would say it twice ("Ready." and "Ready. <the
        # model>", a description and "Ready. Last: <the description>"), as a real Orca 51 did.
        self.spoken_by_app: Callable[[], bool] = lambda: False
        self._state = _("Starting…")
        self._shown: list[str] = []  # the messages announced since the last state
        self.status = QLabel(self._state)
        self._name_status()  # read as the window opens, with the focus here
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.status.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.status.installEventFilter(self)  # its name catches up when the focus leaves it
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for index, action in enumerate(ACTIONS):
            button = QPushButton(action.label)
            button.setAccessibleName(action.spoken_name)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, name=action.name: run_action(name))
            grid.addWidget(button, index // 3, index % 3)
            self.buttons[action.name] = button
        self.set_hotkeys(hotkeys)
        self.messages = QPlainTextEdit()
        self.messages.setReadOnly(True)
        self.messages.setAccessibleName(_("Messages"))
        self.messages.setMaximumBlockCount(200)
        messages_label = buddy_label(_("&Messages:"), self.messages)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(grid)
        layout.addWidget(messages_label)
        layout.addWidget(self.messages, 1)
        self.resize(560, 360)

    def set_hotkeys(self, hotkeys: Mapping[str, str]) -> None:
        for action in ACTIONS:
            combo = hotkeys.get(action.name)
            tip = f"{action.help} ({hotkey_text(combo)})" if combo else action.help
            self.buttons[action.name].setToolTip(tip)
            self.buttons[action.name].setAccessibleDescription(tip)

    def set_status(self, text: str) -> None:
        self._state = text
        self.status.setText(text)
        # Heard already: said by the app, or the message just shown holds it ("Ready. Last: <the
        # description>" after the description, where the app is silent).
        heard = self.spoken_by_app() or any(shown in text for shown in self._shown)
        self._shown = []
        # A screen reader reads out each new name of the control with the focus (a real Orca 51 said
        # "Status: Ready. Last: <the description>" after the app had said the description; the window
        # opens with the focus here). What was heard is named once the focus is elsewhere; what was not
        # is read out through that name where the status has the focus, else announced.
        focused = self.status.hasFocus()
        if not (heard and focused):
            self._name_status()
        self.setWindowTitle(_("Assistant: {text}").format(text=text) if len(text) < 60 else _("Assistant"))
        if not heard and not focused:
            announce(self.status, text)

    def _name_status(self) -> None:
        # The state as set_status gave it (not a moving count: show_progress leaves the name alone).
        self.status.setAccessibleName(_("Status: {text}").format(text=self._state))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.status and event.type() == QEvent.Type.FocusOut:
            self._name_status()
        return super().eventFilter(watched, event)

    def show_progress(self, text: str) -> None:
        """A count that moves every second: shown, and neither announced nor given to the status's
        accessible name, which a screen reader reads out at each change."""
        self.status.setText(text)

    def show_text(self, title: str, text: str) -> None:
        """What speech would have said, where the app is silent: shown, and announced unless the state
        just set holds it (a failure is both; "Ready. <the model>" holds "Ready.")."""
        self.messages.appendPlainText(text)
        if text not in self._state:
            announce(self.messages, text)
            self._shown.append(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        # This window is the only way in: closing it quits, like the tray menu's Quit.
        event.ignore()
        self._run_action("quit")
