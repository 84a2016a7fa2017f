"""The English catalog against the code: every Russian text goes through gettext, every one has
an English translation with the same placeholders and markup, and nothing is left over."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

import bot
from bot.i18n import LOCALES, i18n, locale_for

ROOT = Path(bot.__file__).parent
CYRILLIC = re.compile("[\u0400-\u04ff]")
# Russian that is data, not interface: demo people, and the name a broadcast's recipients
# (the course's students) are greeted with when they have none
NOT_INTERFACE = {"db/demo.py", "services/delivery/render.py:друг"}


def _python_files() -> list[tuple[str, ast.Module]]:
    return [(path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path)))
            for path in sorted(ROOT.rglob("*.py")) if "sandbox" not in path.parts]


def _catalog():  # type: ignore[no-untyped-def]
    with (LOCALES / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def _source_texts() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "__": None}
    method_map = [("**/sandbox/**", "ignore"), ("**.py", "python")]
    return {message for _file, _line, message, _comments, _context in
            extract_from_dir(ROOT, method_map, keywords=keywords)}


def _untranslated_literals(rel: str, tree: ast.Module) -> list[str]:
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    docstrings = {node.body[0].value for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                       ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and CYRILLIC.search(node.value)) or node in docstrings:
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) \
                and parent.func.id in ("_", "__", "ngettext") and node in parent.args[:2]:
            continue
        if f"{rel}:{node.value}" not in NOT_INTERFACE:
            found.append(f"{rel}:{node.lineno}: {node.value[:60]!r}")
    return found


def test_every_russian_text_in_the_code_goes_through_gettext() -> None:
    """No f-string or bare literal carries interface text: it would stay Russian in English."""
    problems = [problem for rel, tree in _python_files() if rel not in NOT_INTERFACE
                for problem in _untranslated_literals(rel, tree)]
    assert problems == []


def test_gettext_is_never_shadowed_by_a_throwaway_variable() -> None:
    """`x, _ = ...` in a module that translates with `_` breaks it (UnboundLocalError)."""
    shadowed = []
    for rel, tree in _python_files():
        imports_gettext = any(isinstance(node, ast.ImportFrom) and node.module == "bot.i18n"
                              and any(alias.name == "_" for alias in node.names)
                              for node in tree.body)
        if imports_gettext:
            shadowed += [f"{rel}:{node.lineno}" for node in ast.walk(tree)
                         if isinstance(node, ast.Name) and node.id == "_"
                         and isinstance(node.ctx, ast.Store)]
    assert shadowed == []


def test_the_english_catalog_matches_the_code() -> None:
    """Run scripts/i18n after changing texts: new texts must be translated, old ones go."""
    in_code = _source_texts()
    in_catalog = {message.id for message in _catalog() if message.id}
    assert sorted(in_code - in_catalog) == [], "texts without an English translation"
    assert sorted(in_catalog - in_code) == [], "translations of texts the code no longer has"


def _fields(text: str) -> list[str]:
    return sorted(f"{name}:{spec}" for _, name, spec, _ in string.Formatter().parse(text)
                  if name is not None)


def _tags(text: str) -> list[str]:
    return sorted(re.findall(r"</?[a-z]+", text))


def test_each_translation_keeps_placeholders_and_markup() -> None:
    problems = []
    for message in (m for m in _catalog() if m.id):
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for english in forms:
            outside_code = re.sub(r"<code>.*?</code>", "", english or "")  # data examples stay
            if not english or "fuzzy" in message.flags:
                problems.append(f"untranslated: {source!r}")
            elif _fields(english) != _fields(source) or _tags(english) != _tags(source):
                problems.append(f"placeholders or tags differ: {source!r} -> {english!r}")
            elif CYRILLIC.search(outside_code):
                problems.append(f"Russian left in: {english!r}")
    assert problems == []


def test_languages() -> None:
    assert i18n.available_locales == ("en",)
    assert [locale_for(code) for code in ("en", "en-GB", "en_US", "EN", "ru", "uk", "de", "",
                                          None)] == ["en"] * 4 + ["ru"] * 5
