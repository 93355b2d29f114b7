"""Showing a run's results: plain text for people, JSON or CSV for scripts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TextIO

from assistant.documents.model import ImageOccurrence, Outcome, Status
from assistant.documents.phrases import said
from assistant.documents.results import RunReport
from assistant.files import replace_text
from assistant.i18n import _, ngettext, pgettext
from assistant.text_safety import for_file, for_terminal, json_line

CSV_FIELDS = (
    "document",
    "format",
    "location",
    "source",
    "status",
    "current_alt",
    "new_alt",
    "outcome",
    "reason",
)


def _quote(text: str | None) -> str:
    # Translators: the alt-text report, the alt-text of an image that has none at all.
    return pgettext("alt-text", "nothing") if text is None else json.dumps(said(text), ensure_ascii=False)


def status_word(status: Status) -> str:
    """The status as the report shows it; the JSON and CSV keep `status.value`."""
    words = {
        # Translators: the alt-text report, the words for where an image stands before the run.
        Status.MISSING: pgettext("image status", "missing"),
        Status.SUSPICIOUS: pgettext("image status", "suspicious"),
        Status.HAS_ALT: pgettext("image status", "has-alt"),
        Status.DECORATIVE: pgettext("image status", "decorative"),
        Status.TOO_SMALL: pgettext("image status", "too-small"),
        Status.REMOTE: pgettext("image status", "remote"),
        Status.OUTSIDE: pgettext("image status", "outside"),
        Status.LINKED: pgettext("image status", "linked"),
        Status.VECTOR: pgettext("image status", "vector"),
        Status.FAILED: pgettext("image status", "failed"),
    }
    return words[status]


def outcome_word(outcome: Outcome) -> str:
    """The outcome as the report shows it; the JSON and CSV keep `outcome.value`."""
    words = {
        # Translators: the alt-text report, the words for what the run did with an image.
        Outcome.WRITTEN: pgettext("image outcome", "written"),
        Outcome.WOULD_WRITE: pgettext("image outcome", "would-write"),
        Outcome.KEPT: pgettext("image outcome", "kept"),
        Outcome.SKIPPED: pgettext("image outcome", "skipped"),
        Outcome.FAILED: pgettext("image outcome", "failed"),
        Outcome.NOT_DONE: pgettext("image outcome", "not-done"),
    }
    return words[outcome]


def _image_line(image: ImageOccurrence) -> str:
    alt = _quote(image.current_alt)
    if image.outcome is Outcome.WRITTEN:
        # Translators: the alt-text report, an image given new alt-text; {alt} is in quotes.
        what = _("wrote {alt}").format(alt=_quote(image.new_alt))
    elif image.outcome is Outcome.WOULD_WRITE:
        # Translators: the alt-text report of a dry run, the alt-text --write would give an image.
        what = _("would write {alt}").format(alt=_quote(image.new_alt))
    elif image.reason:
        # Translators: the alt-text report: what the run did with an image ("skipped") and why.
        what = _("{outcome}: {reason}").format(outcome=outcome_word(image.outcome), reason=said(image.reason))
    else:
        what = outcome_word(image.outcome)
    # Translators: one image in the alt-text report: where it is, its status ("missing", "has-alt"),
    # the alt-text it has now, and what was done with it.
    return _("  {location}: {status}, alt {alt} -> {what}").format(
        location=said(image.location), status=status_word(image.status), alt=alt, what=what
    )


def print_text(report: RunReport, out: TextIO, written: bool) -> None:
    """Per document, each image: what it has now and what was (or would be) written. Names, sources and
    reasons come from the documents, so each line is escaped: none can move the cursor or forge a line.
    The report's own words are in the user's language (the JSON and CSV keep their codes)."""

    def say(line: str) -> None:
        print(for_terminal(line), file=out)

    for document in report.documents:
        label = f" ({document.format})" if document.format else ""
        say(f"{document.path}{label}")
        if document.error:
            say(_("  Failed: {error}").format(error=said(document.error)))
        for note in document.notes:
            say(f"  {said(note)}")
        for image in document.images:
            say(_image_line(image))
        if not document.images and not document.error:
            say(_("  No images."))
        if document.written_to:
            say(_("  Written through the link to {written_to}").format(written_to=document.written_to))
        if document.backup:
            say(_("  Original kept as {backup}").format(backup=document.backup))
    say(summary_line(report, written))


def summary_line(report: RunReport, written: bool) -> str:
    counts = report.counts()
    documents, images, unreadable = counts["documents"], counts["images"], counts["documents_failed"]
    kept, skipped, failed = counts.get("kept", 0), counts.get("skipped", 0), counts.get("failed", 0)
    not_done = counts.get("not-done", 0)
    done = counts.get("written", 0) if written else counts.get("would-write", 0)
    # Translators: the pieces of the alt-text report's summary ("Summary: 3 documents, 5 images, …").
    pieces = [
        ngettext("{count} document", "{count} documents", documents).format(count=documents),
        ngettext("{count} image", "{count} images", images).format(count=images),
        # Translators: images given alt-text by this run.
        ngettext("{count} written", "{count} written", done).format(count=done)
        if written
        # Translators: images a dry run would give alt-text.
        else ngettext("{count} would be written", "{count} would be written", done).format(count=done),
        ngettext("{count} kept", "{count} kept", kept).format(count=kept),
        ngettext("{count} skipped", "{count} skipped", skipped).format(count=skipped),
        ngettext("{count} failed", "{count} failed", failed).format(count=failed),
    ]
    if unreadable:
        pieces.append(
            ngettext(
                "{count} document could not be processed",
                "{count} documents could not be processed",
                unreadable,
            ).format(count=unreadable)
        )
    if report.interrupted:
        # Translators: a piece of the alt-text report's summary, after a run stopped with Control+C.
        pieces.append(_("stopped early, {count} not done (run again to finish)").format(count=not_done))
    elif not written and done:
        # Translators: a piece of the alt-text report's summary; --write is an option, not translated.
        pieces.append(_("run with --write to write them"))
    # Translators: what joins the pieces of the alt-text report's summary.
    separator = pgettext("list separator", ", ")
    # Translators: the alt-text report's last line; {parts} is the pieces above, joined by the separator.
    return _("Summary: {parts}.").format(parts=separator.join(pieces))


def to_json(report: RunReport) -> str:
    """The report as JSON that any terminal or UTF-8 file takes: controls and undecodable names escaped."""
    return json_line(report.as_dict(), indent=2)


def to_csv(report: RunReport) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for document in report.documents:
        base = {"document": str(document.path), "format": document.format}
        if document.error or not document.images:
            writer.writerow({**base, "outcome": "failed" if document.error else "", "reason": document.error})
        for image in document.images:
            row = image.as_dict()
            writer.writerow({**base, **{key: row.get(key) for key in CSV_FIELDS[2:]}})
    return buffer.getvalue()


def save(report: RunReport, path: Path) -> None:
    """Write the report as JSON or CSV, chosen by the file's extension."""
    text = for_file(to_csv(report)) if path.suffix.lower() == ".csv" else to_json(report)
    replace_text(path, text)
