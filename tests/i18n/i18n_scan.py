"""Finds user-facing English that is not wrapped for translation, by reading the package's syntax trees.

A string is user-facing where it is the message of a UserError (any class deriving from it), is printed,
said, spoken or announced, is a Qt label (setText, setAccessibleName, QAction, QPushButton, …), or is the
help and description of the command line. Such a string must be a call of `_`, `ngettext`, `pgettext`
or `npgettext` on a literal (not an f-string, whose text the catalogue cannot hold), or come from a
variable or call whose text was translated where it was made.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "assistant"
WRAPPERS = {"_", "ngettext", "pgettext", "npgettext", "N_", "phrase", "nphrase"}
# Calls whose first arguments are said or shown to the user.
SAID = {
    "print",
    "input",
    "_combo",
    "_name_combo",
    "setSpecialValueText",
    "setSuffix",
    "setPrefix",
    "__init__",
    "_row",
    "_button",
    "set_status",
    "_start_work",
    "describe_picture",
    "show_text",
    "fail",
    "emit",
    "show_progress",
    "say",
    "speak",
    "announce",
    "tell",
    "notify",
    "show_message",
    "exit",
    "setText",
    "setAccessibleName",
    "setAccessibleDescription",
    "setWindowTitle",
    "setToolTip",
    "setPlaceholderText",
    "setStatusTip",
    "setWhatsThis",
    "addTab",
    "setTitle",
    "addItem",
    "QAction",
    "QPushButton",
    "QLabel",
    "QCheckBox",
    "QRadioButton",
    "QGroupBox",
    "addButton",
    "information",
    "warning",
    "critical",
    "question",
    "showMessage",
    "error",
    "ArgumentTypeError",
    "_append",
    "unavailable_message",
    "on_progress",
    "QListWidgetItem",
    "setPlainText",
    "appendPlainText",
    "setHtml",
    "ArgumentError",
}
# Keyword arguments that are shown: argparse's help, description and placeholders (metavar).
SHOWN_KEYWORDS = {"help", "description", "epilog", "title", "metavar"}
# Fields of a report a person reads (the alt-text report's reasons, problems, locations, errors and
# notes): a literal given to one, as a keyword argument or an attribute, or appended to `notes` or
# `problems`, must be wrapped; `phrase` keeps its English for the JSON and translates it when shown.
REPORT_FIELDS = {"reason", "problem", "location", "error", "notes", "problems"}
BASE_ERROR = "UserError"
LOGGERS = {"log", "_log", "logger", "logging"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text!r}"


def python_files() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "bench" not in path.relative_to(PACKAGE).parts)


def user_error_classes(files: list[Path]) -> set[str]:
    """Names of every class that derives from UserError, through any number of steps."""
    bases: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(_name(base) for base in node.bases)
    errors = {BASE_ERROR}
    changed = True
    while changed:
        changed = False
        for name, parents in bases.items():
            if name not in errors and parents & errors:
                errors.add(name)
                changed = True
    return errors


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _english(node: ast.AST) -> str | None:
    """The English words in `node` when it is an unwrapped literal, f-string or join of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        left, right = _english(node.left), _english(node.right)
        text = (left or "") + (right or "") if left or right else ""
    elif isinstance(node, ast.IfExp):
        return _english(node.body) or _english(node.orelse)
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    ):
        return _english(node.func.value)
    else:
        return None
    # Two letters in a row make a word; "…", "%", "{}" and file names alone are not English.
    words = [word for word in text.split() if sum(ch.isalpha() for ch in word) >= 2]
    return text if words else None


def _wrapped_fstring(node: ast.Call) -> bool:
    return _name(node.func) in WRAPPERS and any(isinstance(arg, ast.JoinedStr) for arg in node.args)


def findings(files: list[Path] | None = None) -> list[Finding]:
    files = python_files() if files is None else files
    errors = user_error_classes(python_files())
    found: list[Finding] = []
    for path in files:
        relative = str(path.relative_to(PACKAGE.parent))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign):
                found.extend(Finding(relative, value.lineno, text) for value, text in _report_fields(node))
            if not isinstance(node, ast.Call):
                continue
            if _wrapped_fstring(node):
                found.append(Finding(relative, node.lineno, "an f-string inside " + _name(node.func)))
                continue
            name = _name(node.func)
            if isinstance(node.func, ast.Attribute) and _name(node.func.value) in LOGGERS:
                continue  # the log is for developers, in English
            arguments: list[ast.AST] = []
            if name in SAID or name in errors:
                arguments.extend(node.args[:2] if name != "addItem" else node.args[:1])
            arguments.extend(kw.value for kw in node.keywords if kw.arg in SHOWN_KEYWORDS | REPORT_FIELDS)
            if name == "append" and _name(getattr(node.func, "value", None)) in REPORT_FIELDS:
                added = node.args[0] if node.args else None
                arguments.extend(added.elts if isinstance(added, ast.Tuple) else [added] if added else [])
            for argument in arguments:
                text = _english(argument)
                if text is not None:
                    found.append(Finding(relative, getattr(argument, "lineno", node.lineno), text))
    return found


def _report_fields(node: ast.Assign):
    """(value, its English) for each unwrapped literal assigned to a report's field: `image.reason = "…"`,
    `image.status, image.reason = …, "…"`."""
    for target in node.targets:
        pairs: list[tuple[ast.AST, ast.AST]] = [(target, node.value)]
        if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
            pairs = list(zip(target.elts, node.value.elts, strict=False))
        for field, value in pairs:
            if isinstance(field, ast.Attribute) and field.attr in REPORT_FIELDS:
                text = _english(value)
                if text is not None:
                    yield value, text


def shadowed_translation() -> list[str]:
    """Functions that both call `_` and assign to `_` (`name, _ = …`, `for _ in …`): there `_` is a local
    variable, so the call fails, or translates nothing."""
    found = []
    for path in python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            uses = [node for node in _own_nodes(function) if isinstance(node, ast.Name) and node.id == "_"]
            if any(isinstance(node.ctx, ast.Store) for node in uses) and any(
                isinstance(node.ctx, ast.Load) for node in uses
            ):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{function.lineno} {function.name}")
    return found


def _own_nodes(node: ast.AST):
    """The nodes of a function's own scope: not those of nested functions, lambdas or comprehensions."""
    for child in ast.iter_child_nodes(node):
        if isinstance(
            child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.comprehension)
        ):
            continue
        if isinstance(child, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        yield child
        yield from _own_nodes(child)


def returned_english(files: list[Path] | None = None) -> list[tuple[str, str, int, str]]:
    """(file, function, line, English) for each unwrapped literal of two words or more that a function
    returns: such a function's words tend to end up in a message ("does not answer ({reason})"), where
    the scan of calls does not see them."""
    found = []
    for path in python_files() if files is None else files:
        relative = str(path.relative_to(PACKAGE.parent))
        for function in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in _own_nodes(function):
                if isinstance(node, ast.Return) and node.value is not None:
                    text = _english(node.value)
                    if text is not None and len(text.split()) >= 2:
                        found.append((relative, function.name, node.lineno, text))
    return found


def formatted_english(folder: str, files: list[Path] | None = None) -> list[Finding]:
    """Each unwrapped f-string with English words under `folder` of the package (a log's excepted): in
    the ui, such a string is shown, wherever it is passed after (the tray's tooltip was one)."""
    found = []
    for path in python_files() if files is None else files:
        relative = str(path.relative_to(PACKAGE.parent))
        if not relative.startswith(folder):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        logged = {
            id(inner)
            for call in ast.walk(tree)
            if isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and _name(call.func.value) in LOGGERS
            for inner in ast.walk(call)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) and id(node) not in logged:
                text = _english(node)
                if text is not None:
                    found.append(Finding(relative, node.lineno, text))
    return found
