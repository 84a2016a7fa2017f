"""Words of an offer's end as admins type them, put the way dateparser reads them: the day in
the genitive («до пятницы 23:59») becomes the nominative, and «до» / «until» go. Input words,
not interface text (tests/test_i18n.py lists this module as such)."""

from __future__ import annotations

UNTIL = ("до", "until", "till")
NOMINATIVE = {"понедельника": "понедельник", "вторника": "вторник", "среды": "среда",
              "четверга": "четверг", "пятницы": "пятница", "субботы": "суббота",
              "воскресенья": "воскресенье"}


def end_words(text: str) -> str:
    words = text.split()
    if words and words[0].lower() in UNTIL:
        words = words[1:]
    return " ".join(NOMINATIVE.get(word.lower(), word) for word in words)
