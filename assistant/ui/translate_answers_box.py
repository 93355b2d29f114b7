"""Settings' "Translate answers" check box: an English-only model's answers translated into the user's
language on this computer (`translate_answers`; assistant.engine.translate)."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QCheckBox, QFormLayout, QWidget

from assistant.config import Settings
from assistant.i18n import _


class TranslateAnswersBox(QCheckBox):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        # Translators: a check box in Settings. Its Alt key is the only letter no other control of
        # Settings has (Q in English; in Spanish Ñ, "al espa&ñol": the answers go into the catalogue's
        # language); check that the translated letter is free too.
        super().__init__(_("Translate answers into my language, and &questions into English"), parent)
        # Translators: the spoken name of the check box "Translate answers into my language".
        self.setAccessibleName(_("Translate answers into my language"))
        self.setAccessibleDescription(
            # Translators: the description of the check box "Translate answers into my language".
            _(
                "Models that speak only English (BLIP-2, SmolVLM2) have their descriptions and answers "
                "translated on this computer, and your questions translated into English. Off: they answer "
                "in English. Changing it loads the model again."
            )
        )
        self.setChecked(settings.translate_answers)

    @classmethod
    def added_to(cls, form: QFormLayout, settings: Settings) -> TranslateAnswersBox:
        """A new box, added to `form` as a row of its own."""
        box = cls(settings)
        form.addRow(box)
        return box

    def chosen(self, settings: Settings) -> Settings:
        return dataclasses.replace(settings, translate_answers=self.isChecked())
