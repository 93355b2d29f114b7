"""Speech-to-text with faster-whisper (CTranslate2): spoken questions become text, locally.

A `Transcriber` loads its Whisper model lazily, once, on first use, and is owned by one thread (the
speech-to-text worker): create it anywhere, then call `load`, `transcribe` and `transcribe_file` only
from that thread. Audio is 16 kHz mono float32 in [-1, 1], in memory only. Every failure the user can
act on is a `SpeechInputError` whose message is one plain sentence.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import UserError
from assistant.i18n import _, os_reason
from assistant.i18n import language as app_language

if TYPE_CHECKING:
    from assistant.config import Settings

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
MAX_SECONDS = 60.0  # longest recording accepted: a question, not a dictation
DEFAULT_STT_MODEL = "tiny.en"
STT_MODEL_ENV = "ASSISTANT_STT_MODEL"
MODEL_FILES = ["config.json", "preprocessor_config.json", "model.bin", "tokenizer.json", "vocabulary.*"]


class SpeechInputError(UserError):
    """Spoken input could not be heard or understood; the message says what to do."""


class NoSpeechError(SpeechInputError):
    """The audio held no words (silence, or the user said nothing)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or _("No speech was heard; speak after the cue, a little closer to the microphone.")
        )


def default_stt_model(settings: Settings | None = None) -> str:
    """The speech-recognition model to use when none is given: $ASSISTANT_STT_MODEL, else the
    `settings`' `stt_model`, else tiny.en. The caller reads the settings (a library reads no files of
    the user's)."""
    from_env = os.environ.get(STT_MODEL_ENV, "").strip()
    if from_env:
        return from_env
    return (settings.stt_model if settings is not None else "") or DEFAULT_STT_MODEL


def default_stt_language(settings: Settings | None = None) -> str | None:
    """The language spoken questions are in, from the `settings` the caller read: their `language`,
    the app's language where that is "" (the default), None (detect) for "auto" or without settings."""
    if settings is None:
        return None
    return settings.language or app_language()


def fitting_model(model: str, language: str | None) -> str:
    """The Whisper model for questions in `language` (None: detected, in the app's language most
    likely): an English-only model named by size (tiny.en) becomes the multilingual one of that size
    (tiny) for any other language, since a *.en model hears every language as English."""
    size = model.removesuffix(".en")
    wanted = language or app_language()
    if model.endswith(".en") and size in _known_models() and wanted.split("_")[0] != "en":
        log.info("questions in %s: the multilingual %s instead of %s", wanted, size, model)
        return size
    return model


def _known_models() -> dict[str, str]:
    from faster_whisper.utils import _MODELS

    return dict(_MODELS)


def _repo_id(model: str) -> str:
    """The Hugging Face repository of a model name (tiny.en) or id (owner/name)."""
    known = _known_models()
    if model in known:
        return known[model]
    if model.count("/") == 1 and not model.startswith((".", "/", "~")):
        return model
    names = ", ".join(n for n in known if not n.startswith("distil"))
    raise SpeechInputError(
        _(
            "There is no speech-recognition model called {model!r}; use one of {names}, or a local folder."
        ).format(model=model, names=names)
    )


def _local_folder(model: str) -> Path | None:
    """The folder a model argument names, or None when it names a hub model (tiny.en, owner/name)."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise SpeechInputError(
                _(
                    "The folder {path} does not hold a CTranslate2 Whisper model (model.bin is missing); pass a folder converted for faster-whisper."
                ).format(path=path)
            )
        return path
    names_hub_model = model.count("/") <= 1 and "\\" not in model and not model.startswith((".", "/", "~"))
    if not names_hub_model:
        raise SpeechInputError(
            _("The speech-recognition model folder {path} does not exist; check the path.").format(path=path)
        )
    return None


def cached_model_path(model: str) -> Path | None:
    """Where the model's files are on this computer, or None if it is not downloaded; never downloads."""
    folder = _local_folder(model)
    if folder is not None:
        return folder
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        path = Path(snapshot_download(_repo_id(model), allow_patterns=MODEL_FILES, local_files_only=True))
    except (LocalEntryNotFoundError, OSError):
        return None
    return path if (path / "model.bin").is_file() else None


def model_path(model: str, progress: bool = True) -> Path:
    """The model's folder, downloading it from the Hugging Face hub (with a progress bar) if missing."""
    cached = cached_model_path(model)
    if cached is not None:
        return cached
    from huggingface_hub import is_offline_mode, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError
    from tqdm.auto import tqdm

    repo = _repo_id(model)
    no_network = _(
        "The speech-recognition model {model} is not downloaded and there is no network. Connect once, or pass --stt-model with a local folder."
    ).format(model=model)
    if is_offline_mode() or os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE"):
        raise SpeechInputError(no_network)

    # tqdm is generic only in its stubs (tqdm[Any] fails at run time), hence the ignore.
    class Progress(tqdm):  # type: ignore[type-arg]  # the hub's bars, labelled with the model they download
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            desc = kwargs.get("desc")
            kwargs["desc"] = (
                _("Speech model {model}: {desc}").format(model=model, desc=desc)
                if desc
                else _("Speech model {model}").format(model=model)
            )
            kwargs["disable"] = not progress
            super().__init__(*args, **kwargs)

    log.info("downloading speech-recognition model %s from %s", model, repo)
    try:
        path = snapshot_download(repo, allow_patterns=MODEL_FILES, tqdm_class=Progress)
    except RepositoryNotFoundError:
        raise SpeechInputError(
            _(
                "The speech-recognition model {model} was not found on the Hugging Face hub; check its name."
            ).format(model=model)
        ) from None
    except (LocalEntryNotFoundError, HfHubHTTPError, ConnectionError) as error:
        log.info("speech model download failed: %s", error)
        raise SpeechInputError(no_network) from None
    except OSError as error:
        raise SpeechInputError(
            _(
                "The speech-recognition model {model} could not be saved ({value}); free some disk space and try again."
            ).format(model=model, value=os_reason(error))
        ) from None
    return Path(path)


def choose_device(device: str = "auto", compute_type: str = "auto") -> tuple[str, str]:
    """(device, compute_type): CUDA with float16 where CTranslate2 sees a GPU, else CPU with int8."""
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if device not in ("cpu", "cuda"):
        raise SpeechInputError(
            _("The speech device {device!r} is not known; use auto, cpu or cuda.").format(device=device)
        )
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


def _language_code(language: str | None) -> str | None:
    """Whisper's two-letter code from a setting like "en", "en-GB" or "auto"; None means detect."""
    if language is None or language.strip().lower() in ("", "auto"):
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = language.strip().lower().replace("_", "-").split("-")[0]
    if code not in _LANGUAGE_CODES:
        raise SpeechInputError(
            _(
                "Speech recognition does not know the language {language!r}; use a code such as en, de or fr."
            ).format(language=language)
        )
    return code


def as_mono_float(samples: Any) -> np.ndarray:
    """Samples as a 1-D float32 array in [-1, 1]; accepts int16 and (frames, channels) arrays."""
    audio = np.asarray(samples)
    if np.issubdtype(audio.dtype, np.integer):
        audio = audio.astype(np.float32) / (float(np.iinfo(audio.dtype).max) + 1.0)
    if audio.ndim == 2:
        audio = audio.mean(axis=1)
    if audio.ndim != 1:
        raise SpeechInputError(_("The recording is not mono or stereo sound; record it again."))
    return audio.astype(np.float32, copy=False)


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Resample mono float32 audio with FFmpeg's resampler (through PyAV, as faster-whisper decodes)."""
    if rate == target or samples.size == 0:
        return samples
    import av
    from av.audio.resampler import AudioResampler

    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples, np.float32)[None, :], "flt", "mono")
    frame.sample_rate = rate
    resampler = AudioResampler(format="flt", layout="mono", rate=target)
    out = [f.to_ndarray().reshape(-1) for f in (*resampler.resample(frame), *resampler.resample(None))]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def check_audio(samples: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Raise SpeechInputError for audio that cannot be a question: empty, damaged or too long."""
    if samples.size == 0:
        raise SpeechInputError(_("The recording is empty; record the question again."))
    if not np.all(np.isfinite(samples)):
        raise SpeechInputError(_("The recording is damaged (it holds invalid samples); record it again."))
    if samples.size / rate > MAX_SECONDS:
        raise _too_long(samples.size / rate)


def _too_long(seconds: float) -> SpeechInputError:
    return SpeechInputError(
        _(
            "The recording is {seconds:.0f} seconds long; a spoken question can be at most {max_seconds:.0f} seconds, so ask a shorter one."
        ).format(seconds=seconds, max_seconds=MAX_SECONDS)
    )


def decode_file(path: str | os.PathLike[str]) -> np.ndarray:
    """Decode WAV, FLAC, OGG, MP3 (anything FFmpeg reads) to 16 kHz mono float32."""
    file = Path(path)
    if not file.is_file():
        raise SpeechInputError(_("The audio file {file} was not found; check the path.").format(file=file))
    if file.stat().st_size == 0:
        raise SpeechInputError(
            _("The audio file {file} is empty; record the question again.").format(file=file)
        )
    import av
    from faster_whisper import decode_audio

    unreadable = _(
        "The file {file} could not be read as audio (it may be damaged or in another format); use a WAV, FLAC, OGG or MP3 recording."
    ).format(file=file)
    try:
        with av.open(str(file), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise SpeechInputError(unreadable)
            if container.duration is not None and container.duration / av.time_base > MAX_SECONDS + 1:
                raise _too_long(container.duration / av.time_base)
        samples = decode_audio(str(file), sampling_rate=SAMPLE_RATE)
    except SpeechInputError:
        raise
    except (av.FFmpegError, OSError, ValueError, IndexError) as error:
        log.info("cannot decode %s: %s", file, error)
        raise SpeechInputError(unreadable) from None
    check_audio(samples)
    return samples


class Transcriber:
    """Whisper speech recognition through faster-whisper; see the module docstring for threading.

    `model` is a name (tiny.en, base.en, small, … large-v3), a hub id (owner/name) or a local
    CTranslate2 folder; None means `default_stt_model()` (without the settings: give the settings'
    model, as the command line and the app do). `language` is a code ("en", "de-DE") or
    None/"auto" to detect; an English-only model named by size (tiny.en) is replaced by the
    multilingual one of its size where the language (or, detecting, the app's) is not English.
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        device: str = "auto",
        compute_type: str = "auto",
        language: str | None = None,
        beam_size: int = 1,
        cpu_threads: int = 0,
        progress: bool = True,
    ) -> None:
        self.language = _language_code(language)
        self.model_name = fitting_model(
            str(model) if model is not None else default_stt_model(), self.language
        )
        self.device, self.compute_type = choose_device(device, compute_type)
        self.beam_size = beam_size
        self.cpu_threads = cpu_threads or min(4, os.cpu_count() or 1)
        self.progress = progress
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def summary(self) -> str:
        """One line: which speech model runs where, in what precision."""
        where = "CUDA GPU" if self.device == "cuda" else "CPU"
        return _("faster-whisper {model_name} on {where} ({compute_type})").format(
            model_name=self.model_name, where=where, compute_type=self.compute_type
        )

    def load(self) -> None:
        """Download (if needed) and load the model; later calls return at once."""
        with self._lock:
            if self._model is None:
                started = time.perf_counter()
                self._model = self._load_model()
                log.info("loaded %s in %.2f s", self.summary, time.perf_counter() - started)

    def _load_model(self) -> Any:
        path = model_path(self.model_name, progress=self.progress)
        try:
            return self._open(path, self.device, self.compute_type)
        except (RuntimeError, ValueError, OSError) as error:
            log.info("cannot load speech model %s on %s: %s", path, self.device, error)
            if self.device != "cuda":
                raise SpeechInputError(
                    _(
                        "The speech-recognition model in {path} could not be loaded; it may be damaged, so delete it to download it again, or choose another model."
                    ).format(path=path)
                ) from None
        self.device, self.compute_type = "cpu", "int8"  # a GPU without working CUDA libraries
        return self._load_model()

    def _open(self, path: Path, device: str, compute_type: str) -> Any:
        from faster_whisper import WhisperModel

        return WhisperModel(str(path), device=device, compute_type=compute_type, cpu_threads=self.cpu_threads)

    def transcribe(self, samples: Any, sample_rate: int = SAMPLE_RATE) -> str:
        """The words spoken in `samples` (mono, 16 kHz unless `sample_rate` says otherwise).

        Raises SpeechInputError for empty, damaged or too long audio, NoSpeechError when no words
        were heard.
        """
        audio = resample(as_mono_float(samples), sample_rate)
        check_audio(audio)
        if float(np.max(np.abs(audio))) < 1e-3:  # digital silence: Whisper would invent words
            raise NoSpeechError()
        self.load()
        segments, _info = self._model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
        )
        text = " ".join(" ".join(segment.text.split()) for segment in segments).strip()
        if not text:
            raise NoSpeechError()
        return text

    def transcribe_file(self, path: str | os.PathLike[str]) -> str:
        """The words spoken in an audio file (WAV, FLAC, OGG, MP3; any rate, any channels)."""
        return self.transcribe(decode_file(path))


def describe_stt(model: str | None = None, settings: Settings | None = None) -> list[str]:
    """Lines for `assistant doctor`: the speech model, whether it is downloaded, and where it would run."""
    # The model the app will use: an English-only one gives way to its multilingual size for other languages.
    name = fitting_model(model or default_stt_model(settings), default_stt_language(settings))
    lines = [_("Speech-to-text model: {name} (faster-whisper)").format(name=name)]
    try:
        path = cached_model_path(name)
        if path is None:
            _repo_id(name)
            lines.append(_("Speech model files: not downloaded; fetched on first use (needs a network once)"))
        else:
            lines.append(_("Speech model files: {path}").format(path=path))
        device, compute_type = choose_device()
        where = "CUDA GPU" if device == "cuda" else _("CPU (no CUDA GPU seen by CTranslate2)")
        lines.append(
            _("Speech device: {where}, {compute_type}").format(where=where, compute_type=compute_type)
        )
    except (SpeechInputError, ImportError) as error:
        lines.append(_("Speech model problem: {error}").format(error=error))
    return lines
