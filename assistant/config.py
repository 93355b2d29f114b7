"""Settings: one typed object, loaded from and saved to a TOML file in the user's config folder.

A file that cannot be parsed is moved aside and the defaults are used; a value of the wrong type or
out of range falls back to its default. Either way the caller gets one sentence to tell the user.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import time
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
import tomli_w

from assistant.actions import DEFAULT_HOTKEYS, NAMES
from assistant.errors import UserError
from assistant.files import replace_text
from assistant.hotkeys.combos import Hotkey, HotkeyError, parse_hotkey
from assistant.i18n import _, os_reason

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "DEFAULT_HOTKEYS",
    "Hotkey",
    "HotkeyError",
    "Settings",
    "SettingsError",
    "load_settings",
    "parse_hotkey",
    "save_settings",
    "settings_path",
]

APP_NAME = "assistant"
CONFIG_DIR_ENV = "ASSISTANT_CONFIG_DIR"
SETTINGS_FILE = "settings.toml"

# The model used until the settings name another: the one place its id is written (the engine reads it).
DEFAULT_MODEL = "Salesforce/blip2-opt-2.7b"
DETAILS = ("brief", "detailed")
IDLE_MINUTES_MAX = 24 * 60
IMAGE_TOKENS_MAX = 16_384
TEXT_WORD_LIMIT_MAX = 100_000
# Speaking rates in words per minute that the settings accept and every voice is asked for: espeak-ng
# speaks no slower than 80, and up to 1000 with its speed-up, which screen-reader users often need.
RATE_RANGE = (80, 1000)
# "Speak with": the user's screen reader when one runs (else the app's own voice), the app's own voice, or both.
SPEAK_WITH = ("screen-reader", "own-voice", "both")
# How the screen is captured: "auto" lets the desktop decide (assistant.capture.backends).
CAPTURE_BACKENDS = ("auto", "mss", "grim", "portal", "screencast")
# The app's language as Settings writes it ("es", "pt_BR"), or as a locale names one ("es_MX.UTF-8@euro"):
# gettext joins it to the catalogues' folder, so a path ("/tmp/x", "../x") would load a catalogue from
# anywhere, and `doctor` says it.
_LANGUAGE_TAG = re.compile(
    r"[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,3}(?:\.[A-Za-z0-9-]{1,20})?(?:@[A-Za-z0-9]{1,20})?"
)


class SettingsError(UserError):
    """Settings could not be saved; the message is one sentence for the user."""


@dataclass
class Settings:
    """Everything the user can change. None means "the system's default"."""

    # action -> hotkey string; "" turns an action's hotkey off
    hotkeys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_HOTKEYS))
    # speech
    speech_enabled: bool = True
    voice: str | None = None
    rate: int | None = None  # words per minute
    volume: float = 1.0  # 0.0 to 1.0
    earcons: bool = True
    announce_ready: bool = True
    speak_with: str = "screen-reader"
    # model
    model: str = DEFAULT_MODEL
    device: str = "auto"
    precision: str = "auto"
    detail: str = "brief"
    free_model_after_minutes: int = 0  # let go of the model after this long without a request; 0: never
    # the most image tokens a picture becomes (Qwen3.5, SmolVLM2, Gemma 4); 0: the model family's default
    image_tokens: int = 0
    # an OpenAI-compatible model server that answers instead ("": none); the local model answers when it fails
    server: str = ""
    server_model: str = ""  # the model on it ("": the one it serves)
    # the server on another computer the user allowed to receive the screen (their answer, remembered)
    allowed_server: str = ""
    # spoken questions
    stt_model: str = "tiny.en"
    language: str = ""  # of spoken questions: "" the app's language, "auto" detected, or a code such as de
    input_device: str | None = None
    ask_after_listening: bool = True
    # the text on pictures (OCR), said after the description
    read_text_on_images: bool = True
    text_word_limit: int = 60  # words of it said before "… N more words"; 0: all
    # screen capture: the user's choice, and whether the desktop's question was asked from Settings
    capture_backend: str = "auto"
    capture_set_up: bool = False
    capture_offered: bool = False  # the first run's offer to set it up was shown (it is shown once)
    # the language the app speaks and shows ("es", "pt_BR"); "": the desktop's (assistant.i18n)
    interface_language: str = ""
    # an English-only model's answers translated into that language on this computer (assistant.engine.translate)
    translate_answers: bool = True


# Limits beyond the type; a value outside them falls back to its default.
_CHECKS: dict[str, typing.Callable[[Any], bool]] = {
    "rate": lambda value: RATE_RANGE[0] <= value <= RATE_RANGE[1],
    "volume": lambda value: 0.0 <= value <= 1.0,
    "detail": lambda value: value in DETAILS,
    "free_model_after_minutes": lambda value: 0 <= value <= IDLE_MINUTES_MAX,
    "image_tokens": lambda value: 0 <= value <= IMAGE_TOKENS_MAX,
    "text_word_limit": lambda value: 0 <= value <= TEXT_WORD_LIMIT_MAX,
    "speak_with": lambda value: value in SPEAK_WITH,
    "capture_backend": lambda value: value in CAPTURE_BACKENDS,
    "interface_language": lambda value: value == "" or _LANGUAGE_TAG.fullmatch(value) is not None,
    "model": bool,
    "device": bool,
    "precision": bool,
    "stt_model": bool,
    "voice": bool,
    "input_device": bool,
}


def settings_path() -> Path:
    """The settings file: $ASSISTANT_CONFIG_DIR/settings.toml, else the user config folder's."""
    folder = os.environ.get(CONFIG_DIR_ENV)
    base = Path(folder) if folder else platformdirs.user_config_path(APP_NAME, appauthor=False)
    return base / SETTINGS_FILE


def load_settings(path: Path | str | None = None) -> tuple[Settings, str | None]:
    """Read the settings; returns them and, when something was wrong, one sentence for the user."""
    path = Path(path) if path is not None else settings_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings(), None
    except OSError as error:
        return Settings(), (
            _(
                "The settings file {path} could not be read ({value}), so the default settings are used."
            ).format(path=path, value=os_reason(error))
        )
    try:
        # utf-8-sig: an editor's byte order mark is not damage. RecursionError: nesting deeper than
        # the parser can follow, which no settings file of ours has. ValueError (TOMLDecodeError's base,
        # UnicodeDecodeError's too): an integer longer than Python converts (4300 digits).
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return Settings(), _move_aside(path)
    settings, rejected = settings_from_dict(data)
    if rejected:
        names = ", ".join(rejected)
        return settings, (
            _(
                "Some settings in {path} could not be used ({names}), so their defaults are used instead."
            ).format(path=path, names=names)
        )
    return settings, None


def settings_from_dict(data: dict[str, Any]) -> tuple[Settings, list[str]]:
    """Build Settings from parsed TOML; unknown keys are ignored. Returns the names of rejected values."""
    defaults = Settings()
    hints = typing.get_type_hints(Settings)
    values: dict[str, Any] = {}
    rejected: list[str] = []
    for spec in dataclasses.fields(Settings):
        if spec.name == "hotkeys" or spec.name not in data:
            continue
        value = _coerce(data[spec.name], hints[spec.name])
        check = _CHECKS.get(spec.name)
        if value is _INVALID or (check is not None and not check(value)):
            rejected.append(spec.name)
        else:
            values[spec.name] = value
    hotkeys = dict(defaults.hotkeys)
    table = data.get("hotkeys", {})
    if not isinstance(table, dict):
        rejected.append("hotkeys")
        table = {}
    for action, combo in table.items():
        if action not in NAMES:
            continue
        if not isinstance(combo, str):
            rejected.append(f"hotkeys.{action}")
            continue
        if not combo.strip():
            hotkeys[action] = ""
            continue
        try:
            hotkeys[action] = str(parse_hotkey(combo))
        except HotkeyError:
            rejected.append(f"hotkeys.{action}")
    return Settings(hotkeys=hotkeys, **values), rejected


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """The TOML-ready form: None values are left out (TOML has no null), hotkeys become a table."""
    data: dict[str, Any] = {}
    for spec in dataclasses.fields(Settings):
        value = getattr(settings, spec.name)
        if value is None or spec.name == "hotkeys":
            continue
        data[spec.name] = value
    data["hotkeys"] = {action: settings.hotkeys[action] for action in NAMES if action in settings.hotkeys}
    return data


def save_settings(settings: Settings, path: Path | str | None = None) -> Path:
    """Write the settings whole or not at all, keeping the file's permissions."""
    path = Path(path) if path is not None else settings_path()
    text = _("# Settings for the assistant; the Settings window edits this file too.\n")
    text += tomli_w.dumps(settings_to_dict(settings))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_text(path, text)
    except OSError as error:
        raise SettingsError(
            _(
                "The settings could not be saved to {path} ({value}); check that the folder exists and is writable."
            ).format(path=path, value=os_reason(error))
        ) from error
    return path


_INVALID = object()


def _coerce(value: Any, hint: Any) -> Any:
    """The value as the annotated type, or _INVALID. TOML never holds None, so Optional means the inner type."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    if hint is bool:
        return value if isinstance(value, bool) else _INVALID
    if isinstance(value, bool):
        return _INVALID
    if hint is int:
        return value if isinstance(value, int) else _INVALID
    if hint is float:
        try:  # an integer of hundreds of digits is beyond any float
            return float(value) if isinstance(value, (int, float)) else _INVALID
        except OverflowError:
            return _INVALID
    if hint is str:
        return value if isinstance(value, str) else _INVALID
    return _INVALID


def _move_aside(path: Path) -> str:
    """Rename a damaged settings file to NAME.broken-YYYYmmdd-HHMMSS.toml and say so."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.broken-{stamp}{path.suffix or '.toml'}")
    counter = 1
    while target.exists():
        target = path.with_name(f"{path.stem}.broken-{stamp}-{counter}{path.suffix or '.toml'}")
        counter += 1
    try:
        os.replace(path, target)
    except OSError:
        return _(
            "The settings file {path} is damaged and could not be moved aside, so the default settings are used."
        ).format(path=path)
    return _(
        "The settings file was damaged, so it was kept as {target} and the default settings are used."
    ).format(target=target)
