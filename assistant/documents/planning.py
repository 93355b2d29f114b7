"""What happens to each image of a document before anything is loaded: described, or left as it is
and why (decorative, already described, remote, unwritable, or skipped by its reader)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.documents.model import ImageOccurrence, Outcome, Status
from assistant.documents.phrases import Phrase, phrase

if TYPE_CHECKING:
    from assistant.documents.runner import Options


def _left_alone(status: Status) -> Phrase | str:
    if status is Status.DECORATIVE:
        # Translators: the alt-text report, why an image marked decorative was not described.
        return phrase("Marked decorative, so left alone.")
    if status is Status.SUSPICIOUS:
        # Translators: the alt-text report, an image whose alt-text looks like a file name or "image".
        return phrase("Looks like a file name or placeholder; use --fix-suspicious to replace it.")
    if status is Status.HAS_ALT:
        # Translators: the alt-text report, an image that already has alt-text.
        return phrase("Already has alt-text; use --overwrite to replace it.")
    return ""


def wants_description(image: ImageOccurrence, options: Options) -> bool:
    """Whether the run's options ask for this image's alt-text to be written."""
    status = image.status
    return (
        status is Status.MISSING
        or (status is Status.SUSPICIOUS and options.fix_suspicious)
        or (status is Status.HAS_ALT and options.overwrite)
    )


def plan(image: ImageOccurrence, options: Options) -> bool:
    """Decide what happens to an image before loading it; True when it should be loaded. An image left
    alone gets its outcome and reason here."""
    if not wants_description(image, options):
        image.outcome = Outcome.SKIPPED if image.status is Status.DECORATIVE else Outcome.KEPT
        image.reason = _left_alone(image.status)
        return False
    if not image.writable:
        image.outcome = Outcome.SKIPPED
        return False
    if image.remote and not options.fetch_remote:
        image.status, image.outcome = Status.REMOTE, Outcome.SKIPPED
        # Translators: the alt-text report, an image on the web; --fetch-remote is an option, not translated.
        image.reason = phrase("A remote image, not downloaded (use --fetch-remote to allow it).")
        return False
    if image.skip is not None:
        image.status, image.outcome = image.skip, Outcome.SKIPPED
        return False
    return True
