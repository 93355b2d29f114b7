"""Which models we know, where they live, and downloading them with progress (no Qt, no torch)."""

from __future__ import annotations

import fnmatch
import json
import math
import os
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import DEFAULT_MODEL as DEFAULT_MODEL  # written once, with the settings
from assistant.engine.base import EngineError
from assistant.engine.catalogue import KNOWN_MODELS as KNOWN_MODELS
from assistant.engine.catalogue import KnownModel as KnownModel
from assistant.engine.catalogue import known, resolve
from assistant.i18n import N_, _, decimal


# transformers' from_pretrained swaps PreTrainedModel.tie_weights (and torch's init functions) for the
# process while it loads, and puts back what it found: two loads that overlap leave tie_weights a no-op
# for good, and every model loaded after has its tied output layer on the "meta" device ("Tensor on
# device cpu is not on the expected device meta!"; tests/engine/translate/test_loads.py). So loads
# never overlap. A model that only runs beside a load is not touched: running needs no lock here.
class _OneLoadAtATime:
    """The lock every model load holds (see above). While it is held, transformers' "Loading weights"
    bar is off: the app says what it loads in its own words and language, and a library writes nothing
    to the terminal. The bar is put back as it was when the outermost load ends."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._bar_was_on = False

    def __enter__(self) -> None:
        self._lock.acquire()
        self._depth += 1
        if self._depth == 1:
            from transformers.utils import logging as transformers_logging

            self._bar_was_on = transformers_logging.is_progress_bar_enabled()
            transformers_logging.disable_progress_bar()

    def __exit__(self, *_exc: object) -> None:
        try:
            self._depth -= 1
            if self._depth == 0 and self._bar_was_on:
                from transformers.utils import logging as transformers_logging

                transformers_logging.enable_progress_bar()
        finally:
            self._lock.release()


LOADING = _OneLoadAtATime()

if TYPE_CHECKING:
    import torch

# Said once, when the int8 model is first prepared for this computer (assistant.engine.quantized).
# Said in the user's language where they are said: _(PREPARING), _(DOWNLOADING).
PREPARING = N_("Preparing the model for this computer; this happens once.")
DOWNLOADING = N_("Downloading the model")


def is_download_progress(text: str) -> bool:
    """Whether a loading stage is the download's progress (said each quarter, shown in between)."""
    return text.startswith(_(DOWNLOADING))


# Only what loading needs: configs, tokenizer, processor and safetensors weights (never pickles);
# *.spm: the sentencepiece models of the Marian translation models' tokenizers.
ALLOW_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.spm", "tokenizer*"]


class ModelNotAvailable(EngineError):
    """The model cannot be had or read. The command line's sentence names the command that fixes it; the
    app's (`app_message`) names Settings' Model list, where the app's user chooses another."""

    def __init__(self, message: str, app_message: str = "") -> None:
        super().__init__(message)
        self.app_message = app_message


# Where the app's user chooses another model: the end of the app's sentences.
CHOOSE_IN_SETTINGS = N_("choose a downloaded model in Settings, under Descriptions, Model.")


def is_local(model: str) -> bool:
    return _on_disk(model, Path.is_dir)


def _on_disk(model: str, test: Callable[[Path], bool]) -> bool:
    try:
        return test(Path(model).expanduser())
    except (OSError, ValueError):  # a name longer than a path may be (ENAMETOOLONG) is not on the disk
        return False


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def cached_path(model: str) -> Path | None:
    """The local folder of `model` if it is a folder or already downloaded, else None."""
    model = resolve(model)
    if is_local(model):
        return Path(model).expanduser()
    from huggingface_hub import snapshot_download

    try:
        path = Path(snapshot_download(model, allow_patterns=ALLOW_PATTERNS, local_files_only=True))
    except Exception:  # any miss in the local cache means "not downloaded"
        return None
    return path if any(path.glob("*.safetensors")) else None


ProgressCallback = Callable[[str], None]


class DownloadWatcher:
    """Reports a download's progress in words ("Downloading the model: 40% of 15.5 GB") once a second.

    It watches the bytes arriving in the hub cache, so it works whatever progress bars the hub
    library draws; the total comes from the hub's file list.
    """

    def __init__(self, model: str, on_progress: ProgressCallback, interval: float = 1.0):
        from huggingface_hub.constants import HF_HUB_CACHE

        self.model, self.on_progress, self.interval = model, on_progress, interval
        self.folder = Path(HF_HUB_CACHE) / ("models--" + model.replace("/", "--")) / "blobs"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="download-progress", daemon=True)

    def __enter__(self) -> DownloadWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _total(self) -> int | None:
        from huggingface_hub import HfApi

        try:
            info = HfApi().model_info(self.model, files_metadata=True)
        except Exception:  # the total is a nicety; the download reports its own errors
            return None
        sizes = [
            f.size or 0
            for f in info.siblings or []
            if any(fnmatch.fnmatch(f.rfilename, pattern) for pattern in ALLOW_PATTERNS)
        ]
        return sum(sizes) or None

    def _arrived(self) -> int:
        try:
            return sum(f.stat().st_size for f in self.folder.iterdir() if f.is_file())
        except OSError:
            return 0

    def _run(self) -> None:
        total = self._total()
        last = ""
        while not self._stop.wait(self.interval):
            done = self._arrived()  # this repository's files only, a resumed download included
            if total:
                # Translators: {downloading} is "Downloading the model".
                message = _("{downloading}: {percent}% of {total} GB").format(
                    downloading=_(DOWNLOADING),
                    percent=min(99, int(100 * done / total)),
                    total=decimal(total / 1024**3),
                )
            else:
                amount = f"{decimal(done / 1024**3)} GB" if done >= 1024**3 else f"{done // 1024**2} MB"
                message = _("{downloading}: {amount} so far").format(
                    downloading=_(DOWNLOADING), amount=amount
                )
            if message != last:
                last = message
                self.on_progress(message)


def download(
    model: str, progress: bool = True, on_progress: ProgressCallback | None = None, again: bool = False
) -> Path:
    """Download `model` from the Hugging Face hub with a progress bar; one-sentence errors.

    `on_progress`, if given, also receives the progress in words about once a second. `again` fetches
    every file anew, for a copy that was damaged after it was downloaded (the hub trusts files it has).
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
    )

    model = resolve(model)
    how_to_fix = _("Connect to the internet once and run: assistant models download {model}").format(
        model=model
    )
    # The app downloads the model it is set to as it starts.
    app_fix = _(
        "Connect to the internet and start the assistant again, which downloads it, or {choose_in_settings}"
    ).format(choose_in_settings=_(CHOOSE_IN_SETTINGS))
    _check_hub_id(model)
    if offline():
        raise ModelNotAvailable(
            _(
                "The model {model} is not downloaded and HF_HUB_OFFLINE is set. Unset HF_HUB_OFFLINE, then run: assistant models download {model}"
            ).format(model=model),
            _(
                "The model {model} is not downloaded and HF_HUB_OFFLINE is set; unset HF_HUB_OFFLINE and start the assistant again, which downloads it, or {choose_in_settings}"
            ).format(model=model, choose_in_settings=_(CHOOSE_IN_SETTINGS)),
        )
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    was_disabled = are_progress_bars_disabled()
    if not progress:
        disable_progress_bars()
    try:
        with DownloadWatcher(model, on_progress) if on_progress else nullcontext():
            path = Path(snapshot_download(model, allow_patterns=ALLOW_PATTERNS, force_download=again))
    except (RepositoryNotFoundError, GatedRepoError):
        raise ModelNotAvailable(
            _(
                "There is no model called {model} on the Hugging Face hub. Check the name, or pass a local folder."
            ).format(model=model)
        ) from None
    except LocalEntryNotFoundError:
        unreachable = _("The model {model} is not downloaded and the hub cannot be reached. {how_to_fix}")
        raise ModelNotAvailable(
            unreachable.format(model=model, how_to_fix=how_to_fix),
            unreachable.format(model=model, how_to_fix=app_fix),
        ) from None
    except (HfHubHTTPError, OSError) as error:
        failed = _("Downloading {model} failed ({short}). {how_to_fix}")
        raise ModelNotAvailable(
            failed.format(model=model, short=_short(error), how_to_fix=how_to_fix),
            failed.format(model=model, short=_short(error), how_to_fix=app_fix),
        ) from None
    finally:
        if not was_disabled:
            enable_progress_bars()
    if not any(path.glob("*.safetensors")):
        raise ModelNotAvailable(
            _(
                "The model {model} has no safetensors weights, and this app loads no other kind. Choose another model."
            ).format(model=model)
        )
    return path


def ensure_model(
    model: str,
    progress: bool = True,
    on_progress: ProgressCallback | None = None,
    check: Callable[[Path], object] | None = None,
) -> Path:
    """The local folder of `model` (a folder, a hub id or a known model's short name), downloading it
    first if needed. `check` is given the folder of the model's config.json before its weights are
    downloaded (it raises to refuse the model: a family the app cannot run)."""
    model = resolve(model)
    if is_local(model):
        folder = Path(model).expanduser()
        if not (folder / "config.json").is_file():
            raise ModelNotAvailable(
                _("The folder {folder} holds no model (config.json is missing).").format(folder=folder)
            )
        return folder
    if _on_disk(model, Path.exists) or model.startswith((".", "/", "~")):
        raise ModelNotAvailable(
            _("The model folder {model} does not exist. Check the path.").format(model=model)
        )
    _check_hub_id(model)
    downloaded = cached_path(model)
    if downloaded is not None:
        return downloaded
    if check is not None:
        config = _config_only(model)
        if config is not None:
            check(config)
    return download(model, progress=progress, on_progress=on_progress)


def _config_only(model: str) -> Path | None:
    """The folder of the model's config.json, fetched alone; None where it cannot be fetched (the whole
    download then says why)."""
    if offline():
        return None
    from huggingface_hub import snapshot_download

    # snapshot_download asks the hub once and gives up at once when it cannot be reached;
    # hf_hub_download would retry five times over 23 s, printing each retry to the terminal.
    try:
        return Path(snapshot_download(model, allow_patterns=["config.json"]))
    except Exception:  # the download that follows reports the problem in one sentence
        return None


def _check_hub_id(model: str) -> None:
    """Refuse a name that is neither a folder nor a possible hub id (the hub library would raise a traceback)."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(model)
    except HFValidationError:
        raise ModelNotAvailable(
            _(
                "{model} is neither a model folder nor a Hugging Face model id like {default_model}. Check the name or the path."
            ).format(model=model, default_model=DEFAULT_MODEL)
        ) from None


def checkpoint_dtype(folder: Path) -> torch.dtype | None:
    """The torch dtype most of a checkpoint's weights are stored in (by parameter count), or None."""
    import torch

    names = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
    counts: dict[torch.dtype, int] = {}
    for dtype, count in _tensors(folder):
        if dtype in names:
            counts[names[dtype]] = counts.get(names[dtype], 0) + count
    return max(counts, key=counts.__getitem__) if counts else None


def count_parameters(folder: Path) -> int:
    """Parameters in a checkpoint, read from the safetensors headers without loading weights.

    A file shorter than its header says (a copy or download cut short) is refused here, before loading.
    """
    return sum(count for _dtype, count in _tensors(folder))


def _tensors(folder: Path) -> Iterator[tuple[str, int]]:
    """Each tensor in a checkpoint's safetensors files: its dtype's name ("F32", "BF16", …) and its number
    of values. A file whose header does not say that of every tensor is a damaged model."""
    for file in sorted(folder.glob("*.safetensors")):
        try:
            header = _safetensors_header(file)
            tensors = [
                (str(entry["dtype"]), math.prod(int(size) for size in entry["shape"]))
                for name, entry in header.items()
                if name != "__metadata__"
            ]
        # RecursionError: a header nested deeper than the JSON parser follows.
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError, struct.error):
            raise damaged_model(folder, file.name) from None
        yield from tensors


def _safetensors_header(file: Path) -> dict[str, Any]:
    """The header of a safetensors file, checked to describe exactly the bytes that follow it."""
    with open(file, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        size = os.fstat(handle.fileno()).st_size
        if length > size - 8:
            raise ValueError("header longer than the file")
        header = json.loads(handle.read(length))
    end = max(
        (int(entry["data_offsets"][1]) for name, entry in header.items() if name != "__metadata__"),
        default=0,
    )
    if 8 + length + end != size:
        raise ValueError("the tensors do not fill the file")
    return header


def damaged_model(folder: Path, file_name: str) -> ModelNotAvailable:
    """The sentence for a model whose files are cut short or unreadable, saying how to get them again."""
    hub_id = hub_id_of_cache_folder(folder)
    if hub_id:
        return ModelNotAvailable(
            _(
                "The model {hub_id} is damaged ({file_name} is incomplete or unreadable); download it again with: assistant models download --again {hub_id}"
            ).format(hub_id=hub_id, file_name=file_name),
            # The app downloads no model anew: another one is what its user can choose there.
            _(
                "The model {hub_id} is damaged ({file_name} is incomplete or unreadable); choose another model in Settings, under Descriptions, Model."
            ).format(hub_id=hub_id, file_name=file_name),
        )
    return ModelNotAvailable(
        _(
            "The model in {folder} is damaged ({file_name} is incomplete or unreadable); copy its files there again, or use a downloaded model (see: assistant models)."
        ).format(folder=folder, file_name=file_name),
        _(
            "The model in {folder} is damaged ({file_name} is incomplete or unreadable); copy its files there again, or {choose_in_settings}"
        ).format(folder=folder, file_name=file_name, choose_in_settings=_(CHOOSE_IN_SETTINGS)),
    )


def unreadable_model(folder: Path, error: Exception) -> ModelNotAvailable:
    """The sentence for a model that transformers or its config.json reader could not read."""
    reason = str(error).splitlines()[0][:100] if str(error) else type(error).__name__
    return ModelNotAvailable(
        _(
            "The model in {folder} could not be loaded ({splitlines}). Download it again with: assistant models download"
        ).format(folder=folder, splitlines=reason),
        _(
            "The model in {folder} could not be loaded ({splitlines}); choose another model in Settings, under Descriptions, Model."
        ).format(folder=folder, splitlines=reason),
    )


def hub_id_of_cache_folder(folder: Path) -> str | None:
    """owner/name for a snapshot folder of the hub cache (…/models--owner--name/snapshots/REVISION)."""
    parts = folder.expanduser().absolute().parts
    if len(parts) >= 3 and parts[-2] == "snapshots" and parts[-3].startswith("models--"):
        return parts[-3].removeprefix("models--").replace("--", "/", 1)
    return None


def known_parameters(model: str) -> int | None:
    found = known(model)
    return found.parameters if found is not None else None


def folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]
