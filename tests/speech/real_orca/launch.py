"""Runs the Orca unpacked by setup.sh with Debian 12's python3 and at-spi2-core 2.46.

    /usr/bin/python3 launch.py DIR [orca's arguments]

Orca 51 names a few things at-spi2-core 2.46 does not have yet. Each is filled in below only where it is
missing, with what 2.46 has for it or with nothing: they serve Orca's keyboard and pointer handling and
its text selections, not what the tests use (Orca's D-Bus service and its speech).
"""

import runpy
import sys

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402


class _Live:  # politeness of live regions
    NONE, POLITE, ASSERTIVE = 0, 1, 2


class _DeviceCapability:
    NONE, POINTER_MONITOR = 0, 1


class _TextSelection:
    def __init__(self) -> None:
        self.start_object = self.end_object = None
        self.start_offset = self.end_offset = 0
        self.start_is_active = False


MISSING = {
    (Atspi, "get_version"): lambda: (2, 46, 0),
    (Atspi, "Live"): _Live,
    (Atspi, "DeviceCapability"): _DeviceCapability,
    (Atspi, "TextSelection"): _TextSelection,
    (Atspi, "role_get_localized_name"): Atspi.role_get_name,
    (Atspi.Role, "BUTTON"): Atspi.Role.PUSH_BUTTON,  # renamed after 2.46
    (Atspi.Role, "SWITCH"): 100131,  # a role no object of 2.46 has
    (Atspi.Device, "new_full"): staticmethod(lambda app_id: Atspi.Device.new()),
    (Atspi.Device, "map_keysym_modifier"): lambda self, keysym: 0,
    (Atspi.Device, "unmap_keysym_modifier"): lambda self, keysym: None,
    (Atspi.Device, "get_capabilities"): lambda self: 0,
    (Atspi.Device, "set_capabilities"): lambda self, capabilities: 0,
    (Atspi.Accessible, "get_help_text"): lambda self: "",
    (Atspi.Accessible, "clear_cache_single"): lambda self: self.clear_cache(),
    (Atspi.Document, "get_text_selections"): lambda self: [],
    (Atspi.Document, "set_text_selections"): lambda self, selections: False,
}
for (owner, name), value in MISSING.items():
    if not hasattr(owner, name):
        setattr(owner, name, value)

root = sys.argv.pop(1)
sys.path.insert(0, f"{root}/root/usr/lib/python3/dist-packages")
sys.argv[0] = f"{root}/root/usr/bin/orca"
runpy.run_path(sys.argv[0], run_name="__main__")
