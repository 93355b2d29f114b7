"""Settings' "Model server" group: the address of an OpenAI-compatible server and the model on it, and the
question asked once before the screen goes to a server on another computer."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLineEdit, QMessageBox, QWidget

from assistant.config import Settings
from assistant.engine.server import same_server
from assistant.engine.server_consent import ServerAddressError, parse_address
from assistant.i18n import N_, _
from assistant.ui.labels import buddy_label

ADDRESS_HELP = N_(
    "The address of an OpenAI-compatible server (Ollama, llama.cpp, LM Studio, vLLM), such as "
    "http://localhost:11434. Leave it empty to describe with the model on this computer, which also "
    "answers when the server cannot."
)


class ModelServerBox(QGroupBox):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(_("Model server"), parent)
        form = QFormLayout(self)
        self.address = QLineEdit(settings.server)
        self.address.setAccessibleName(_("Model server"))
        self.address.setAccessibleDescription(_(ADDRESS_HELP))
        self.address.setPlaceholderText(_("none: the model on this computer"))
        self.model = QLineEdit(settings.server_model)
        self.model.setAccessibleName(_("Model on the server"))
        self.model.setAccessibleDescription(
            _("Its name on the server; leave it empty for the one it serves.")
        )
        self.model.setPlaceholderText(_("the one it serves"))
        for text, field in (
            (_("Model server (for &bigger models):"), self.address),
            (_("Its model, b&y name:"), self.model),
        ):
            form.addRow(buddy_label(text, field), field)

    def chosen(self, settings: Settings) -> Settings:
        return dataclasses.replace(
            settings, server=self.address.text().strip(), server_model=self.model.text().strip()
        )

    def consent(self, settings: Settings) -> tuple[Settings, str | None]:
        """`settings` with the server allowed, after asking where it is on another computer and not yet
        allowed; or one sentence saying why they cannot be used as they are."""
        if not settings.server:
            return settings, None
        try:  # first: an address allowed before this check existed may be none ("notaurl")
            address = parse_address(settings.server)
        except ServerAddressError as error:
            self.address.setFocus()
            return settings, str(error)
        if address.local or same_server(settings.server, settings.allowed_server):
            return settings, None
        if not self.ask(address.label, plain=address.scheme == "http"):
            self.address.setFocus()
            return settings, (
                _(
                    "The model server was not allowed, so nothing was changed; empty its address to keep "
                    "pictures on this computer."
                )
            )
        return dataclasses.replace(settings, allowed_server=settings.server), None

    def ask(self, label: str, plain: bool) -> bool:
        """The question, once for each server: it is the user's screen that goes there."""
        how = _(" Its address is plain http, so they travel unencrypted.") if plain else ""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            # Translators: the title of the question asked before the screen goes to a model server.
            _("Send pictures of your screen to another computer?"),
            _(
                "The model server at {label} is on another computer. Every picture the assistant describes or answers questions about, which is often your screen, will be sent to it.{how} Allow this server?"
            ).format(label=label, how=how),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.button(QMessageBox.StandardButton.Yes).setText(_("&Allow"))
        box.button(QMessageBox.StandardButton.No).setText(_("&Do not allow"))
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return bool(box.exec() == QMessageBox.StandardButton.Yes)
