"""Speech: text-to-speech and speech-to-text.

Text-to-speech is one backend a file behind one interface (`backend`): `espeak`, `pyttsx3_backend`,
`recording`, and `screen_reader` (the user's screen reader, in front of the others; `orca_service`
speaks to Orca's D-Bus service, for Orca's voice and braille display), driven by the
`speaker`'s own thread; `sentences` cuts streamed text for it and `voices`
lists what the engines offer. Speech-to-text: `stt` and `microphone`. `desktop_notice` tells a user who
sees no terminal (`assistant trigger` on a key) through a desktop notification and speech-dispatcher.

No Qt here: the UI turns the speaker's events into signals.
"""

from assistant.speech.backend import SpeechUnavailable
from assistant.speech.sentences import SentenceStream, split_sentences
from assistant.speech.speaker import Speaker, create_speaker
from assistant.speech.voices import Voice

__all__ = [
    "SentenceStream",
    "Speaker",
    "SpeechUnavailable",
    "Voice",
    "create_speaker",
    "split_sentences",
]
