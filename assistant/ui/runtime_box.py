"""Settings' device and precision choices, in words a person reads in their own language ("Processor",
"16 bits (float16)"); the settings keep the engine's values ("cpu", "fp16")."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QComboBox

from assistant.engine.runtime import DEVICES, PRECISIONS
from assistant.i18n import _, pgettext


def device_labels() -> dict[str, str]:
    """Each device value's label, in the app's language now (asked when shown, not at import)."""
    return {
        # Translators: Settings' device choice: the app picks the graphics card where it can.
        "auto": pgettext("device", "Automatic"),
        # Translators: Settings' device choice: the computer's processor (CPU).
        "cpu": _("Processor"),
        "cuda": _("Graphics card (CUDA)"),
    }


def precision_labels() -> dict[str, str]:
    """Each precision value's label: the bits of each of the model's numbers."""
    return {
        # Translators: Settings' precision choice: the app picks the one that fits the device.
        "auto": pgettext("precision", "Automatic"),
        # Translators: Settings' precision choice: 32-bit floating point, the model as published.
        "fp32": _("32 bits (full)"),
        "bf16": _("16 bits (bfloat16)"),
        "fp16": _("16 bits (float16)"),
        "int8": _("8 bits"),
        "int4": _("4 bits"),
    }


def choice_combo(name: str, values: Iterable[str], labels: dict[str, str], current: str) -> QComboBox:
    """A combo box named `name` for screen readers, listing each value by its label; a value the
    settings file holds that is none of them (set by hand) is listed as it is, so it is kept."""
    combo = QComboBox()
    combo.setAccessibleName(name)
    combo.view().setAccessibleName(_("{name} choices").format(name=name))
    for value in values:
        combo.addItem(labels.get(value, value), value)
    if combo.findData(current) < 0:
        combo.addItem(current, current)
    combo.setCurrentIndex(combo.findData(current))
    return combo


def device_combo(current: str) -> QComboBox:
    return choice_combo(_("Device"), DEVICES, device_labels(), current)


def precision_combo(current: str) -> QComboBox:
    return choice_combo(_("Precision"), PRECISIONS, precision_labels(), current)
