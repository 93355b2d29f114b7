"""Starting and stopping the tray app: one instance, tray icon first, everything slow afterwards."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QLibraryInfo, QLocale, QSocketNotifier, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from assistant.config import Settings, load_settings, settings_path
from assistant.engine.base import Engine
from assistant.i18n import N_, _
from assistant.i18n import setup as setup_language
from assistant.ui.earcons import Earcons
from assistant.ui.qt_words import QtWords
from assistant.ui.telling import SpeechOutput
from assistant.ui.views import MainWindow, TrayView
from assistant.ui.worker import LoadEngine, ModelSpec

if TYPE_CHECKING:
    from assistant.engine.server import ServerChoice
    from assistant.ui.controller import Controller

log = logging.getLogger(__name__)

# Said in the user's language where it is said: _(ALREADY_RUNNING).
ALREADY_RUNNING = N_(
    "The assistant is already running. Use its tray icon, its hotkeys, or “assistant trigger”."
)


def load_model(
    spec: ModelSpec, on_progress: Callable[[str], None] | None = None, server: ServerChoice | None = None
) -> Engine:
    """Runs on the model thread: the first import of torch happens here. With `server`, the model server
    answers and `spec`'s model only when the server fails."""
    from assistant.engine import load_engine

    return load_engine(
        spec.model,
        spec.device,
        spec.precision,
        on_progress=on_progress,
        server=server,
        image_tokens=spec.image_tokens,
        translate=spec.translate,
    )


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """`assistant run`'s choices for this run only (None: the settings'): in effect and shown in Settings
    until Quit, never written to the settings file unless the user changes them there."""

    model: str | None = None
    device: str | None = None
    precision: str | None = None
    speak_with: str | None = None
    server: str | None = None  # "" is a choice: no server for this run
    server_model: str | None = None
    allow_remote_server: bool = False  # `server` is allowed: Settings does not ask about it again
    image_tokens: int | None = None  # the most image tokens a picture becomes (0: the family's default)

    def over(self, settings: Settings) -> Settings:
        """`settings` with this run's choices in their place."""
        chosen: dict[str, Any] = {
            "model": self.model,
            "device": self.device,
            "precision": self.precision,
            "speak_with": self.speak_with,
            "server": self.server,
            "server_model": self.server_model,
            "allowed_server": self.server if self.allow_remote_server and self.server else None,
            "image_tokens": self.image_tokens,
        }
        return dataclasses.replace(settings, **{k: v for k, v in chosen.items() if v is not None})


def controller_for_run(
    on_file: Settings, run: RunOptions, earcons: Earcons, load: LoadEngine, settings_file: Path
) -> Controller:
    """The app's controller: the run's choices in effect, the file's settings kept for what it saves."""
    from assistant.ui.controller import Controller

    controller = Controller(run.over(on_file), None, earcons, load, settings_file)
    controller.settings_flow.on_file = on_file
    return controller


def server_for(settings: Settings, allowed_now: str | None = None) -> ServerChoice | None:
    """The model server `settings` choose, None for none; `allowed_now` is a server the user allowed for
    this run (`--allow-remote-server`), besides the one the settings remember."""
    from assistant.engine.server import same_server, server_choice

    choice = server_choice(settings)
    if choice is not None and allowed_now and same_server(choice.url, allowed_now):
        return dataclasses.replace(choice, allow_remote=True)
    return choice


def _quit_on_signals(app: QApplication) -> None:
    """Quit cleanly on Ctrl+C and SIGTERM: the signal wakes Qt's loop through a socket, no polling."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: None)
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, app)

    def wake() -> None:
        with contextlib.suppress(OSError):
            reader.recv(64)
        app.quit()

    notifier.activated.connect(wake)
    # Kept alive as long as the app (an attribute Qt's class does not declare, hence the ignore).
    app._signal_sockets = (reader, writer, notifier)  # type: ignore[attr-defined]


def display_problem() -> str | None:
    """One sentence when Qt would find no screen to show the app on (Linux without a desktop session)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return _(
        "No desktop was found (neither DISPLAY nor WAYLAND_DISPLAY is set). Start the assistant from your "
        "desktop session; “assistant describe” and “assistant ask” work without one."
    )


def use_language(app: QApplication, settings: Settings) -> str:
    """Speak the Settings' language, else the desktop's (on Windows and macOS, where the environment
    names none, the system's UI languages), and give Qt's own dialogs and buttons the same one."""
    language = setup_language(settings.interface_language, QLocale.system().uiLanguages())
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if language != "en" and translator.load(QLocale(language), "qtbase", "_", folder):
        app.installTranslator(translator)
    if language != "en":
        # After Qt's catalogue, so asked first: the few words Qt's lacks (its file dialog's fields).
        app.installTranslator(QtWords(app))
    return language


def run_app(
    model: str | None = None,
    device: str | None = None,
    precision: str | None = None,
    speech_to: Path | None = None,
    speech: bool = True,
    settings_file: Path | None = None,
    speak_with: str | None = None,
    model_server: str | None = None,
    server_model: str | None = None,
    allow_remote_server: bool = False,
    image_tokens: int | None = None,
) -> int:
    """Run the app until Quit; returns the exit status. `model_server`, `server_model` and `image_tokens`
    replace the settings' for this run; `allow_remote_server` allows that server for this run."""
    from assistant.instance import TriggerError, TriggerServer

    logging.basicConfig(level=logging.INFO, format="assistant: %(message)s")
    on_file, warning = load_settings(settings_file)
    run = RunOptions(
        model or None,
        device or None,
        precision or None,
        speak_with or None,
        model_server,
        server_model,
        allow_remote_server,
        image_tokens,
    )
    settings = run.over(on_file)
    from assistant.capture.backends import use_backend

    use_backend(settings.capture_backend)  # the user's choice of screen capture, before the first grab
    if QApplication.instance() is None and (problem := display_problem()):
        print(problem, file=sys.stderr)
        return 1
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    use_language(app, settings)
    app.setApplicationName("assistant")
    app.setApplicationDisplayName(_("Assistant"))
    app.setDesktopFileName("assistant")
    app.setQuitOnLastWindowClosed(False)

    relay: list[Controller] = []
    server: TriggerServer | None  # None when the trigger channel cannot be offered
    server = TriggerServer(lambda action: relay[0].request_action(action) if relay else None)
    try:
        if not server.start():
            print(_(ALREADY_RUNNING), file=sys.stderr)
            return 1
    except TriggerError as error:
        print(str(error), file=sys.stderr)
        server = None

    earcons = Earcons(settings.earcons, log_to=speech_to)

    def load(spec: ModelSpec, on_progress: Callable[[str], None]) -> Engine:
        """The model, or the server in the settings as last applied (their answer about it included)."""
        current = relay[0].settings if relay else settings
        return load_model(
            spec, on_progress, server_for(current, model_server if allow_remote_server else None)
        )

    controller = controller_for_run(on_file, run, earcons, load, settings_file or settings_path())
    relay.append(controller)
    if QSystemTrayIcon.isSystemTrayAvailable():
        tray = TrayView(controller.request_action, settings.hotkeys)
        tray.learn_whether_balloons_are_read_out()
        view: TrayView | MainWindow = tray
    else:
        view = MainWindow(controller.request_action, settings.hotkeys)
        view.spoken_by_app = lambda: controller.speaking
    controller.views.append(view)
    view.show()
    controller.quit_requested.connect(app.quit)
    _quit_on_signals(app)

    def boot() -> None:
        controller.attach_speaker(_make_speaker(settings, speech, speech_to, controller))
        if warning:
            controller.tell(warning)
        controller.start()
        controller.start_hotkeys()
        # Wayland's first run: the desktop's capture question, asked from our own window in front.
        controller.desktop.offer_capture_setup()

    QTimer.singleShot(0, boot)
    status = app.exec()
    if server is not None:
        server.close()
    view.hide()
    if not controller.shutdown():
        log.warning("The model thread did not stop in time; leaving anyway.")
    # Everything of ours is closed now. Leave without the interpreter's teardown of torch, which
    # takes seconds, so that Quit is immediate.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _make_speaker(
    settings: Settings, speech: bool, speech_to: Path | None, controller: Controller
) -> SpeechOutput:
    from assistant.speech.speaker import create_speaker

    return create_speaker(
        speech_to=speech_to,
        enabled=speech and settings.speech_enabled,
        voice=settings.voice,
        rate=settings.rate,
        volume=settings.volume,
        on_event=controller.speech_event,
        speak_with=settings.speak_with,
    )
