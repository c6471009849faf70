"""The external viewer's command line and what the operator is told, with real programs."""

from __future__ import annotations

from pathlib import Path

import pytest

from faxtui.config import ConfigError
from faxtui.inbox.config import from_toml
from faxtui.ui.viewer import command_line, open_in_viewer


def test_the_config_splits_the_command_like_a_shell_and_refuses_a_broken_one() -> None:
    config = from_toml({"viewer": "evince --page-index={page} '{file}'"}, "config.toml: [inbox]")
    assert config.viewer == ("evince", "--page-index={page}", "{file}")
    with pytest.raises(ConfigError, match=r"\[inbox\] 'viewer': is not a command line"):
        from_toml({"viewer": "evince 'unclosed"}, "config.toml: [inbox]")
    assert from_toml({}, "x").viewer == ()


def test_file_and_page_are_filled_in_and_a_command_without_file_gets_the_path_last() -> None:
    spaced = "/srv/fax in/a b.tif"
    assert command_line(("v", "-p", "{page}", "{file}"), spaced, 3) == ["v", "-p", "3", spaced]
    assert command_line(("xdg-open",), spaced, 1) == ["xdg-open", spaced]


async def test_a_viewer_gets_the_file_as_one_argument_never_through_a_shell(
    tmp_path: Path,
) -> None:
    said = tmp_path / "args"
    hostile = str(tmp_path / "$(touch pwned); rm -rf x.tif")
    ok, words = await open_in_viewer(
        ("sh", "-c", f'printf "%s\\n" "$@" > {said}', "viewer", "{file}"), hostile, 1
    )
    assert ok, words
    assert said.read_text().splitlines() == [hostile]
    assert not (Path.cwd() / "pwned").exists()


async def test_a_missing_program_and_a_failing_one_are_said_plainly(tmp_path: Path) -> None:
    ok, words = await open_in_viewer(("no-such-viewer-here",), "/tmp/x.tif", 1)
    assert (ok, words) == (False, "viewer no-such-viewer-here: No such file or directory")
    ok, words = await open_in_viewer(("sh", "-c", "echo '\x1b[31mno display' >&2; exit 1"),
                                     "/tmp/x.tif", 1)  # fmt: skip
    assert not ok
    assert words.startswith("viewer sh failed (exit 1): ")
    assert "\x1b" not in words  # its words are plain text
