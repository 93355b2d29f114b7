"""What the controller and its helpers tell the user through: the views that show the state, the
speech that says it, and the small interface the helpers use to do both."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol


class StatusView(Protocol):
    """Where the app shows its state: the tray icon or the fallback window."""

    def set_status(self, text: str) -> None: ...
    def show_progress(self, text: str) -> None: ...
    def show_text(self, title: str, text: str) -> None: ...
    def set_hotkeys(self, hotkeys: Mapping[str, str]) -> None: ...


class SpeechOutput(Protocol):
    """What the controller needs of the app's speaker (`assistant.speech`'s Speaker, or a stand-in)."""

    enabled: bool

    @property
    def status_message(self) -> str:
        """Why speech does not work, in one sentence; "" while it works."""
        ...

    def say(self, text: str, interrupt: bool = False) -> object: ...
    def stop(self) -> None: ...
    def voices(self) -> Iterable[object]: ...
    def set_voice(self, voice_id: str | None) -> None: ...
    def set_rate(self, words_per_minute: int | None) -> None: ...
    def set_volume(self, volume: float) -> None: ...
    def set_speak_with(self, speak_with: str) -> None: ...
    def close(self, timeout: float = 2.0) -> object: ...


class Teller(Protocol):
    """How the controller's helpers tell the user something; every state change is shown and spoken."""

    def set_status(self, text: str) -> None:
        """Show the state (tray tooltip or window) without speaking it."""
        ...

    def show_progress(self, text: str) -> None:
        """Show a count that moves (seconds, percent), never to be read out at each step."""
        ...

    def say(self, text: str, interrupt: bool = False) -> None:
        """Speak `text`, or show it where speech is off or broken."""
        ...

    def tell(self, text: str) -> None:
        """A state change: shown and spoken."""
        ...

    def fail(self, message: str) -> None:
        """A failure: the error cue, then shown and spoken at once."""
        ...

    def hush(self) -> None:
        """Stop speaking now."""
        ...
