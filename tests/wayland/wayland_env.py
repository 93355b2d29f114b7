"""The environment of a Wayland session as the app reads it (no compositor of its own)."""

WAYLAND = {"WAYLAND_DISPLAY": "wayland-test", "XDG_CURRENT_DESKTOP": "assistant-test"}
