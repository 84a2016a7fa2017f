"""Text + entities back to Telegram HTML (the sandbox page and transcripts): aiogram's unparser,
checked on what the emulator stores. Telegram HTML in canonical form comes back as it was."""

from __future__ import annotations

import pytest

from bot.text.tg_html import parse_html, to_html

ROUND_TRIP = [
    "plain &amp; &lt;text&gt; here",
    "<b>bold</b> and <i>italic</i>",
    "<b>bold <i>both</i> bold</b>",  # nested
    "<i>a<b>b</b></i><u>u</u><s>s</s><tg-spoiler>sp</tg-spoiler>",
    "😀 <b>emoji 👍🏽 inside</b> after 🇷🇺 <i>x</i>",  # offsets in UTF-16 units
    '<a href="https://example.com/?a=1&amp;b=2">link</a>',
    '<a href="tg://user?id=42">mention</a>',
    '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji> custom',
    "<blockquote>quoted\nlines</blockquote> after",
    "<blockquote expandable>long\nquote</blockquote>",
    "<pre>code block</pre>",
    "<code>x &lt; y</code>",
    "Привет, <b>мир</b>! {first_name}",
]


@pytest.mark.parametrize("source", ROUND_TRIP)
def test_telegram_html_comes_back_as_it_was(source: str) -> None:
    assert to_html(*parse_html(source)) == source


def test_entities_over_the_same_span_nest_in_the_order_they_were_closed() -> None:
    assert to_html(*parse_html("<b><i>same span</i></b>")) == "<i><b>same span</b></i>"


def test_a_quote_in_a_link_stays_inside_the_attribute() -> None:
    text, entities = parse_html('<a href="https://e.com/&quot;onmouseover=&quot;x">a</a>')
    assert entities[0]["url"] == 'https://e.com/"onmouseover="x'
    assert to_html(text, entities) == '<a href="https://e.com/&quot;onmouseover=&quot;x">a</a>'


def test_entities_telegram_gives_but_html_does_not_show_keep_their_text() -> None:
    text = "see https://example.com or @someone"
    entities = [{"type": "url", "offset": 4, "length": 19},
                {"type": "mention", "offset": 27, "length": 8}]
    assert to_html(text, entities) == text
