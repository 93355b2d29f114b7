"""A real validator: after `assistant alt-text --write`, axe-core finds no missing text alternatives.

axe-core (pinned in tests/documents/axe/package.json, installed there with `npm ci` when missing) runs in
headless Chromium, driven through the DevTools protocol over `--remote-debugging-pipe`: no port, no network,
no extra Python package. Pages are opened from file:// URLs, so the document is checked exactly as written.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from doc_helpers import BLUE, GREEN, RED, YELLOW, png

from assistant.cli import main

try:
    import fcntl
except ImportError:  # Windows: no file descriptors 3 and 4 to hand to Chromium
    pytest.skip("the DevTools pipe to Chromium needs POSIX file descriptors", allow_module_level=True)

AXE_DIR = Path(__file__).parent / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
RULES = ("image-alt", "input-image-alt", "area-alt", "role-img-alt")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
# A guard against a hung browser, not a performance check.
DEADLINE_S = 60


def pinned_axe_version() -> str:
    lock = json.loads((AXE_DIR / "package-lock.json").read_text())
    return lock["packages"]["node_modules/axe-core"]["version"]


def installed_axe_version() -> str | None:
    manifest = AXE_SCRIPT.parent / "package.json"
    if not (AXE_SCRIPT.exists() and manifest.exists()):
        return None
    return json.loads(manifest.read_text()).get("version")


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe.min.js at the pinned version, installed with `npm ci` the first time it is needed."""
    with (AXE_DIR / "package.json").open() as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs at once install it once
        if installed_axe_version() != pinned_axe_version():
            npm = shutil.which("npm")
            if npm is None:
                pytest.skip("npm is not installed, so axe-core cannot be installed (apt-get install npm)")
            try:
                result = subprocess.run(
                    [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                    cwd=AXE_DIR,
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
            except subprocess.TimeoutExpired:
                pytest.skip("npm ci took over 5 minutes to install axe-core; is the npm registry reachable?")
            if result.returncode != 0 or installed_axe_version() != pinned_axe_version():
                pytest.skip(f"npm ci could not install axe-core in {AXE_DIR}: {result.stderr.strip()[-500:]}")
    return AXE_SCRIPT.read_text()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("Chromium is not installed, so axe-core cannot run (apt-get install chromium)")


class Chromium:
    """Headless Chromium spoken to through the DevTools protocol on fds 3 (in) and 4 (out)."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_browser, self._writer = os.pipe()
        self._reader, from_browser = os.pipe()

        def wire_pipes() -> None:  # in the child: the pipes become fds 3 and 4, as Chromium expects
            high_in = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
            high_out = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)
            os.close(high_in)
            os.close(high_out)

        self.log = profile.with_suffix(".log")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=wire_pipes,
                close_fds=False,  # our own fds are non-inheritable; only 3 and 4 reach Chromium
            )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._events: list[dict] = []
        self._last_id = 0

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.process.poll() is None:
                self.call("Browser.close")
                self.process.wait(timeout=DEADLINE_S)
        except (OSError, RuntimeError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        finally:
            os.close(self._writer)
            os.close(self._reader)

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"Chromium did not answer in {DEADLINE_S} s; its log: {self._log_tail()}")
            if select.select([self._reader], [], [], remaining)[0]:
                chunk = os.read(self._reader, 1 << 16)
                if not chunk:
                    raise RuntimeError(f"Chromium closed the DevTools pipe; its log: {self._log_tail()}")
                self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._last_id += 1
        message = {"id": self._last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._writer, data) :]
        deadline = time.monotonic() + DEADLINE_S
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._last_id:
                if "error" in reply:
                    raise RuntimeError(f"{method} failed: {reply['error']}")
                return reply["result"]
            self._events.append(reply)

    def wait_for(self, event: str, session: str) -> dict:
        deadline = time.monotonic() + DEADLINE_S
        while True:
            for index, message in enumerate(self._events):
                if message.get("method") == event and message.get("sessionId") == session:
                    return self._events.pop(index)
            self._events.append(self._receive(deadline))

    def evaluate(self, expression: str, session: str) -> object:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed in the page: {result['exceptionDetails']}")
        return result["result"].get("value")

    def audit(self, page: Path, axe_source: str) -> dict[str, dict[str, list[str]]]:
        """axe's verdict on `page` for RULES: {"violations"|"passes"|"incomplete": {rule: [node html]}}."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            self.call("Page.enable", session=session)
            self.call("Page.navigate", {"url": page.as_uri()}, session)
            self.wait_for("Page.loadEventFired", session)
            self.evaluate(axe_source, session)
            run = f"axe.run(document, {{runOnly: {{type: 'rule', values: {json.dumps(list(RULES))}}}}})"
            summary = ".then(r => Object.fromEntries(['violations', 'passes', 'incomplete'].map(k => "
            summary += "[k, Object.fromEntries(r[k].map(v => [v.id, v.nodes.map(n => n.html)]))])))"
            return self.evaluate(run + summary, session)
        finally:
            self.call("Target.closeTarget", {"targetId": target})


GREEN_URI = "data:image/png;base64," + base64.b64encode(png(GREEN)).decode()

# Valid both as HTML and as XHTML; `{xmlns}` is filled in for the XHTML copy.
PAGE = """<!DOCTYPE html>
<html{xmlns} lang="en"><head><meta charset="utf-8"/><title>Field trip</title></head>
<body>
<h1>Field trip</h1>
<p>Missing: <img src="red.png" width="32"/> <img src='blue.png'/> <img src="photos/yellow.png"/></p>
<p>The same picture again: <img src="red.png"/></p>
<p>Inline: <img src="{green}"/></p>
<p>Decorative: <img src="red.png" alt=""/> <img src="blue.png" role="presentation"/>
<img src="blue.png" role="none"/> <img src="photos/yellow.png" aria-hidden="true"/></p>
<p>Already described: <img src="blue.png" alt="A blue square"/> <img src="red.png" aria-label="Red flag"/></p>
<form action="#"><p><input type="image" src="photos/yellow.png" name="go"/></p></form>
<p><img src="map.png" usemap="#nav"/></p>
<map name="nav"><area shape="rect" coords="0,0,20,20" href="#left"/>
<area shape="rect" coords="20,0,40,20" href="#right" alt="Right"/></map>
<p>Rating: <span role="img" aria-label="Four stars">&#9733;&#9733;&#9733;&#9733;</span></p>
<p id="left">Left</p><p id="right">Right</p>
</body></html>
"""
# What axe must find before writing: five <img> (red, blue, yellow, red again, inline) and the map's picture,
# the image button, the area; the labelled <span role=img> passes.
MISSING_BEFORE = {"image-alt": 6, "input-image-alt": 1, "area-alt": 1}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "red.png").write_bytes(png(RED))
    (tmp_path / "blue.png").write_bytes(png(BLUE))
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "yellow.png").write_bytes(png(YELLOW))
    (tmp_path / "map.png").write_bytes(png(GREEN, (40, 20)))
    (tmp_path / "page.html").write_text(PAGE.format(xmlns="", green=GREEN_URI))
    (tmp_path / "page.xhtml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        + PAGE.format(xmlns=' xmlns="http://www.w3.org/1999/xhtml"', green=GREEN_URI)
    )
    return tmp_path


def node_counts(verdict: dict[str, list[str]]) -> dict[str, int]:
    return {rule: len(nodes) for rule, nodes in verdict.items() if nodes}


def checked(audit: dict[str, dict[str, list[str]]]) -> dict[str, int]:
    """How many elements each rule looked at, whatever its verdict."""
    counts: dict[str, int] = {}
    for verdict in audit.values():
        for rule, n in node_counts(verdict).items():
            counts[rule] = counts.get(rule, 0) + n
    return counts


@pytest.mark.slow
def test_written_html_passes_axe(
    site: Path, tiny_model_dir: Path, axe_source: str, chromium_path: str, tmp_path_factory, capsys
) -> None:
    pages = [site / "page.html", site / "page.xhtml"]
    profile = tmp_path_factory.mktemp("chromium") / "profile"
    with Chromium(chromium_path, profile) as browser:
        before = [browser.audit(page, axe_source) for page in pages]
        for page, verdict in zip(pages, before, strict=True):
            assert node_counts(verdict["violations"]) == MISSING_BEFORE, page.name
            assert node_counts(verdict["passes"]).get("role-img-alt") == 1, page.name

        args = ["alt-text", str(site), "--write", "--json"]
        args += ["--model", str(tiny_model_dir), "--device", "cpu", "--precision", "fp32"]
        assert main(args) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["summary"]["failed"] is False

        for page, old in zip(pages, before, strict=True):
            verdict = browser.audit(page, axe_source)
            assert verdict["violations"] == {} and verdict["incomplete"] == {}, page.name
            # Every element checked before is checked again and now passes: the page still parses the same.
            assert node_counts(verdict["passes"]) == checked(old), page.name
