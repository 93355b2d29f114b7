"""Global hotkeys: register action -> hotkey bindings with the backend this desktop supports."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from assistant.actions import NAMES
from assistant.hotkeys.backends import Backend, choose_backend
from assistant.hotkeys.combos import Hotkey, HotkeyError, parse_hotkey
from assistant.i18n import _


class GlobalHotkeys:
    """System-wide hotkeys for the app's actions.

    `on_action(action)` is called on the backend's own thread; a Qt app re-posts it to its main thread.
    """

    def __init__(
        self,
        bindings: Mapping[str, str],
        on_action: Callable[[str], None],
        backend: Backend | None = None,
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        """`on_problem(sentence)`: a binding that fails later, on the backend's thread (the desktop's
        GlobalShortcuts dialog may answer minutes after start() returned)."""
        self._bindings = dict(bindings)
        self._on_action = on_action
        self._on_problem = on_problem
        self._backend = backend
        self._started: Backend | None = None

    @property
    def backend_name(self) -> str | None:
        """The backend in use after start(), or None when no hotkeys are registered."""
        return self._started.name if self._started is not None else None

    @property
    def desktop_keys(self) -> dict[str, str]:
        """action -> the keys the desktop bound to it (the GlobalShortcuts portal, read back after each
        change in the desktop's settings); empty where the app binds the keys itself."""
        return dict(getattr(self._started, "triggers", {}))

    def start(self, chosen: tuple[Backend | None, list[str]] | None = None) -> list[str]:
        """Register every hotkey it can; returns one plain sentence per problem (empty when all is well).
        `chosen`: what `choose_backend()` answered, asked beforehand off the Qt thread (on Wayland it asks
        D-Bus); without it the backend given at construction is used, or one is chosen here."""
        self.stop()
        problems: list[str] = []
        wanted: dict[Hotkey, str] = {}
        for action, combo in self._bindings.items():
            if not combo or not combo.strip():
                continue  # this action's hotkey is turned off
            if action not in NAMES:
                problems.append(
                    # Translators: a problem with Settings' hotkeys; {action} is the name in settings.toml.
                    _(
                        'There is no action called "{action}", so the hotkey {combo} was not registered.'
                    ).format(action=action, combo=combo)
                )
                continue
            try:
                hotkey = parse_hotkey(combo)
            except HotkeyError as error:
                problems.append(
                    _("The hotkey for {action} was not registered: {error}").format(
                        action=action, error=error
                    )
                )
                continue
            if hotkey in wanted:
                problems.append(
                    _(
                        "The hotkey {hotkey} is set for both {first} and {action}, so it stays with {first}; choose another for {action} in Settings."
                    ).format(hotkey=hotkey, first=wanted[hotkey], action=action)
                )
                continue
            wanted[hotkey] = action
        if not wanted:
            return problems
        backend: Backend | None
        notes: list[str]
        if chosen is not None:
            backend, notes = chosen[0], list(chosen[1])
        elif self._backend is not None:
            backend, notes = self._backend, []
        else:
            backend, notes = choose_backend()
        problems.extend(notes)
        if backend is None:
            return problems
        from assistant.hotkeys.portal_shortcuts import PortalShortcutsBackend

        if isinstance(backend, PortalShortcutsBackend):
            backend.on_problem = self._on_problem
        problems.extend(backend.start(wanted, self._on_action))
        self._started = backend
        return problems

    def update(self, bindings: Mapping[str, str]) -> list[str]:
        """Apply new bindings (from Settings) without a restart; returns the problems, as start() does."""
        self.stop()
        self._bindings = dict(bindings)
        return self.start()

    def stop(self) -> None:
        """Unregister all hotkeys; safe to call more than once."""
        backend, self._started = self._started, None
        if backend is not None:
            backend.stop()
