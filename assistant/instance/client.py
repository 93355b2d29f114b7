"""`assistant trigger ACTION`'s side: connect to the running app within a deadline, prove the secret,
hand over the action, and say in one sentence why it was not taken."""

from __future__ import annotations

import contextlib
import socket
import sys
import time
from multiprocessing.connection import Client
from pathlib import Path

from assistant.actions import NAMES
from assistant.i18n import N_, _, os_reason
from assistant.instance.channel import ActionFailed, Channel, TriggerError, proof
from assistant.instance.messages import HELLO, Messages, PipeMessages

# Said in the user's language where it is said: _(NOT_RUNNING).
NOT_RUNNING = N_("The assistant is not running. Start it with “assistant run”.")


def send_trigger(action: str, timeout: float = 2.0, folder: Path | str | None = None) -> bool:
    """Send `action` to the running app. False: no app is running. Raises TriggerError when one is
    running but did not take the action (no answer within `timeout`, or it refused)."""
    if action not in NAMES:
        raise ValueError(f"unknown action {action!r}")
    channel = Channel(folder)
    key = channel.read_key()
    if key is None:
        return False
    deadline = time.monotonic() + timeout
    no_answer = TriggerError(
        _(
            "The assistant did not answer within {timeout:g} seconds; it may be busy, try again or restart it."
        ).format(timeout=timeout)
    )
    messages = _connect(channel, deadline, no_answer)
    if messages is None:
        return False
    try:
        hello = messages.receive()
        if not hello.startswith(HELLO):
            raise TriggerError(_("Something other than the assistant answered on its channel; restart it."))
        encoded = action.encode("ascii")
        messages.send(proof(key, hello[len(HELLO) :], encoded) + encoded)
        reply = messages.receive()
    except TimeoutError:
        raise no_answer from None
    except (OSError, EOFError) as error:
        raise TriggerError(
            _("The assistant closed the connection before taking the action; try again.")
        ) from error
    finally:
        with contextlib.suppress(OSError):
            messages.close()
    if reply == b"ok":
        return True
    if reply == b"denied":
        raise TriggerError(
            _("The running assistant did not accept the trigger's key; restart the assistant.")
        )
    if reply == b"failed":
        raise ActionFailed(
            _("The assistant could not start {action}; its window or speech says why.").format(action=action)
        )
    raise TriggerError(
        _("The running assistant does not know the action {action}; update or restart it.").format(
            action=action
        )
    )


def _connect(channel: Channel, deadline: float, no_answer: TriggerError) -> Messages | PipeMessages | None:
    """A connection to the running app before `deadline`; None when nothing listens there."""
    if sys.platform == "win32":
        try:
            return PipeMessages(Client(channel.address, channel.family), deadline)
        except (FileNotFoundError, ConnectionRefusedError):
            return None
        except OSError as error:
            raise TriggerError(
                _("The assistant could not be reached ({value}).").format(value=os_reason(error))
            ) from error
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
            sock.connect(channel.address)
            return Messages(sock, deadline)
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            return None
        except (BlockingIOError, InterruptedError):
            # Its queue of waiting connections is full (a socket that waits gives no time-out here).
            sock.close()
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        except TimeoutError:
            sock.close()
            raise no_answer from None
        except OSError as error:
            sock.close()
            raise TriggerError(
                _("The assistant could not be reached ({value}).").format(value=os_reason(error))
            ) from error
