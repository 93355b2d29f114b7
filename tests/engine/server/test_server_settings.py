"""Settings' "Model server": named fields, and the question asked once before the screen goes to a server on
another computer (the answer remembered)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QMessageBox

from assistant.config import Settings
from assistant.ui.model_server_box import ModelServerBox
from assistant.ui.settings_dialog import SettingsDialog


@pytest.fixture
def dialog(qtbot):
    widget = SettingsDialog(Settings())
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


class Answers(list):
    """What the user answers to the question, in turn; `asked` holds each question's (server, plain http)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, bool]] = []


@pytest.fixture
def answers(monkeypatch) -> Answers:
    given = Answers()

    def ask(self, label: str, plain: bool) -> bool:
        given.asked.append((label, plain))
        return given.pop(0)

    monkeypatch.setattr(ModelServerBox, "ask", ask)
    return given


def apply(qtbot, dialog) -> Settings | None:
    got: list[Settings] = []
    dialog.applied.connect(got.append)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Apply).click()
    return got[0] if got else None


def test_the_fields_are_named_for_screen_readers(dialog) -> None:
    names = {edit.accessibleName() for edit in dialog.server_box.findChildren(QLineEdit)}
    assert names == {"Model server", "Model on the server"}
    assert "OpenAI-compatible" in dialog.server_box.address.accessibleDescription()


def test_a_local_server_is_taken_without_asking(qtbot, dialog, answers) -> None:
    dialog.server_box.address.setText("localhost:11434")
    dialog.server_box.model.setText("qwen3.5:2b")
    new = apply(qtbot, dialog)
    assert new is not None and (new.server, new.server_model) == ("localhost:11434", "qwen3.5:2b")
    assert answers.asked == [] and new.allowed_server == ""


def test_a_remote_server_is_asked_about_once(qtbot, dialog, answers) -> None:
    dialog.server_box.address.setText("http://192.0.2.10:11434")
    answers.extend([True])
    new = apply(qtbot, dialog)
    assert new is not None and new.allowed_server == "http://192.0.2.10:11434"
    assert answers.asked == [("192.0.2.10:11434", True)]
    assert apply(qtbot, dialog) is not None  # remembered: not asked again
    assert len(answers.asked) == 1


def test_a_remote_server_not_allowed_changes_nothing(qtbot, dialog, answers) -> None:
    dialog.server_box.address.setText("https://192.0.2.10")
    answers.extend([False])
    assert apply(qtbot, dialog) is None
    assert "was not allowed" in dialog.errors.text()


def test_an_address_that_is_not_one(qtbot, dialog, answers) -> None:
    dialog.server_box.address.setText("ftp://files")
    assert apply(qtbot, dialog) is None
    assert "is not a model server's address" in dialog.errors.text() and answers.asked == []


def test_the_question_names_the_server_and_defaults_to_no(qtbot, monkeypatch) -> None:
    shown: list[QMessageBox] = []

    def exec_(box: QMessageBox) -> int:
        shown.append(box)
        return int(QMessageBox.StandardButton.No)

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    box = ModelServerBox(Settings())
    qtbot.addWidget(box)
    assert not box.ask("192.0.2.10:11434", plain=True)
    (question,) = shown
    assert "192.0.2.10:11434 is on another computer" in question.text() and "unencrypted" in question.text()
    assert question.defaultButton() is question.button(QMessageBox.StandardButton.No)


def test_every_word_of_the_question_is_in_the_users_language(qtbot, monkeypatch) -> None:
    import assistant.ui.model_server_box as module

    shown: list[QMessageBox] = []

    def exec_(box: QMessageBox) -> int:
        shown.append(box)
        return int(QMessageBox.StandardButton.No)

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    monkeypatch.setattr(module, "_", lambda text: f"«{text}»")  # marks each text that goes through gettext
    box = ModelServerBox(Settings())
    qtbot.addWidget(box)
    box.ask("192.0.2.10:11434", plain=False)
    (question,) = shown
    buttons = [
        question.button(b).text() for b in (QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No)
    ]
    for text in (question.windowTitle(), question.text(), *buttons):
        assert text.startswith("«") and text.endswith("»"), text


@pytest.mark.parametrize("typed", ["notaurl", "localhost:abc", "http://host:99999", "/v1"])
def test_an_address_that_is_not_one_is_said_as_on_the_command_line(qtbot, dialog, answers, typed) -> None:
    """The same sentence as `--server`, shown and said, with the cursor back in the field: no question."""
    dialog.server_box.address.setText(typed)
    dialog.server_box.model.setFocus()
    assert apply(qtbot, dialog) is None
    sentence = (
        f"“{typed}” is not a model server's address; "
        "give one such as http://127.0.0.1:11434/v1 (Ollama) or https://example.org/v1."
    )
    assert dialog.errors.text() == sentence and dialog.errors.accessibleDescription() == sentence
    assert answers.asked == [] and dialog.focusWidget() is dialog.server_box.address


def test_an_address_allowed_before_is_still_checked(qtbot, answers) -> None:
    """A settings file from before the check (the question was asked of "notaurl" and allowed)."""
    widget = SettingsDialog(Settings(server="notaurl", allowed_server="notaurl"))
    qtbot.addWidget(widget)
    assert apply(qtbot, widget) is None
    assert widget.errors.text().startswith("“notaurl” is not a model server's address")


CREDENTIALS_REFUSAL = (
    "A model server's address cannot hold a user name or password, which would be saved in the settings "
    "file; give the address without them, and its API key in ASSISTANT_SERVER_API_KEY or the system keyring "
    "(service assistant-model-server)."
)


@pytest.mark.parametrize(
    "typed", ["http://user:hunter2-sk@127.0.0.1:8080/v1", "https://:hunter2-sk@models.example.org"]
)
def test_an_address_with_a_password_is_refused_and_not_saved(qtbot, dialog, answers, typed) -> None:
    """Issue 22: the settings file never holds a key. The sentence does not repeat it; nothing is applied
    (so nothing saved), by Apply or by OK, and no question is asked."""
    dialog.server_box.address.setText(typed)
    assert apply(qtbot, dialog) is None
    assert dialog.errors.text() == CREDENTIALS_REFUSAL == dialog.errors.accessibleDescription()
    assert "hunter2-sk" not in dialog.errors.text() and answers.asked == []
    got: list[Settings] = []
    dialog.applied.connect(got.append)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert got == [] and dialog.isVisible() and dialog.focusWidget() is dialog.server_box.address
    assert dialog.settings.server == ""


def test_a_password_saved_before_is_refused(qtbot, answers) -> None:
    """A settings file written before the check: applying it again is refused until the address is fixed."""
    address = "http://user:hunter2-sk@127.0.0.1:8080"
    widget = SettingsDialog(Settings(server=address, allowed_server=address))
    qtbot.addWidget(widget)
    assert apply(qtbot, widget) is None
    assert widget.errors.text() == CREDENTIALS_REFUSAL
    widget.server_box.address.setText("http://127.0.0.1:8080")
    new = apply(qtbot, widget)
    assert new is not None and new.server == "http://127.0.0.1:8080"


def test_an_address_with_a_query_is_refused_and_not_saved(qtbot, dialog, answers) -> None:
    """What follows "?" would not be sent, and the settings file would keep it (a key, perhaps)."""
    dialog.server_box.address.setText("https://models.example.org/v1?api-key=hunter2-sk")
    assert apply(qtbot, dialog) is None
    assert dialog.errors.text().startswith("A model server's address takes nothing after “?” or “#”")
    assert "hunter2-sk" not in dialog.errors.text() and answers.asked == []
    assert dialog.settings.server == ""
