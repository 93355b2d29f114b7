"""Settings' "Picture detail" group: the most image tokens a picture becomes (`image_tokens`), which trades
how much of a screen the model can read against how soon it answers."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QAbstractSpinBox, QFormLayout, QGroupBox, QLineEdit, QSpinBox, QWidget

from assistant.config import IMAGE_TOKENS_MAX, Settings
from assistant.i18n import _
from assistant.ui.labels import buddy_label


def name_editor(spin: QAbstractSpinBox) -> None:
    """Give a spin box's own text field, which AT-SPI may show on its own, the spin box's name."""
    editor = spin.findChild(QLineEdit)
    if editor is not None:
        editor.setAccessibleName(spin.accessibleName())


class ImageBudgetBox(QGroupBox):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        # Translators: the title of Settings' group about how many image tokens a picture becomes.
        super().__init__(_("Picture detail"), parent)
        form = QFormLayout(self)
        self.tokens = QSpinBox()
        # Translators: the spoken name of the image-token budget in Settings.
        self.tokens.setAccessibleName(_("Image tokens a picture may become, 0 for the model's default"))
        self.tokens.setAccessibleDescription(
            # Translators: the description of the image-token budget in Settings.
            _(
                "More tokens let the model read smaller text and detail on the screen; fewer make it "
                "answer sooner. Used by Qwen3.5, SmolVLM2 and Gemma 4; changing it loads the model again."
            )
        )
        self.tokens.setRange(0, IMAGE_TOKENS_MAX)  # 0 shows as the family's default
        self.tokens.setSingleStep(64)
        # Translators: shown in the image-token budget when it is 0.
        self.tokens.setSpecialValueText(_("The model's default"))
        # Translators: the unit after the image-token budget, with its leading space.
        self.tokens.setSuffix(_(" tokens"))
        self.tokens.setValue(settings.image_tokens)
        name_editor(self.tokens)
        # Translators: the label of the image-token budget; the letter after & is its Alt key.
        label = buddy_label(_("Ma&ximum image tokens per picture (0: the model's default):"), self.tokens)
        form.addRow(label, self.tokens)

    def chosen(self, settings: Settings) -> Settings:
        return dataclasses.replace(settings, image_tokens=self.tokens.value())
