"""A stand-in for Orca's D-Bus service on the session bus, recording every call it gets.

    python orca_service.py GENERATION VERSION RECORD [SILENT_ON]

GENERATION is "orca1" (Orca's development source: org.gnome.Orca1.Service, with DisplayMessage and
SpeakMessage, and InterruptSpeech on org.gnome.Orca1.SpeechManager) or "orca49" (org.gnome.Orca.Service
with PresentMessage only, and ExecuteCommand on org.gnome.Orca.Module at …/SpeechAndVerbosityManager),
as Orca's src/orca/dbus_service.py publishes them. Each call is appended to RECORD as a JSON line
[member, args]; introspection is answered as GDBus answers it for Orca, and not recorded. A call to
SILENT_ON (a method name) is recorded and never answered, as from an Orca stuck in an event flood.

Where SPEECHD_ADDRESS names a speech-dispatcher that answers, the stand-in speaks as Orca does
(src/orca/speechdispatcherfactory.py): one client at MESSAGE priority, each PresentMessage (and
SpeakMessage) handed to it as it comes, never cancelling the one before, and InterruptSpeech cancelling
what it is saying and all it has queued.
"""

import json
import os
import sys

from jeepney import HeaderFields, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

generation, version, record = sys.argv[1:4]
silent_on = sys.argv[4] if len(sys.argv) > 4 else None
orca1 = generation == "orca1"
prefix = "org.gnome.Orca1" if orca1 else "org.gnome.Orca"
service_path = "/" + prefix.replace(".", "/") + "/Service"
speech_path = service_path + ("/SpeechManager" if orca1 else "/SpeechAndVerbosityManager")
speech_interface = "org.gnome.Orca1.SpeechManager" if orca1 else "org.gnome.Orca.Module"


def method(name: str, ins: str, out: str) -> str:
    args = "".join(f'<arg type="{t}" direction="in"/>' for t in ins)
    return f'<method name="{name}">{args}<arg type="{out}" direction="out"/></method>'


service_methods = [
    method("GetVersion", "", "s"),
    method("PresentMessage", "s", "b"),
    method("ShowPreferences", "", "b"),
    method("Quit", "", "b"),
]
if orca1:
    service_methods += [method("SpeakMessage", "s", "b"), method("DisplayMessage", "sb", "b")]
else:
    service_methods += [method("ListModules", "", "as"), method("ListCommands", "", "a(ss)")]
if orca1:
    speech_methods = [method("InterruptSpeech", "b", "b")]
else:
    speech_methods = [method("ExecuteCommand", "sb", "b"), method("ListCommands", "", "a(ss)")]
INTROSPECTABLE = '<interface name="org.freedesktop.DBus.Introspectable"><method name="Introspect"><arg type="s" direction="out"/></method></interface>'


def node(interface: str, methods: list[str]) -> str:
    return f'<node>{INTROSPECTABLE}<interface name="{interface}">{"".join(methods)}</interface></node>'


documents = {
    service_path: node(f"{prefix}.Service", service_methods),
    speech_path: node(speech_interface, speech_methods),
}
# What each call answers, where not a boolean (by object, then method name).
answers = {
    (service_path, "GetVersion"): ("s", (version,)),
    (service_path, "ListModules"): ("as", ([speech_path.rsplit("/", 1)[1]],)),
    (service_path, "ListCommands"): ("a(ss)", ([("PresentMessage", "Presents message to the user.")],)),
    (speech_path, "ListCommands"): ("a(ss)", ([("InterruptSpeech", "Interrupts speech.")],)),
}


def orcas_voice():  # type: ignore[no-untyped-def]
    """A speech-dispatcher client set up as Orca's, or None where there is no speech-dispatcher."""
    if not os.environ.get("SPEECHD_ADDRESS"):
        return None
    from assistant.speech.screen_reader import import_speechd

    speechd = import_speechd()
    try:
        client = speechd.SSIPClient("Orca", component="default", autospawn=False)
    except Exception:
        return None
    client.set_priority(speechd.Priority.MESSAGE)
    return client


voice = orcas_voice()

with open_dbus_connection(bus="SESSION") as connection:
    connection.send_and_get_reply(message_bus.RequestName(f"{prefix}.Service"))
    print("ready", flush=True)
    while True:
        message = connection.receive()
        if message.header.message_type != MessageType.method_call:
            continue
        fields = message.header.fields
        member, path = fields.get(HeaderFields.member), fields.get(HeaderFields.path)
        if member == "Introspect":
            if path in documents:
                connection.send(new_method_return(message, "s", (documents[path],)))
            else:
                connection.send(new_error(message, "org.freedesktop.DBus.Error.UnknownObject"))
            continue
        if path not in documents or f'<method name="{member}">' not in documents[path]:
            connection.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))
            continue
        with open(record, "a", encoding="utf-8") as file:
            file.write(json.dumps([member, list(message.body)]) + "\n")
        if member == silent_on:
            continue
        if voice is not None and member in ("PresentMessage", "SpeakMessage"):
            voice.speak(message.body[0])
        elif voice is not None and "InterruptSpeech" in (member, message.body[0] if message.body else None):
            voice.cancel()
        signature, body = answers.get((path, member), ("b", (True,)))
        connection.send(new_method_return(message, signature, body))
