"""The shared harness itself: a test that leaves a thread or QThread running fails; one that ends its
threads passes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A test folder with this suite's conftest (a short grace for ending threads, to keep this quick)."""
    source = CONFTEST.read_text(encoding="utf-8")
    assert "THREAD_GRACE_S = 10.0" in source
    pytester.makeconftest(source.replace("THREAD_GRACE_S = 10.0", "THREAD_GRACE_S = 0.5"))
    shutil.copytree(CONFTEST.with_name("fixtures"), pytester.path / "fixtures")  # the plugins it loads
    return pytester


def test_a_thread_left_running_fails_the_test(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_leaky="""
        import threading

        def test_leaks():
            threading.Thread(target=threading.Event().wait, name="forgotten", daemon=True).start()
        """
    )
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the test left threads running: forgotten (daemon)*"])


def test_a_qthread_left_running_fails_the_test(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("PySide6.QtCore")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    suite.makepyfile(
        test_leaky_qt="""
        from PySide6.QtCore import QThread

        kept = []

        def test_leaks(qapp):
            thread = QThread()
            thread.setObjectName("forgotten-qt")
            thread.start()
            kept.append(thread)

        def test_ends_its_qthread(qapp):
            thread = QThread()
            thread.start()
            thread.quit()
            assert thread.wait(10000)
        """
    )
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*the test left threads running: QThread forgotten-qt*"])


def test_threads_that_end_and_library_threads_pass(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_tidy="""
        import threading
        import time

        def test_ends_its_thread():
            stop = threading.Event()
            thread = threading.Thread(target=stop.wait, name="worker")
            thread.start()
            stop.set()  # ending, not yet ended when the test returns: the grace covers it

        def test_a_library_thread_may_stay():
            threading.Thread(target=threading.Event().wait, name="tqdm_monitor", daemon=True).start()
        """
    )
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
