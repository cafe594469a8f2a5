"""components.text.md: typed text shown through Markdown reads as typed and is never markup, a
fetched image or a live link (the browser test test_typed_payloads_in_chromium.py checks the
same on the real screens)."""

from __future__ import annotations

import pytest

from components.text import WORD_JOINER, md


@pytest.mark.parametrize("typed", [
    "![x](http://cd-beacon.invalid/x.png)", "[click](http://cd-beacon.invalid)", "<img src=x onerror=alert(1)>",
    "*Ann* _Bo_ `c` ~~d~~ # e", ":red[alert] :material/home:", "$x^2$", "a | b", "&lt;b&gt;",
])
def test_markdown_syntax_is_escaped_character_by_character(typed):
    escaped = md(typed)
    # Every special character is preceded by a backslash: nothing is left for Markdown to read.
    for i, ch in enumerate(escaped):
        if ch in "![]()<>*_`~#:$|&":
            assert escaped[i - 1] == "\\", (typed, escaped, i)


@pytest.mark.parametrize("typed, broken", [
    ("see http://cd-beacon.invalid/a", "http:" + WORD_JOINER + "//"),
    ("HTTPS://cd-beacon.invalid", "HTTPS:" + WORD_JOINER + "//"),
    ("www.cd-beacon.invalid", "www" + WORD_JOINER),
    ("desk@cd-beacon.invalid", "@" + WORD_JOINER),
])
def test_bare_addresses_get_an_invisible_joiner_that_link_detection_does_not_match(typed, broken):
    shown = md(typed).replace("\\", "")
    assert broken in shown
    assert shown.replace(WORD_JOINER, "") == typed  # reads exactly as typed


def test_plain_text_is_unchanged_and_none_is_empty():
    assert md("Núñez, Ana") == "Núñez, Ana"
    assert md(None) == ""
