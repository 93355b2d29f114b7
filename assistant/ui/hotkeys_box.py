"""Settings' "Hotkeys" group: a field for each action's keys, and on Wayland the keys the desktop bound."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sys
import threading
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from assistant.actions import BY_NAME, HOTKEY_ACTIONS
from assistant.config import HotkeyError, Settings, parse_hotkey
from assistant.i18n import _
from assistant.ui.settings_group import SettingsGroup

log = logging.getLogger(__name__)


class HotkeysBox(SettingsGroup):
    _checked = Signal(str)  # why this desktop takes none of these keys ("" where it takes them): a thread's

    def __init__(
        self, settings: Settings, desktop_keys: Mapping[str, str] | None, parent: QWidget | None = None
    ) -> None:
        """`desktop_keys`: action -> the keys the desktop bound (Wayland's GlobalShortcuts), where it binds them."""
        super().__init__(_("Hotkeys"), parent)
        self.hotkey_edits: dict[str, QLineEdit] = {}
        for index, action in enumerate(HOTKEY_ACTIONS):
            name = action.spoken_name
            edit = QLineEdit(settings.hotkeys.get(action.name, ""))
            edit.setAccessibleName(_("Hotkey for {name}").format(name=name))
            edit.setAccessibleDescription(
                _("Keys joined by plus, like ctrl+alt+d. Leave empty for no hotkey.")
            )
            edit.setPlaceholderText(_("none"))
            self._row(f"&{index + 1} {name}:", edit)
            self.hotkey_edits[action.name] = edit
        if desktop_keys:
            # On Wayland the desktop binds the keys; what the user chose in its dialog wins over ours.
            bound = "; ".join(
                f"{BY_NAME[name].spoken_name}: {keys or _('none')}"
                for name, keys in desktop_keys.items()
                if name in BY_NAME
            )
            self.desktop_keys = QLabel(
                _("The desktop binds these keys (change them in its settings): {bound}.").format(bound=bound)
            )
            self.desktop_keys.setAccessibleName(_("Keys bound by the desktop"))
            self.desktop_keys.setAccessibleDescription(self.desktop_keys.text())  # read with the name
            self.desktop_keys.setWordWrap(True)
            self.desktop_keys.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
            self.desktop_keys.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self.form.addRow(self.desktop_keys)
        self.not_taken: QLabel | None = None
        from assistant.capture.backends import is_wayland

        if is_wayland(os.environ, sys.platform) and not desktop_keys:
            # On Wayland without the desktop's GlobalShortcuts (sway) the fields above bind nothing, and
            # nothing here said so. Whether the portal is there is asked of D-Bus: on a thread.
            self._checked.connect(self._show_not_taken)
            threading.Thread(target=self._check, name="hotkeys-check", daemon=True).start()

    def _check(self) -> None:
        from assistant.hotkeys.backends import choose_backend

        try:
            _backend, notes = choose_backend()
        except Exception:  # a check that broke shows nothing; the app said the problem at its start
            log.exception("Could not tell whether this desktop takes the hotkeys")
            return
        with contextlib.suppress(RuntimeError):  # the window closed meanwhile
            self._checked.emit(" ".join(notes))  # none where the desktop takes the keys

    @Slot(str)
    def _show_not_taken(self, problem: str) -> None:
        if not problem or self.not_taken is not None:
            return
        self.not_taken = QLabel(problem)
        # Translators: the spoken name of Settings' line saying why the hotkeys above do not work here.
        self.not_taken.setAccessibleName(_("Hotkeys on this desktop"))
        self.not_taken.setAccessibleDescription(problem)  # read with the name
        self.not_taken.setWordWrap(True)
        self.not_taken.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.not_taken.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.form.insertRow(0, self.not_taken)

    def chosen(self, settings: Settings) -> Settings:
        """`settings` with the hotkeys the fields show; raises HotkeyError naming the first bad hotkey
        (and moves the focus to its field)."""
        hotkeys = dict(settings.hotkeys)
        for action, edit in self.hotkey_edits.items():
            text = edit.text().strip()
            if not text:
                hotkeys[action] = ""
                continue
            try:
                hotkeys[action] = str(parse_hotkey(text))
            except HotkeyError as error:
                edit.setFocus()
                raise HotkeyError(f"{BY_NAME[action].spoken_name}: {error}") from error
        return dataclasses.replace(settings, hotkeys=hotkeys)
