"""`assistant alt-text PATH...`: fill in missing image descriptions in documents."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.cli import alt_text_scale as scale
from assistant.cli.model_options import add_model_arguments, load_for_command
from assistant.cli.numbers import positive, whole_number
from assistant.documents.alttext import DEFAULT_MAX_LENGTH
from assistant.documents.sources import DEFAULT_MAX_IMAGE_BYTES
from assistant.i18n import _, os_reason, pgettext
from assistant.text_safety import for_file, for_terminal


def _language(value: str) -> str:
    from assistant.documents.model import language_tag

    tag = language_tag(value)
    if not tag:
        raise argparse.ArgumentTypeError(
            _("{value} is not a language code; give one such as es or pt-BR.").format(value=value)
        )
    return tag


def _report_path(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in {".json", ".csv"}:
        # Translators: an error of `assistant alt-text --report FILE`.
        raise argparse.ArgumentTypeError(_("the report file must end in .json or .csv"))
    return path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "alt-text",
        help=_("fill in missing alt-text in documents"),
        description=_(
            "Find images without alt-text in HTML, Markdown, Word, PowerPoint, EPUB and PDF files, "
            "describe them, and (with --write) write the descriptions back, changing nothing else. "
            "Folders are searched for documents. Exit status: 0 all went well, 1 something failed, "
            "2 wrong usage, 130 stopped."
        ),
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar=pgettext("command-line placeholder", "PATH"),
        type=Path,
        help=_("documents or folders"),
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=_("write the alt-text into the documents"))
    mode.add_argument(
        "--dry-run", action="store_true", help=_("only show what would be written (the default)")
    )
    parser.add_argument("--overwrite", action="store_true", help=_("replace existing alt-text too"))
    parser.add_argument(
        "--fix-suspicious",
        action="store_true",
        help=_("replace alt-text that is only a file name or placeholder"),
    )
    parser.add_argument(
        "--report",
        type=_report_path,
        metavar=pgettext("command-line placeholder", "FILE"),
        help=_("save a report (.json or .csv)"),
    )
    parser.add_argument("--batch-size", type=positive, default=8, metavar="N", help=_("images per batch (8)"))
    add_model_arguments(parser)
    parser.add_argument(
        "--min-size",
        type=whole_number,
        default=16,
        metavar=pgettext("command-line placeholder", "PX"),
        help=_("skip images smaller than this on a side (16)"),
    )
    parser.add_argument("--include-ocr", action="store_true", help=_("add the text visible in the image"))
    parser.add_argument(
        "--language",
        type=_language,
        metavar=pgettext("command-line placeholder", "CODE"),
        help=_(
            "write the alt-text in this language, such as es (default: each document's declared language, else yours)"
        ),
    )
    parser.add_argument(
        "--fetch-remote", action="store_true", help=_("download remote images (off for privacy)")
    )
    parser.add_argument(
        "--allow-outside",
        action="store_true",
        help=_(
            "read image files outside the document's folder or package (off: a document cannot reach out)"
        ),
    )
    parser.add_argument(
        "--max-image-mb",
        type=positive,
        default=DEFAULT_MAX_IMAGE_BYTES // 2**20,
        metavar=pgettext("command-line placeholder", "MB"),
        help=_("largest image file read (64); larger ones are reported and skipped"),
    )
    parser.add_argument("--json", action="store_true", help=_("print the report as JSON"))
    parser.add_argument(
        "--max-length",
        type=positive,
        default=DEFAULT_MAX_LENGTH,
        metavar="N",
        help=_("longest alt-text (150)"),
    )
    parser.add_argument(
        "--backup",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=_("keep the original as NAME.orig.EXT, or NAME.orig.1.EXT if that name is taken (default on)"),
    )
    many = parser.add_argument_group(_("many documents: a model server, Ray, and resuming"))
    many.add_argument(
        "--concurrency",
        type=positive,
        metavar="N",
        help=_(
            "pictures in flight at once: requests to the --server (4), or engines on Ray (one a GPU, or one for two CPUs)"
        ),
    )
    many.add_argument(
        "--ray",
        nargs="?",
        const=scale.LOCAL_RAY,
        metavar=pgettext("command-line placeholder", "ADDRESS"),
        help=_(
            "describe on Ray (pip install assistant[scale]): alone, a Ray on this computer only; "
            "'auto' or ray://HOST:10001 joins a cluster"
        ),
    )
    many.add_argument(
        "--restart",
        action="store_true",
        help=_("go over every document again, forgetting what earlier runs of this command finished"),
    )
    parser.set_defaults(handler=run_alt_text)


class _ProgressBar:
    """tqdm on stderr: images done, images per second, time left, and documents done."""

    def __init__(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=0,
            # Translators: the progress bar of `assistant alt-text`: "Images: 40%| … | 4/10 [00:02, 2.0img/s]".
            unit=pgettext("progress unit", "img"),
            file=sys.stderr,
            dynamic_ncols=True,
            disable=None,
            # Translators: the label of `assistant alt-text`'s progress bar.
            desc=pgettext("progress", "Images"),
        )

    def __call__(
        self, images_done: int, images_total: int, documents_done: int, documents_total: int
    ) -> None:
        if self.bar.total != images_total:
            self.bar.total = images_total
        self.bar.n = images_done
        self.bar.set_postfix_str(
            _("documents {documents_done}/{documents_total}").format(
                documents_done=documents_done, documents_total=documents_total
            ),
            refresh=False,
        )
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


class _SafeFormatter(logging.Formatter):
    """Log lines quote names from the documents: escaped, so that `cat` or `tail` of the log cannot be
    forged, and a name that is not UTF-8 cannot stop the log (the traceback below keeps its lines)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return for_terminal(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return for_file(super().formatException(ei))


@contextlib.contextmanager
def _unexpected_problems_logged() -> Iterator[list[Path]]:
    """Send the runner's tracebacks to a log file rather than the terminal; yields [path] once written."""
    import platformdirs

    path = platformdirs.user_log_path("assistant", appauthor=False) / "alt-text.log"
    logger = logging.getLogger("assistant.documents")
    written: list[Path] = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, mode="w", encoding="utf-8", delay=True)
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(_SafeFormatter("%(asctime)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    # pypdf warns of a damaged file itself ("EOF marker not found"); with no handler of its own that
    # reached the terminal, in English, beside the report's own sentence on the same file.
    quiet, pypdf_log = logging.NullHandler(), logging.getLogger("pypdf")
    pypdf_log.addHandler(quiet)
    try:
        yield written
    finally:
        pypdf_log.removeHandler(quiet)
        logger.removeHandler(handler)
        if isinstance(handler, logging.FileHandler) and handler.stream is not None:
            written.append(path)
        handler.close()


def run_alt_text(args: argparse.Namespace) -> int:
    from assistant.documents import report as reporting
    from assistant.documents.runner import Options, Runner

    options = Options(
        write=args.write,
        overwrite=args.overwrite,
        fix_suspicious=args.fix_suspicious,
        min_size=max(args.min_size, 0),
        batch_size=args.batch_size,
        max_length=args.max_length,
        include_ocr=args.include_ocr,
        fetch_remote=args.fetch_remote,
        backup=args.backup,
        allow_outside=args.allow_outside,
        max_image_bytes=args.max_image_mb * 2**20,
        language=args.language or "",
    )
    scale.check_usage(args)
    journal = scale.journal_of(args, options)
    with contextlib.ExitStack() as stack:
        stack.enter_context(scale.stopped_by_sigterm())
        if args.ray is not None:  # Ray Data reads and describes; each document is written here
            progress = _ProgressBar()
            runner = scale.ray_runner(args, options, progress, journal)
        else:
            engine = load_for_command(args)
            scale.set_concurrency(engine, args.concurrency, options)
            progress = _ProgressBar()
            runner = Runner(engine, options, on_progress=progress, journal=journal)
        with _unexpected_problems_logged() as log_written:
            try:
                report = runner.run(args.paths)
            finally:
                progress.close()
    if args.json:
        print(reporting.to_json(report))
    else:
        reporting.print_text(report, sys.stdout, written=args.write)
    for log_path in log_written:
        print(
            for_terminal(
                _("Details of the unexpected problems are in {log_path}.").format(log_path=log_path)
            ),
            file=sys.stderr,
        )
    if args.report:
        try:
            reporting.save(report, args.report)
        except OSError as error:
            print(
                for_terminal(
                    _(
                        "The report could not be saved to {report} ({value}); any earlier report there is unchanged."
                    ).format(report=args.report, value=os_reason(error))
                ),
                file=sys.stderr,
            )
            return 1
    if report.interrupted:
        print(
            _("Stopped. Documents already written are complete; run again to finish the rest."),
            file=sys.stderr,
        )
        return 130
    return 1 if report.failed else 0
