"""The running app under Xvfb with a real system tray (trayer, an XEmbed tray host): the icon goes into
the tray and no fallback window appears, the app speaks and describes as usual, and the tray menu offers
every action by name to a screen reader and runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from e2e_harness import SYSTEM_PYTHON, Desktop, RunningApp, atspi_listener, wait_for

from assistant.actions import ACTIONS

Display = pytest.importorskip("Xlib.display", reason="needs python-xlib (pynput brings it on Linux)").Display
X = pytest.importorskip("Xlib.X")
XError = pytest.importorskip("Xlib.error").XError

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("trayer") is None, reason="needs trayer (apt-get install trayer)"),
]

LOUD = 1000  # a peak above this is speech, not silence (16-bit samples)

# Runs in Debian's Python, where pyatspi is. Qt leaves popup menus out of the application's accessible
# tree, so a screen reader meets the tray menu through the focus event of its highlighted item: print
# that item's menu and every entry in it, as a screen reader would find them, then stop.
MENU_LISTENER = """
import json, sys
try:
    import pyatspi
except ImportError:
    sys.exit("pyatspi is missing")

def focused(event):
    item = event.source
    if not event.detail1 or item is None or item.getRoleName() != "menu item":
        return
    menu = item.parent
    entries = [menu.getChildAtIndex(i) for i in range(menu.childCount)]
    print(json.dumps({
        "application": item.getApplication().name,
        "menu": menu.getRoleName(),
        "items": [[entry.getRoleName(), entry.name] for entry in entries],
    }), flush=True)
    pyatspi.Registry.stop()

pyatspi.Registry.registerEventListener(focused, "object:state-changed:focused")
print("listening", flush=True)
pyatspi.Registry.start()
"""

# Each announcement an application makes (what a screen reader speaks, as Orca 45 and later do), one JSON
# line each.
ANNOUNCEMENT_LISTENER = """
import json, sys
try:
    import pyatspi
except ImportError:
    sys.exit("pyatspi is missing")

def heard(event):
    print(json.dumps({"application": event.source.getApplication().name, "text": str(event.any_data)}),
          flush=True)

pyatspi.Registry.registerEventListener(heard, "object:announcement")
print("listening", flush=True)
pyatspi.Registry.start()
"""


class Screen:
    """What the X server shows: which windows are mapped, whose they are, and inside what."""

    def __init__(self, display: str) -> None:
        self.display = Display(display)
        self.root = self.display.screen().root
        self._pid_atom = self.display.intern_atom("_NET_WM_PID")
        self._type_atom = self.display.intern_atom("_NET_WM_WINDOW_TYPE")
        self._menu_type = self.display.intern_atom("_NET_WM_WINDOW_TYPE_POPUP_MENU")

    def close(self) -> None:
        self.display.close()

    def tray_owner(self) -> int:
        """The window that owns the system tray selection (0 while there is no tray)."""
        owner = self.display.get_selection_owner(self.display.intern_atom("_NET_SYSTEM_TRAY_S0"))
        return owner.id if owner else 0

    def _pid(self, window) -> int | None:
        try:
            value = window.get_full_property(self._pid_atom, X.AnyPropertyType)
        except XError:
            return None
        return int(value.value[0]) if value else None

    def _viewable(self, window) -> bool:
        try:
            return window.get_attributes().map_state == X.IsViewable
        except XError:
            return False

    def _under(self, window) -> list:
        try:
            children = window.query_tree().children
        except XError:
            return []
        return [found for child in children for found in (child, *self._under(child))]

    def top_level(self, pid: int) -> list[int]:
        """The process's windows that are shown on their own (not inside another program's window)."""
        return [w.id for w in self.root.query_tree().children if self._pid(w) == pid and self._viewable(w)]

    def menus(self, pid: int) -> list[int]:
        """The process's pop-up menus that are open."""
        found = []
        for window in self.top_level(pid):
            try:
                types = self.display.create_resource_object("window", window).get_full_property(
                    self._type_atom, X.AnyPropertyType
                )
            except XError:
                continue
            if types and self._menu_type in types.value:
                found.append(window)
        return found

    def embedded(self, pid: int, host_pid: int) -> list[int]:
        """The process's windows that are shown inside a window of the host process."""
        return [
            window.id
            for top in self.root.query_tree().children
            if self._pid(top) == host_pid
            for window in self._under(top)
            if self._pid(window) == pid and self._viewable(window)
        ]


@dataclass
class Tray:
    """A display with trayer's system tray on it."""

    desktop: Desktop
    screen: Screen
    host: subprocess.Popen

    def icon(self, app: RunningApp) -> int:
        """The X window of the app's icon, once the tray shows it."""
        app.check_alive()
        found = wait_for(
            lambda: self.screen.embedded(app.process.pid, self.host.pid), 15, "the app's icon in the tray"
        )
        return found[0]  # type: ignore[index]

    def open_menu(self, app: RunningApp) -> None:
        """Right-click the app's icon, as a sighted user would."""
        app.run("xdotool", "mousemove", "--window", str(self.icon(app)), "6", "6", "click", "3", check=True)
        wait_for(lambda: self.screen.menus(app.process.pid), 10, "the tray menu")
        # Away from the icon, so that no tooltip opens over it when the menu closes.
        app.run("xdotool", "mousemove", "0", "0", check=True)

    def choose(self, app: RunningApp, key: str, what: str) -> None:
        """Press `key` in the open menu until the menu takes it and closes (its keyboard grab may come
        a moment after it is shown; a second press after it closed goes nowhere)."""

        def chosen():
            if self.screen.menus(app.process.pid):
                app.key(key)
            return not self.screen.menus(app.process.pid)

        wait_for(chosen, 10, what, interval=0.3)


@pytest.fixture(scope="module", autouse=True)
def tray(desktop: Desktop) -> Iterator[Tray]:
    """The module's desktop (the conftest's, where `start_app` starts the app) with a system tray, there
    before any app starts (autouse: set up ahead of the function-scoped `start_app`)."""
    screen = Screen(desktop.env["DISPLAY"])
    host = subprocess.Popen(
        ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "24"],
        env=desktop.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    desktop.processes.append(host)
    try:
        wait_for(screen.tray_owner, 15, "trayer taking the system tray")
        yield Tray(desktop, screen, host)
    finally:
        screen.close()


def test_the_icon_goes_into_the_tray_and_the_hotkey_describes_aloud(start_app, tray, text_on_screen):
    app = start_app()  # waits for the spoken "Ready."
    tray.icon(app)
    assert tray.screen.top_level(app.process.pid) == []  # no fallback window: the tray is the way in
    before = app.last_number()
    app.key("ctrl+alt+d")
    said = app.wait_utterance(before, timeout=25, what="a spoken description")
    assert said.text and "[stopped]" not in said.text and "blank" not in said.text
    assert said.peak() > LOUD
    text = wait_for(
        lambda: [u for u in app.utterances() if u.number > said.number and u.text.startswith("Text on it:")],
        40,
        "the window's text read after the description",
    )
    assert "[stopped]" not in text[0].text  # type: ignore[index]
    before = app.last_number()
    app.trigger("describe-screen")
    said = app.wait_utterance(before, timeout=25, what="a spoken description from `assistant trigger`")
    assert "[stopped]" not in said.text
    assert said.peak() > LOUD


def test_an_empty_screen_is_called_blank_not_described(start_app, tray):
    """Nothing on the screen but the tray's thin panel: blank, and the model is not run."""
    app = start_app()
    tray.icon(app)
    before = app.last_number()
    app.key("ctrl+alt+d")
    said = app.wait_utterance(before, timeout=25, what="the spoken blank screen")
    assert said.text == "The screen is blank: all black."
    assert said.peak() > LOUD
    app.trigger("ask")  # nothing was described or kept: there is no image to ask about
    after = app.wait_utterance(said.number, timeout=15, what="the dialog's hint")
    assert after.text.startswith("There is no image yet.")


def test_the_tray_menu_runs_its_actions(start_app, tray, text_on_screen):
    app = start_app()
    tray.open_menu(app)
    before = app.last_number()
    tray.choose(app, "s", "choosing Describe &screen in the tray menu")
    said = app.wait_utterance(before, timeout=25, what="a description chosen from the tray menu")
    assert "[stopped]" not in said.text and "blank" not in said.text
    assert said.peak() > LOUD
    tray.open_menu(app)
    tray.choose(app, "q", "choosing &Quit in the tray menu")
    try:
        app.process.wait(15)
    except subprocess.TimeoutExpired:
        pytest.fail("Quit in the tray menu did not end the app")
    assert app.process.returncode == 0


@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="needs Debian's python3 with python3-pyatspi")
def test_a_screen_reader_hears_every_tray_menu_item_by_name(start_app, tray, tmp_path):
    app = start_app()
    with atspi_listener(MENU_LISTENER, app.env, tmp_path) as heard:
        tray.open_menu(app)

        def focus_an_item():
            # Qt sends focus events only once it has heard that someone listens: move until one comes.
            app.key("Down")
            said = heard.read_text()
            return said.count("\n") > 1 and said.splitlines()[1]  # a whole line after "listening"

        line = wait_for(focus_an_item, 15, "a focus event from a tray menu item", interval=0.5)
        app.key("Escape")
    menu = json.loads(line)  # type: ignore[arg-type]
    assert menu["application"] == "assistant"
    assert menu["menu"] == "popup menu"
    named = [name.split("\t")[0] for role, name in menu["items"] if role == "menu item"]
    assert named == [action.label.replace("&", "") for action in ACTIONS]


@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="needs Debian's python3 with python3-pyatspi")
def test_with_speech_off_a_failure_reaches_the_screen_reader_once(start_app, tray, tmp_path):
    """The app's speech off (the user's screen reader speaks), with a tray: a failure was only a tray
    balloon, which no notification daemon carries to a screen reader here. It is announced, once."""
    problem = "There is no image on the clipboard. Copy an image first, then try again."
    no_image = "There is no image yet."
    with atspi_listener(ANNOUNCEMENT_LISTENER, tray.desktop.env, tmp_path) as heard:

        def announced() -> list[str]:
            lines = [json.loads(line) for line in heard.read_text().splitlines()[1:]]
            return [line["text"] for line in lines if line["application"] == "assistant"]

        app = start_app(settings="rate = 300\nspeech_enabled = false\n", wait_ready=tray.icon)
        app.trigger("describe-clipboard")  # nothing on this display's clipboard
        wait_for(lambda: problem in announced(), 30, "the failure announced")
        app.trigger("ask")  # no picture: the dialog opens and the hint is said (announced) once
        wait_for(lambda: any(text.startswith(no_image) for text in announced()), 15, "the dialog's hint")
        app.key("Escape")
        app.trigger("describe-clipboard")  # the last: what came before it has all been announced
        wait_for(lambda: announced().count(problem) == 2, 15, "the failure announced again")
    said = [no_image if text.startswith(no_image) else text for text in announced()]
    assert [text for text in said if text in (problem, no_image)] == [problem, no_image, problem]
    assert app.utterances() == []  # the app's own voice said nothing
