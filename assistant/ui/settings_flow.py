"""The Settings window, from the controller's side: opening it with the voices and microphones there
are, and using what it applies at once (speech, cues, hotkeys, the model) before saving it."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

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
            dialog.applied.connect(self.apply)
            dialog.finished.connect(self._closed)
            self.dialog = dialog
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def _closed(self, _result: int) -> None:
        self.dialog = None

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

    def apply(self, new: Settings) -> None:
        """Use `new` at once and save it; the model reloads only if its choice changed."""
        app = self._app
        old, app.settings = app.settings, dataclasses.replace(new, hotkeys=dict(new.hotkeys))
        if app.speaker is not None:
            app.speaker.set_voice(new.voice)
            app.speaker.set_rate(new.rate)
            app.speaker.set_volume(new.volume)
            app.speaker.set_speak_with(new.speak_with)
            app.speaker.enabled = new.speech_enabled
        app.earcons.enabled = new.earcons
        if new.hotkeys != old.hotkeys:
            for view in app.views:
                view.set_hotkeys(app.settings.hotkeys)
            if app.dialog is not None:
                app.dialog.set_hotkeys(app.settings.hotkeys)
            if app.hotkeys is not None:
                app.start_hotkeys()
        if _model_choice(new) != _model_choice(old):
            app.load_model()
        elif new.free_model_after_minutes != old.free_model_after_minutes:
            app.model.set_idle_release(60.0 * new.free_model_after_minutes)
        try:
            save_settings(app.settings, app.settings_path)
        except SettingsError as error:
            app.fail(str(error))
            return
        app.tell(_("Settings saved."))


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
