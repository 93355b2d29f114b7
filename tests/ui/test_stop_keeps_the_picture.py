"""Stop during a description leaves its picture in the conversation dialog, which asks about it: the
running controller with the tiny random BLIP-2."""

from __future__ import annotations

from ui_flow import picture, wait_idle


def test_the_dialog_asks_about_the_picture_whose_description_was_stopped(qtbot, ready) -> None:
    controller, _ = ready
    controller.open_dialog()
    dialog = controller.ensure_dialog()
    messages: list[str] = []
    dialog.message.connect(messages.append)
    image = picture((30, 90, 200))
    controller.describe(image)
    controller.stop()  # before or during the model's work: the picture was taken either way
    wait_idle(qtbot, controller)
    assert dialog.image is image and dialog.ask_button.isEnabled()
    dialog.question.setText("What colour is it?")
    dialog.submit()
    qtbot.waitUntil(lambda: len(dialog.turns) == 1, timeout=30000)
    assert messages == [] and dialog.turns[0].question == "What colour is it?"
    assert controller.session.conversation.image is image
