"""Where the channel lives and who may use it: the user's private runtime folder, the socket's (or
pipe's) address in it, the lock the running app holds, and the secret a client proves it knows."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
import sys
import tempfile
import warnings
from pathlib import Path

import platformdirs

from assistant.errors import UserError
from assistant.files import replace_text
from assistant.i18n import _, os_reason

RUNTIME_DIR_ENV = "ASSISTANT_RUNTIME_DIR"
APP_NAME = "assistant"


class TriggerError(UserError):
    """The trigger channel failed in a way the user should hear about; the message is one sentence."""

    said_by_app = False  # the running app took the action and says itself why it failed


class ActionFailed(TriggerError):
    """The running app took the action and it failed: the app's window or speech says why."""

    said_by_app = True


def runtime_dir() -> Path:
    """$ASSISTANT_RUNTIME_DIR, else the user's runtime folder ($XDG_RUNTIME_DIR/assistant on Linux).

    Without XDG_RUNTIME_DIR the folder is assistant-UID right in the temporary folder, whose sticky bit
    keeps other users from renaming or replacing it (inside a folder of theirs, they could); `prepare`
    then insists that it is a real folder of ours that no one else can enter.
    """
    folder = os.environ.get(RUNTIME_DIR_ENV)
    if folder:
        return Path(folder)
    if _shared_fallback_needed():
        return Path(tempfile.gettempdir()) / f"{APP_NAME}-{os.getuid()}"
    with warnings.catch_warnings():  # platformdirs warns when it falls back from a missing XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        return platformdirs.user_runtime_path(APP_NAME, appauthor=False)


def _shared_fallback_needed() -> bool:
    return sys.platform not in ("win32", "darwin") and not os.environ.get("XDG_RUNTIME_DIR")


class Channel:
    """Where the socket (or pipe), the secret and the lock live for one runtime folder."""

    def __init__(self, folder: Path | str | None) -> None:
        self.folder = Path(folder) if folder is not None else runtime_dir()
        self.key_path = self.folder / "trigger.key"
        self.lock_path = self.folder / "trigger.lock"
        if sys.platform == "win32":
            digest = hashlib.sha256(str(self.folder.resolve()).lower().encode()).hexdigest()[:16]
            self.family = "AF_PIPE"
            self.address = rf"\\.\pipe\assistant-trigger-{digest}"
        else:
            self.family = "AF_UNIX"
            self.address = str(self.folder / "trigger.sock")

    def prepare(self) -> None:
        """Create the folder (private to the user) and refuse one that someone else could change."""
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.mkdir(self.folder, 0o700)
            info = os.lstat(self.folder)
        except OSError as error:
            raise TriggerError(
                _(
                    "The folder {folder} for “assistant trigger” could not be created ({value}); set {runtime_dir_env} to a private folder."
                ).format(folder=self.folder, value=os_reason(error), runtime_dir_env=RUNTIME_DIR_ENV)
            ) from error
        if sys.platform == "win32":
            return
        if not stat.S_ISDIR(info.st_mode):
            raise TriggerError(
                _(
                    "{folder} is not a folder (it may be a link someone else made), so “assistant trigger” is turned off; set {runtime_dir_env} to a private folder."
                ).format(folder=self.folder, runtime_dir_env=RUNTIME_DIR_ENV)
            )
        if info.st_uid != os.getuid():
            raise TriggerError(
                _(
                    "The folder {folder} belongs to another user, so “assistant trigger” is turned off; set {runtime_dir_env} to a private folder."
                ).format(folder=self.folder, runtime_dir_env=RUNTIME_DIR_ENV)
            )
        if info.st_mode & 0o077:
            # Ours, so ours to close: anyone who could enter it could have swapped the files in it.
            try:
                os.chmod(self.folder, 0o700)
            except OSError as error:
                raise TriggerError(
                    _(
                        "The folder {folder} is open to other users and could not be made private ({value}); set {runtime_dir_env} to a private folder."
                    ).format(folder=self.folder, value=os_reason(error), runtime_dir_env=RUNTIME_DIR_ENV)
                ) from error
        if len(os.fsencode(self.address)) > 100:
            raise TriggerError(
                _(
                    "The folder {folder} has too long a path for the trigger socket; set {runtime_dir_env} to a shorter one."
                ).format(folder=self.folder, runtime_dir_env=RUNTIME_DIR_ENV)
            )

    def write_key(self) -> bytes:
        """A fresh secret, written atomically to a file only this user can read; returns the derived key."""
        secret = secrets.token_hex(32)
        replace_text(self.key_path, secret, mode=0o600)
        return derive_key(secret)

    def read_key(self) -> bytes | None:
        """The key of the running app, or None when no app has written one."""
        try:
            with open(self.key_path, encoding="ascii") as handle:
                if sys.platform != "win32":
                    info = os.fstat(handle.fileno())
                    if info.st_uid != os.getuid() or info.st_mode & 0o077:
                        raise TriggerError(
                            _(
                                "The trigger key {key_path} is not private to you, so it was not used; restart the assistant to make a new one."
                            ).format(key_path=self.key_path)
                        )
                secret = handle.read().strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise TriggerError(
                _("The trigger key {key_path} could not be read ({error}); restart the assistant.").format(
                    key_path=self.key_path, error=error
                )
            ) from error
        return derive_key(secret) if secret else None


def derive_key(secret: str) -> bytes:
    return hashlib.sha256(b"assistant trigger key\0" + secret.encode("ascii")).digest()


def proof(key: bytes, nonce: bytes, action: bytes) -> bytes:
    return hmac.new(key, nonce + b"\0" + action, hashlib.sha256).digest()
