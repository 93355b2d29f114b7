"""The Settings window, from the controller's side: opening it with the voices and microphones there
are, and using what it applies at once (speech, cues, hotkeys, the model) before saving it.

The settings file keeps the user's own choices: `assistant run`'s options for one run (--model, --server,
...) are in effect and shown in Settings, but only what the user changes there is written over the file's
settings, here and for the screen-capture set-up (`keep`)."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from assistant.config import Settings, SettingsError, save_settings
from assistant.i18n import _

if TYPE_CHECKING:
    from assistant.ui.controller import Controller
    from assistant.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)


class SettingsFlow:
    def __init__(self, controller: Controller) -> None:
        self._app = controller
        self.dialog: SettingsDialog | None = None
        # The settings as the file holds them, where the run's options differ (None: the app's own).
        self.on_file: Settings | None = None
        self._shown: Settings | None = None  # what the open dialog hands back when nothing is changed

    def open(self) -> None:
        from assistant.ui.settings_dialog import SettingsDialog

        app = self._app
        if self.dialog is None:
            reader = getattr(app.speaker, "screen_reader", None)
            # On Wayland the desktop binds the keys (GlobalShortcuts): Settings shows what it bound.
            keys = app.hotkeys.desktop_keys if app.hotkeys is not None else None
            dialog = SettingsDialog(
                app.settings, self.voices(), self.input_devices(), screen_reader=reader, desktop_keys=keys
            )
            dialog.applied.connect(self._applied)
            dialog.spoken_by_app = lambda: app.speaking
            dialog.told.connect(self._told)
            dialog.finished.connect(self._closed)
            self.dialog = dialog
            # Not app.settings: the dialog writes some values its own way (a short model name as its hub
            # id, a volume to the percent), which is no change of the user's.
            self._shown = dialog.collect()
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def _closed(self, _result: int) -> None:
        # Deleted, not only hidden: its connections kept it alive, and each closed window stayed in the
        # accessibility tree (a second "Settings" dialog there after opening it again).
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None
        self._shown = None

    def _told(self, text: str, failure: bool) -> None:
        """What Settings says (a choice it cannot apply, with the error cue; how capture was set up) is said
        by the app where it speaks, as every state change; the window announces it where the app does not.
        It was only announced, so the app's own voice said nothing."""
        if self._app.speaking:
            (self._app.fail if failure else self._app.tell)(text)
        elif failure:
            self._app.earcons.play("error")

    def _applied(self, new: Settings) -> None:
        shown, self._shown = self._shown, new
        self.apply(new, shown)

    def voices(self) -> list[object]:
        if self._app.speaker is None:
            return []
        try:
            return list(self._app.speaker.voices())
        except Exception as error:  # a broken driver must not keep Settings from opening
            log.info("No voice list: %s", error)
            return []

    def input_devices(self) -> list[str]:
        """Names of the microphones, for Settings; empty where sound input is unavailable."""
        try:
            from assistant.speech.microphone import input_devices

            return [name for _index, name in input_devices()]
        except Exception as error:  # no PortAudio: Settings still opens, with the default only
            log.info("No input device list: %s", error)
            return []

    def apply(self, new: Settings, shown: Settings | None = None) -> None:
        """Use what `new` changes from `shown` (what the dialog showed; default: the settings in effect) at
        once and save it; the model reloads only if its choice changed."""
        app = self._app
        old = app.settings
        self._take(_changes(old if shown is None else shown, new))
        now = app.settings
        if app.speaker is not None:
            app.speaker.set_voice(now.voice)
            app.speaker.set_rate(now.rate)
            app.speaker.set_volume(now.volume)
            app.speaker.set_speak_with(now.speak_with)
            app.speaker.enabled = now.speech_enabled
        app.earcons.enabled = now.earcons
        if now.hotkeys != old.hotkeys:
            for view in app.views:
                view.set_hotkeys(now.hotkeys)
            if app.dialog is not None:
                app.dialog.set_hotkeys(now.hotkeys)
            if app.hotkeys is not None:
                app.start_hotkeys()
        if _model_choice(now) != _model_choice(old):
            app.load_model()
        elif now.free_model_after_minutes != old.free_model_after_minutes:
            app.model.set_idle_release(60.0 * now.free_model_after_minutes)
        if self._write():
            app.tell(_("Settings saved."))

    def keep(self, **changes: Any) -> None:
        """Use `changes` at once and save them (the problem said where the file could not be written)."""
        self._take(changes)
        self._write()

    def _take(self, changes: dict[str, Any]) -> None:
        """The changes in effect and in the file's settings; the rest of each stays as it is."""
        app = self._app
        on_file = self.on_file if self.on_file is not None else app.settings
        self.on_file = _with(on_file, changes)
        app.settings = _with(app.settings, changes)

    def _write(self) -> bool:
        app = self._app
        try:
            save_settings(self.on_file if self.on_file is not None else app.settings, app.settings_path)
        except SettingsError as error:
            app.fail(str(error))
            return False
        return True


def _changes(before: Settings, after: Settings) -> dict[str, Any]:
    """The fields `after` changes from `before`, with their new values."""
    return {
        spec.name: getattr(after, spec.name)
        for spec in dataclasses.fields(Settings)
        if getattr(after, spec.name) != getattr(before, spec.name)
    }


def _with(settings: Settings, changes: dict[str, Any]) -> Settings:
    """`settings` changed, with a hotkey table of its own (the dialog's and the file's are not shared)."""
    changed = dataclasses.replace(settings, **changes)
    changed.hotkeys = dict(changed.hotkeys)
    return changed


def _model_choice(settings: Settings) -> tuple[str | int, ...]:
    """What the loaded engine depends on: a change reloads it."""
    return (
        settings.model,
        settings.device,
        settings.precision,
        settings.image_tokens,
        # The interface language is not here: it applies from the next start, with the model loaded then.
        settings.translate_answers,
        settings.server,
        settings.server_model,
        settings.allowed_server,
    )
