"""Speech: text-to-speech (`tts`, `sentences`, `voices`) and speech-to-text (`stt`, `microphone`).

No Qt here: the UI turns the speaker's events into signals.
"""

from assistant.speech.sentences import SentenceStream, split_sentences
from assistant.speech.tts import Speaker, SpeechUnavailable, create_speaker, describe_speech
from assistant.speech.voices import Voice

__all__ = [
    "SentenceStream",
    "Speaker",
    "SpeechUnavailable",
    "Voice",
    "create_speaker",
    "describe_speech",
    "split_sentences",
]
