"""Remote text is hostile: ``plain`` and ``safe_text`` leave nothing a terminal would obey."""

from __future__ import annotations

import io
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from faxtui.text import plain, safe_text

CONTROL = {"Cc", "Cf"}


def assert_inert(out: str) -> None:
    bad = [(c, unicodedata.category(c)) for c in out if unicodedata.category(c) in CONTROL]
    assert not bad, f"control or format characters left in {out!r}: {bad}"


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("\x1b", "␛"),
        ("\x07", "␇"),
        ("\x00", "␀"),
        ("\x1b]0;owned\x07", "␛]0;owned␇"),  # OSC: set the window title
        ("\x1b]52;c;cm0gLXJm\x07", "␛]52;c;cm0gLXJm␇"),  # OSC 52: write the clipboard
        ("\x1b[2J", "␛[2J"),  # CSI: clear the screen
        ("\x1b[31mred", "␛[31mred"),
        ("\x9b2J", "\\x9b2J"),  # C1 CSI
        ("\x9d0;t\x9c", "\\x9d0;t\\x9c"),  # C1 OSC ... ST
        ("\x85", "\\x85"),  # C1 NEL
        ("\x7f", "␡"),
        ("line1\nline2", "line1␊line2"),
        ("a\r\nb", "a␍␊b"),
        ("col\tcol", "col␉col"),
        ("back\bspace", "back␈space"),
        ("abc\u202etxt.exe", "abc\\u202etxt.exe"),  # right-to-left override
        ("\u2066x\u2069", "\\u2066x\\u2069"),  # isolates
        ("\u200e\u200f\u061c\ufeff", "\\u200e\\u200f\\u061c\\ufeff"),
    ],
)
def test_controls_become_visible_stand_ins(hostile: str, shown: str) -> None:
    out = plain(hostile)
    assert out == shown
    assert_inert(out)


def test_ordinary_text_is_unchanged() -> None:
    for text in ["ACME FAX +33 1 23", "Müller & Söhne", "東京 ファクス", "[bold red]x[/]", "", " "]:
        assert plain(text) == text


def test_plain_takes_any_object() -> None:
    assert plain(42) == "42"
    assert plain(None) == "None"
    assert plain(b"\x1b") == "b'\\x1b'"


def test_every_ascii_and_c1_control_is_replaced() -> None:
    controls = "".join(chr(c) for c in (*range(0x20), *range(0x7F, 0xA0)))
    out = plain(controls)
    assert_inert(out)
    assert out.isprintable()
    assert "\\x9b" in out and "␛" in out


def test_markup_stays_literal_in_safe_text() -> None:
    text = safe_text("[bold red]x[/]")
    assert isinstance(text, Text)
    assert text.plain == "[bold red]x[/]"
    assert text.spans == []
    assert text.no_wrap is True
    assert text.end == ""


def test_safe_text_keeps_the_given_style_only() -> None:
    text = safe_text("[link=http://evil]click[/link]\x1b[5m", style="bold")
    assert text.plain == "[link=http://evil]click[/link]␛[5m"
    assert text.style == "bold"
    assert text.spans == []


@pytest.mark.parametrize(
    "hostile",
    [
        "\x1b]0;owned\x07",
        "\x1b[2J",
        "\x9b2J",
        "[bold red]x[/]",
        "a\nb",
        "\u202eabc",
        "\x1bP+q\x1b\\",
    ],
)
def test_rendered_output_holds_no_escape_from_the_input(hostile: str) -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system=None, width=200)
    console.print(safe_text(hostile))
    rendered = out.getvalue()
    assert "\x1b" not in rendered  # no style given, so Rich itself writes no escape either
    assert "\x07" not in rendered
    assert "\x9b" not in rendered
    assert "\u202e" not in rendered
    assert rendered.rstrip("\n") == plain(hostile)
    assert rendered.count("\n") == 1  # one line


@given(st.text())
def test_plain_leaves_no_c0_or_c1_control(text: str) -> None:
    out = plain(text)
    assert not [c for c in out if unicodedata.category(c) == "Cc"]


@given(st.text())
def test_plain_is_stable_on_ordinary_characters(text: str) -> None:
    # printable characters pass through unchanged; plain() of plain() adds nothing
    once = plain(text)
    assert plain(once) == once
    if text.isprintable():
        assert once == text


@given(st.text(st.one_of(st.characters(), st.characters(categories=["Cc", "Cf"]))))
@example("\u200b")  # zero width space
def test_plain_leaves_no_control_or_format_character(text: str) -> None:
    assert_inert(plain(text))


@pytest.mark.parametrize(
    "char",
    [
        "\u00ad",  # soft hyphen
        "\u200b",  # zero width space: hides a difference between two station IDs
        "\u200d",  # zero width joiner
        "\u2060",  # word joiner
        "\u206a",  # inhibit symmetric swapping
        "\u0600",  # Arabic number sign
        "\ufff9",  # interlinear annotation anchor
        "\U000e0041",  # tag latin capital A (invisible "ASCII smuggling")
    ],
)
def test_plain_escapes_invisible_format_characters(char: str) -> None:
    assert_inert(plain(f"A{char}B"))
