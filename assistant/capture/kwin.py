"""KWin's own answer to "which window has the focus", for KDE Plasma on Wayland (5.27 and 6).

Wayland lets no client see other windows, but KWin runs scripts handed to it over D-Bus. A script of
a few lines is written to a file of the user's own, loaded through `org.kde.KWin /Scripting
loadScript` under a one-off plugin name, run, and unloaded. It reads `workspace.activeWindow`
(Plasma 6; `activeClient` on 5.27): its caption and its frame, title bar included, in desktop
coordinates. It hands them back with `callDBus` to an object path made up for this one request on
this process's own connection (its unique name), as one JSON string, so that no name is owned and no
stale script can answer in its place. The answer is taken only from the connection that owns
`org.kde.KWin`. The script runs at `/Scripting/Script<id>` on Plasma 6, at `/<id>` on 5.27.
Another script lists the monitors in the same logical pixels, so that a window can be cut from the
desktop's picture, which is taken in device pixels where the scale is not 1.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.capture.base import Geometry

KWIN = "org.kde.KWin"
SCRIPTING_PATH = "/Scripting"
SCRIPTING = "org.kde.kwin.Scripting"
SCRIPT = "org.kde.kwin.Script"
ANSWER_INTERFACE = "org.assistant.KWinAnswer"
ANSWER_METHOD = "Answer"
DEADLINE_SECONDS = 3.0
"""KWin answers in milliseconds; a busy machine may take a second to load a script."""

# Each question is a script that sets `answer`; JSON keeps a caption's characters intact whatever
# KWin's D-Bus types make of numbers.
SCRIPT_TEXT = """(function () {
    var answer = null;
%(body)s
    callDBus(%(service)s, %(path)s, %(interface)s, %(method)s, JSON.stringify(answer));
})();
"""
# The window KWin says is active, unless it is the desktop or a panel, which have the focus when no
# window has.
FOCUSED_WINDOW = """
    var window = workspace.activeWindow !== undefined ? workspace.activeWindow : workspace.activeClient;
    if (window && !window.desktopWindow && !window.dock) {
        var frame = window.frameGeometry;
        answer = {caption: String(window.caption), x: frame.x, y: frame.y,
                  width: frame.width, height: frame.height};
    }
"""
# The monitors' places in the layout, in logical pixels (window frames use them too): Plasma 6 lists
# its outputs (`workspace.screens`), 5.27 numbers them (`numScreens`, each one's `clientArea`).
SCREENS = """
    answer = [];
    var i, area;
    if (workspace.screens !== undefined) {
        for (i = 0; i < workspace.screens.length; i++) {
            var output = workspace.screens[i];
            area = output.geometry;
            answer.push({name: String(output.name), x: area.x, y: area.y, width: area.width,
                         height: area.height, scale: output.devicePixelRatio,
                         active: output.name === workspace.activeScreen.name});
        }
    } else {
        for (i = 0; i < workspace.numScreens; i++) {
            area = workspace.clientArea(KWin.ScreenArea, i, workspace.currentDesktop);
            answer.push({name: String(i), x: area.x, y: area.y, width: area.width, height: area.height,
                         scale: 1, active: i === workspace.activeScreen});
        }
    }
"""


class KWinError(Exception):
    """KWin is not on the session bus, refused the script, or did not answer in time."""


def is_kde(environ: Mapping[str, str] | None = None) -> bool:
    """A KDE Plasma session, whose compositor is KWin."""
    environ = os.environ if environ is None else environ
    desktops = environ.get("XDG_CURRENT_DESKTOP", "").upper().split(":")
    return "KDE" in desktops or environ.get("KDE_FULL_SESSION") == "true"


def script_text(service: str, path: str, body: str = FOCUSED_WINDOW) -> str:
    """The script that calls `path` on `service` back with its `answer` (the active window), as JSON."""
    quoted = {
        name: json.dumps(value)
        for name, value in (
            ("service", service),
            ("path", path),
            ("interface", ANSWER_INTERFACE),
            ("method", ANSWER_METHOD),
        )
    }
    return SCRIPT_TEXT % {**quoted, "body": body}


def parse_answer(text: str) -> tuple[str, Geometry] | None:
    """The focused window's script's JSON as (caption, frame), or None where no window has the focus."""
    try:
        answer = json.loads(text)
        return None if answer is None else (str(answer["caption"]), _rect(answer))
    except (ValueError, TypeError, KeyError) as error:
        raise KWinError(f"KWin's script answered {text[:80]!r}") from error


def parse_screens(text: str) -> list[tuple[str, Geometry, float, bool]]:
    """The screens' script's JSON as (name, place in the layout, scale, active) for each monitor."""
    try:
        return [
            (
                str(screen["name"]),
                _rect(screen),
                float(screen.get("scale") or 1.0),
                bool(screen.get("active")),
            )
            for screen in json.loads(text)
        ]
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise KWinError(f"KWin's script answered {text[:80]!r}") from error


def _rect(answer: dict[str, Any]) -> Geometry:
    left, top, width, height = (round(float(answer[key])) for key in ("x", "y", "width", "height"))
    return left, top, width, height


def focused(address: str | None = None, deadline: float = DEADLINE_SECONDS) -> tuple[str, Geometry] | None:
    """The focused window's caption and frame from KWin on the session bus at `address`, or None where
    no window has the focus; KWinError where KWin cannot be asked."""
    return parse_answer(ask(FOCUSED_WINDOW, address, deadline))


def screens(
    address: str | None = None, deadline: float = DEADLINE_SECONDS
) -> list[tuple[str, Geometry, float, bool]]:
    """The monitors as KWin lays them out: (name, place in logical pixels, scale, active) each."""
    return parse_screens(ask(SCREENS, address, deadline))


def ask(body: str, address: str | None = None, deadline: float = DEADLINE_SECONDS) -> str:
    """The JSON `answer` of a script of `body` that KWin on the session bus at `address` ran."""
    address = address or os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not address:
        raise KWinError("no session bus")
    from jeepney.io.threading import DBusRouter, open_dbus_connection

    try:
        connection = open_dbus_connection(address, auth_timeout=deadline)
    except (OSError, ValueError, StopIteration, TimeoutError) as error:
        raise KWinError(f"the session bus cannot be reached ({error})") from error
    try:
        with DBusRouter(connection) as router:
            return _ask(router, body, deadline)
    finally:
        connection.close()


def _ask(router: Any, body: str, deadline: float) -> str:
    from jeepney import HeaderFields, MatchRule, new_error, new_method_return

    kwin = str(
        _call(
            router,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "GetNameOwner",
            "s",
            KWIN,
            deadline=deadline,
        )[0]
    )
    token = secrets.token_hex(8)
    path = f"/org/assistant/kwin/request_{token}"
    plugin = f"assistant_question_{token}"
    answers: queue.Queue[Any] = queue.Queue()
    rule = MatchRule(type="method_call", path=path, interface=ANSWER_INTERFACE, member=ANSWER_METHOD)
    with (
        _script_file(script_text(router.unique_name, path, body)) as script,
        router.filter(rule, queue=answers),
    ):
        (script_id,) = _call(
            router,
            KWIN,
            SCRIPTING_PATH,
            SCRIPTING,
            "loadScript",
            "ss",
            str(script),
            plugin,
            deadline=deadline,
        )
        if int(script_id) < 0:
            raise KWinError("KWin refused the script")
        try:
            _run(router, int(script_id), deadline)
            end = time.monotonic() + deadline
            while True:
                try:
                    message = answers.get(timeout=max(0.0, end - time.monotonic()))
                except queue.Empty as error:
                    raise KWinError(f"KWin's script did not answer within {deadline:g} s") from error
                if message.header.fields.get(HeaderFields.sender) != kwin:
                    router.send(
                        new_error(message, "org.freedesktop.DBus.Error.AccessDenied", "s", ("not KWin",))
                    )
                    continue
                router.send(new_method_return(message))
                return str(message.body[0])
        finally:
            with contextlib.suppress(KWinError):  # a script that ended on an error is gone already
                _call(router, KWIN, SCRIPTING_PATH, SCRIPTING, "unloadScript", "s", plugin, deadline=deadline)


def _run(router: Any, script_id: int, deadline: float) -> None:
    """Run the loaded script where this KWin exports it: Plasma 6's path, then 5.27's."""
    for path in (f"/Scripting/Script{script_id}", f"/{script_id}"):
        try:
            _call(router, KWIN, path, SCRIPT, "run", "", deadline=deadline)
            return
        except KWinError as error:
            problem = error
    raise problem


@contextlib.contextmanager
def _script_file(text: str) -> Any:
    """The script in a file only this user can read (their runtime folder where there is one), removed after."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = runtime if runtime and os.path.isdir(runtime) else None
    handle, name = tempfile.mkstemp(prefix="assistant-kwin-", suffix=".js", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _call(
    router: Any,
    bus_name: str,
    path: str,
    interface: str,
    method: str,
    signature: str,
    *args: Any,
    deadline: float,
) -> Any:
    from jeepney import DBusAddress, MessageType, new_method_call

    address = DBusAddress(path, bus_name=bus_name, interface=interface)
    try:
        reply = router.send_and_get_reply(new_method_call(address, method, signature, args), timeout=deadline)
    except (TimeoutError, OSError) as error:
        raise KWinError(f"{interface}.{method} got no answer in {deadline:g} s") from error
    if reply.header.message_type == MessageType.error:
        raise KWinError(f"{interface}.{method}: {reply.body[0] if reply.body else 'failed'}")
    return reply.body
