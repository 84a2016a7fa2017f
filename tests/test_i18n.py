"""The catalogs against the code: every Russian text goes through gettext, every one has an
English translation with the same placeholders and markup, every text that counts something has
its Russian forms (1 запись, 2 записи, 5 записей) and both English ones, and nothing is left
over."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from datetime import UTC, datetime

import pytest
from babel import Locale
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

import bot
from bot.db.stats import Overview, PeriodFigures, Progress, Undated, Window
from bot.db.streams import StreamSummary
from bot.i18n import LOCALES, i18n, locale_for, use_locale
from bot.keyboards.compose import list_next
from bot.views import compose, people_lists, stats, streams, users

ROOT = Path(bot.__file__).parent
CYRILLIC = re.compile("[\u0400-\u04ff]")
# Russian that is data, not interface: demo people, and the name a broadcast's recipients
# (the course's students) are greeted with when they have none
NOT_INTERFACE = {"db/demo.py", "services/delivery/render.py:друг",
                 "text/days.py"}  # words admins type, read by dateparser


def _python_files() -> list[tuple[str, ast.Module]]:
    return [(path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path)))
            for path in sorted(ROOT.rglob("*.py")) if "sandbox" not in path.parts]


def _catalog(locale: str = "en"):  # type: ignore[no-untyped-def]
    with (LOCALES / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def _source_texts() -> set[str | tuple[str, str]]:
    """Each text of the code: a string, or (singular, plural) for ngettext."""
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


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_the_catalogs_match_the_code(locale: str) -> None:
    """Run scripts/i18n after changing texts: new texts must be translated, old ones go."""
    in_code = _source_texts()
    in_catalog = {message.id for message in _catalog(locale) if message.id}
    assert sorted(in_code - in_catalog, key=str) == [], f"texts missing from the {locale} catalog"
    assert sorted(in_catalog - in_code, key=str) == [], "entries of texts the code no longer has"


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
    assert i18n.available_locales == ("en", "ru")
    assert [locale_for(code) for code in ("en", "en-GB", "en_US", "EN", "ru", "uk", "de", "",
                                          None)] == ["en"] * 4 + ["ru"] * 5


# A number right before one of these words is a count the word must agree with: such a text
# goes through ngettext («1 запись», «2 записи», «5 записей»), not through _. A {limit} is one
# of the code's constants (64, 1024, 4096), and the text is written for it.
COUNTED_NOUN = re.compile(
    r"\{(?!limit\})\w+\}\s+(?:человек|чел\.|людям|запис|переход|рассыл|сообщени|получател|клик|минут|"
    r"секунд|дн\.|дн[яейь]|урок|брон|пользовател|админ|символ|событ|оплатил|ждут)")


def test_every_count_next_to_a_noun_has_plural_forms() -> None:
    assert sorted(text for text in _source_texts()
                  if isinstance(text, str) and COUNTED_NOUN.search(text)) == []


def _plural_problems(locale: str, forms_needed: int) -> list[str]:
    problems = []
    for message in (m for m in _catalog(locale) if isinstance(m.id, tuple)):
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        singular, plural = message.id
        if len(forms) != forms_needed or not all(forms) or "fuzzy" in message.flags:
            problems.append(f"{locale}: {len([f for f in forms if f])} of {forms_needed} forms: "
                            f"{singular!r}")
        for form in filter(None, forms):
            if _fields(form) != _fields(singular) or _tags(form) != _tags(singular):
                problems.append(f"{locale}: placeholders or tags differ: {form!r}")
    return problems


def test_every_plural_text_has_three_russian_forms_and_two_english_ones() -> None:
    assert _catalog("ru").num_plurals == 3 and _catalog("en").num_plurals == 2
    assert _plural_problems("ru", 3) + _plural_problems("en", 2) == []
    plurals = {m.id for m in _catalog("en") if isinstance(m.id, tuple)}
    assert len(plurals) >= 15  # the counted texts all come here


def test_the_russian_catalog_only_counts() -> None:
    """A text without a plural is shown as the code writes it: a Russian msgstr of its own
    would be a second place to change it."""
    assert [m.id for m in _catalog("ru") if m.id and not isinstance(m.id, tuple) and m.string] == []


@given(st.integers(min_value=0, max_value=10**7))
def test_the_russian_plural_rule_is_the_language_s(n: int) -> None:
    """The catalog's Plural-Forms picks the form Unicode's CLDR rules give for Russian."""
    cldr = {"one": 0, "few": 1, "many": 2}[Locale("ru").plural_form(n)]
    assert i18n.locales["ru"].plural(n) == cldr  # type: ignore[attr-defined]


COUNTS = (1, 2, 5, 11, 21, 22, 25, 101)
ONE, FEW, MANY = 0, 1, 2
FORM = {1: ONE, 2: FEW, 5: MANY, 11: MANY, 21: ONE, 22: FEW, 25: MANY, 101: ONE}
WINDOW = Window(None, datetime.now(UTC).date(), "Europe/Moscow")


def _overview(n: int) -> str:
    figures = PeriodFigures(new_users=n, bookings={}, registrations=n, attendances=n)
    now = datetime.now(UTC)
    return stats.overview(Overview(n, figures, None, {"events": now}, Undated(0, 0, 0, 0),
                                   Progress(1, 1)), "7 дней", WINDOW, [], 24, UTC, now)


def _stream(members: int, pending: int = 0) -> str:
    return streams.streams_text([StreamSummary("4th_stream", "4-й поток", members, pending)])


# (what is rendered for n, the text it must contain in each form: 1, 2, 5)
SCREENS = [
    (lambda n: people_lists.list_head("Лиды", n, 0, 1),
     ("Лиды</b>: {n} человек.", "Лиды</b>: {n} человека.", "Лиды</b>: {n} человек.")),
    (lambda n: people_lists.csv_caption("leads.csv", n),
     ("leads.csv: {n} человек.", "leads.csv: {n} человека.", "leads.csv: {n} человек.")),
    (compose.confirm_send,
     ("Отправить {n} человеку?", "Отправить {n} людям?", "Отправить {n} людям?")),
    (lambda n: list_next(n).inline_keyboard[0][0].text,
     ("Дальше: {n} человек", "Дальше: {n} человека", "Дальше: {n} человек")),
    (_overview, ("{n} запись → {n} переход на урок", "{n} записи → {n} перехода на урок",
                 "{n} записей → {n} переходов на урок")),
    (_stream, ("{n} человек оплатил", "{n} человека оплатили", "{n} человек оплатили")),
    (lambda n: _stream(0, n), ("{n} ждёт оплаты", "{n} ждут оплаты", "{n} ждут оплаты")),
    # a query 100 characters longer than n: over the limit, and the same form as n
    (lambda n: _too_long(n + 100), ("({m} символ)", "({m} символа)", "({m} символов)")),
]


def _too_long(length: int) -> str:
    try:
        users.check_query("я" * length)
    except ValueError as error:
        return str(error)
    raise AssertionError("a query this long is refused")


@pytest.mark.parametrize("screen", range(len(SCREENS)))
@pytest.mark.parametrize("n", COUNTS)
def test_counted_nouns_agree_with_their_number(screen: int, n: int) -> None:
    render, forms = SCREENS[screen]
    with use_locale("ru"):
        text = render(n)
    expected = forms[FORM[n]].format(n=n, m=n + 100)
    assert expected in text


@pytest.mark.parametrize("n", COUNTS)
def test_english_counts_say_one_or_many(n: int) -> None:
    with use_locale("en"):
        texts = [people_lists.list_head("Leads", n, 0, 1), compose.confirm_send(n), _stream(n)]
    word = "person" if n == 1 else "people"
    assert [f"{n} {word}" in text for text in texts] == [True] * 3
