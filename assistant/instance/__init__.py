"""The app's single instance and its `assistant trigger ACTION` channel: the running app listens, a
second start steps aside, and `assistant trigger` hands an action to the one that runs. No Qt here.

An AF_UNIX socket in the user's runtime folder (a `multiprocessing.connection` named pipe on Windows),
carrying length-prefixed messages. The running app holds a lock on that folder, so a second app knows
to step aside and a socket left by a crashed app is recognised as stale. Each start writes a fresh
random secret to a file only the user can read; a client proves it knows the secret by an HMAC over the
server's fresh nonce and the action, so other users cannot trigger actions.

Every wait has a deadline, on both sides: connecting, and each message as a whole (a client that sends
part of a message and then nothing is dropped when its time is up). Each client is served on its own
thread, so one slow client never holds up another, and the number served at once is capped.
"""

from assistant.instance.channel import TriggerError, runtime_dir
from assistant.instance.client import NOT_RUNNING, send_trigger
from assistant.instance.server import TriggerServer

__all__ = ["NOT_RUNNING", "TriggerError", "TriggerServer", "runtime_dir", "send_trigger"]
