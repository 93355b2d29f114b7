"""Command-line use of the engine: describe, ask, and the `models` command's arguments (run in models.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from PIL import Image

from assistant.cli import say_error
from assistant.cli.model_options import add_model_arguments, load_for_command
from assistant.cli.models import run_models
from assistant.cli.numbers import whole_number
from assistant.cli.speech import add_stt_arguments, stt_choices
from assistant.engine.base import Engine, Turn
from assistant.engine.models import DEFAULT_MODEL
from assistant.errors import UserError
from assistant.files import replace_text
from assistant.i18n import _, os_reason, pgettext
from assistant.session import Conversation, Request
from assistant.session.steps import blank, read_lines, run_request
from assistant.text_safety import for_terminal, json_line


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    describe = subparsers.add_parser(
        "describe", help=_("describe images"), description=_("Print a description of each image.")
    )
    describe.add_argument(
        "images",
        nargs="+",
        metavar=pgettext("command-line placeholder", "IMAGE"),
        help=_("the image files to describe"),
    )
    add_model_arguments(describe)
    describe.add_argument(
        "--detail",
        choices=("brief", "detailed"),
        default="brief",
        # Translators: keep brief and detailed in English: they are what is typed.
        help=_("how long the description is: brief (the default) or detailed"),
    )
    describe.add_argument(
        "--batch-size", type=whole_number, default=1, metavar="N", help=_("images per batch (default 1)")
    )
    describe.add_argument(
        "--json",
        action="store_true",
        help=_('one JSON object per line per image: "text" (the model\'s), "text_on_image" (lines), "blank"'),
    )
    add_text_arguments(describe)
    describe.set_defaults(handler=run_describe)

    read_text = subparsers.add_parser(
        "read-text",
        help=_("print the text in images"),
        description=_("Print the text in each image, read by OCR in reading order; no model is loaded."),
    )
    read_text.add_argument(
        "images",
        nargs="+",
        metavar=pgettext("command-line placeholder", "IMAGE"),
        help=_("the image files to read"),
    )
    read_text.add_argument("--json", action="store_true", help=_('one JSON object per line: "text_on_image"'))
    read_text.set_defaults(handler=run_read_text)

    ask = subparsers.add_parser(
        "ask",
        help=_("answer questions about an image"),
        description=_("Answer a question about an image; without a question, ask in a loop at a prompt."),
    )
    ask.add_argument("image", metavar=pgettext("command-line placeholder", "IMAGE"), help=_("the image file"))
    ask.add_argument(
        "question",
        nargs="?",
        metavar=pgettext("command-line placeholder", "QUESTION"),
        help=_("the question; without one, questions are asked at a prompt"),
    )
    ask.add_argument(
        "--history",
        type=Path,
        metavar=pgettext("command-line placeholder", "FILE"),
        help=_("JSON file of earlier turns; the new turn is added"),
    )
    ask.add_argument(
        "--audio",
        type=Path,
        metavar=pgettext("command-line placeholder", "WAV"),
        help=_("a recorded spoken question to transcribe and answer"),
    )
    add_stt_arguments(ask)
    add_model_arguments(ask)
    ask.add_argument(
        "--no-ocr", action="store_true", help=_("answer from the picture alone; do not read the text on it")
    )
    ask.add_argument(
        "--json", action="store_true", help=_('print {"question": …, "answer": …, "text_on_image": [lines]}')
    )
    ask.set_defaults(handler=run_ask)

    models = subparsers.add_parser(
        "models", help=_("list or download models"), description=_("List known models.")
    )
    models_sub = models.add_subparsers(
        dest="models_command", metavar=pgettext("command-line placeholder", "ACTION")
    )
    download = models_sub.add_parser("download", help=_("download a model with a progress bar"))
    download.add_argument(
        "model",
        nargs="?",
        default=DEFAULT_MODEL,
        metavar=pgettext("command-line placeholder", "ID"),
        help=_("the model's hub id or short name (default: {model})").format(model=DEFAULT_MODEL),
    )
    download.add_argument(
        "--again", action="store_true", help=_("fetch every file anew, replacing a damaged copy")
    )
    models_sub.add_parser(
        "clean", help=_("remove the prepared int8 models (each is made again, once, when next needed)")
    )
    models.set_defaults(handler=run_models)


def add_text_arguments(parser: argparse.ArgumentParser) -> None:
    """--no-ocr and --word-limit: whether the text on a picture follows its description, and how much."""
    from assistant.ocr import DEFAULT_WORD_LIMIT

    parser.add_argument("--no-ocr", action="store_true", help=_("describe only; do not read the text on it"))
    parser.add_argument(
        "--word-limit",
        type=whole_number,
        default=DEFAULT_WORD_LIMIT,
        metavar="N",
        help=_("words of the text read after the description (default {limit}; 0: all)").format(
            limit=DEFAULT_WORD_LIMIT
        ),
    )


def run_read_text(args: argparse.Namespace) -> int:
    from assistant.capture import open_image_file
    from assistant.ocr import read_text

    failed = False
    for path in args.images:
        try:
            lines = read_text(open_image_file(path)).lines
        except UserError as error:
            failed = True
            if args.json:
                print(json_line({"image": path, "error": str(error)}), flush=True)
            else:
                say_error(f"{path}: {error}")
            continue
        if args.json:
            print(json_line({"image": path, "text_on_image": lines}), flush=True)
        elif len(args.images) > 1:
            print(for_terminal(f"{path}:"), *map(for_terminal, lines), sep="\n", flush=True)
        else:
            print(*map(for_terminal, lines), sep="\n", flush=True)
    return 1 if failed else 0


def run_describe(args: argparse.Namespace) -> int:
    """Describe the images a batch at a time, each result printed in the order given as soon as it is
    known. A batch is decoded, described and let go before the next is read, so 500 photos take the
    memory of one batch."""
    describer = _Describer(args)
    size = max(1, args.batch_size)
    failed = False
    for start in range(0, len(args.images), size):
        for result in describer.describe(args.images[start : start + size]):
            failed |= "error" in result
            if args.json or describer.load_error is None or result.get("error") != describer.load_error:
                _print_result(args, result, many=len(args.images) > 1)
        if describer.load_error is not None and not args.json:
            return 1  # said once, not once an image; in JSON every image still gets its line
    return 1 if failed else 0


# One image's line of output: its name, then its text or error, whether it is blank, the text on it.
Result = dict[str, Any]


class _Describer:
    """The model, loaded when the first readable image needs it (a run of unreadable ones needs none)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._loaded: Engine | str | None = None  # the engine, why it could not be loaded, or not tried yet

    @property
    def load_error(self) -> str | None:
        return self._loaded if isinstance(self._loaded, str) else None

    def describe(self, paths: list[str]) -> list[Result]:
        from assistant.engine.images import normalize_image

        results: list[Result] = [{"image": path} for path in paths]
        readable: list[tuple[Result, Image.Image]] = []
        for result in results:
            if self.load_error is not None:
                result["error"] = self.load_error
                continue
            try:
                picture = normalize_image(result["image"])
            except UserError as error:
                result["error"] = str(error)
                continue
            if not self._is_blank(result, picture):
                self._read_text(result, picture)
                readable.append((result, picture))
        if readable:
            loaded = self._load()
            if isinstance(loaded, str):
                for result, _ in readable:
                    result["error"] = loaded
            else:
                self._describe(loaded, readable)
        return results

    def _is_blank(self, result: Result, picture: Image.Image) -> bool:
        """A blank picture is named by its colour and the model is not run for it (as in the app)."""
        found = blank(picture, "picture")
        result["blank"] = found is not None
        if found is not None:
            result.update(text=found.message, colour=found.colour, text_on_image=[])
        return found is not None

    def _read_text(self, result: Result, picture: Image.Image) -> None:
        if self.args.no_ocr:
            return
        try:
            result["text_on_image"] = read_lines(picture)
        except UserError as error:
            result["ocr_error"] = str(error)

    def _load(self) -> Engine | str:
        """The engine, loaded the first time; or the sentence saying why it could not be (said once)."""
        if self._loaded is None:
            try:
                self._loaded = load_for_command(self.args)
            except UserError as error:
                self._loaded = str(error)
                say_error(self._loaded)
        return self._loaded

    def _describe(self, engine: Engine, readable: list[tuple[Result, Image.Image]]) -> None:
        message = _("The model gave no description for this image.")
        try:
            if len(readable) == 1:
                picture = readable[0][1]
                texts = [run_request(engine, Request("describe", picture, detail=self.args.detail), picture)]
            else:
                texts = engine.describe_many(
                    [image for _, image in readable], detail=self.args.detail, batch_size=len(readable)
                )
        except UserError as error:
            texts, message = [""] * len(readable), str(error)
        for (result, _picture), text in zip(readable, texts, strict=True):
            result.update({"text": text} if text else {"error": message})


def _print_result(args: argparse.Namespace, result: Result, many: bool = True) -> None:
    if args.json:
        print(json_line(result), flush=True)
    elif "error" in result:
        say_error(f"{result['image']}: {result['error']}")
    else:
        from assistant.ocr import gist_then_text

        said = gist_then_text(result["text"], result.get("text_on_image", []), args.word_limit or None)
        print(for_terminal(f"{result['image']}: {said}" if many else said), flush=True)
        if "ocr_error" in result:
            say_error(f"{result['image']}: {result['ocr_error']}")


def _read_history(path: Path | None) -> list[Turn]:
    """The earlier turns, bounded as they are read (one 20 MB turn once took 2.85 GB); says when cut."""
    from assistant.cli.history import read_history

    turns, cut = read_history(path)
    if cut:
        say_error(cut)
    return turns


def _save_history(path: Path, turns: list[Turn]) -> bool:
    """Write the conversation whole or not at all, keeping the file's permissions; say so when it fails."""
    data = json.dumps(
        [{"question": t.question, "answer": t.answer} for t in turns], indent=2, ensure_ascii=False
    )
    try:
        # A rename would replace a file its owner made read-only (the folder allows it): ask them instead.
        if path.exists() and not path.stat().st_mode & 0o222:
            say_error(
                _(
                    "The answer was not added to the history file {path}, which is read-only; make it writable or choose another file."
                ).format(path=path)
            )
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_text(path, data + "\n")
    except OSError as error:
        say_error(
            _(
                "The answer was not added to the history file {path}, which could not be written ({value}); check that you may write to its folder."
            ).format(path=path, value=os_reason(error))
        )
        return False
    return True


def run_ask(args: argparse.Namespace) -> int:
    from assistant.engine.images import normalize_image

    history = _read_history(args.history)
    image = normalize_image(args.image)
    question = args.question
    if args.audio is not None:
        if question:
            raise UserError(_("Give either a typed question or --audio, not both."))
        from assistant.speech.stt import Transcriber

        model, language = stt_choices(args)
        question = Transcriber(model, language=language).transcribe_file(args.audio)
        if not question.strip():
            raise UserError(
                _(
                    "No words were heard in the recording. Record the question again, closer to the microphone."
                )
            )
    lines = [] if args.no_ocr else _text_on(image)
    engine = load_for_command(args)
    conversation = Conversation(image, turns=history)
    if question is not None:
        return _answer(engine, conversation, question, args, lines)
    return _interactive(engine, conversation, args, lines)


def _text_on(image: Image.Image) -> list[str]:
    """The lines of text on the picture, read once for all its questions, as the app reads them; where OCR
    cannot run, the questions are answered from the picture alone, after saying why."""
    try:
        return read_lines(image)
    except UserError as error:
        say_error(str(error))
        return []


def _answer(
    engine: Engine, conversation: Conversation, question: str, args: argparse.Namespace, lines: list[str]
) -> int:
    """Answer `question` as the app does: with the turns so far and the text on the picture."""
    request = conversation.question(question, lines)
    try:
        answer = run_request(engine, request)
    except UserError as error:
        say_error(str(error))
        return 1
    conversation.answered(question, answer)
    # The answer first: it is what was asked for, and it must not be lost to a file that cannot be written.
    if args.json:
        result = {"image": args.image, "question": question, "answer": answer, "text_on_image": lines}
        print(json_line(result), flush=True)
    else:
        print(for_terminal(answer), flush=True)
    if args.history is not None and not _save_history(args.history, conversation.turns):
        return 1
    return 0


def _quit_words() -> set[str]:
    """What ends `assistant ask`'s questions, besides an empty line: English's words and the user's."""
    # Translators: typed alone at `assistant ask`'s prompt, it ends the questions (one word, lower case).
    return {"quit", "exit", pgettext("typed to end the questions", "quit")}


def _interactive(
    engine: Engine, conversation: Conversation, args: argparse.Namespace, lines: list[str]
) -> int:
    print(_("Ask a question about the image and press Enter. An empty line or Ctrl+D ends."), flush=True)
    while True:
        try:
            # Translators: the prompt of `assistant ask IMAGE` without a question, before the user types one.
            question = input(_("Question: ")).strip()
        except EOFError:
            print()
            return 0
        if not question or question.lower() in _quit_words():
            return 0
        _answer(engine, conversation, question, args, lines)
