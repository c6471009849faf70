"""`faxtui inbox [--json] [--cached]`, as the command line will call it."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import pytest

from faxtui.config import Config
from faxtui.inbox import cli
from faxtui.inbox.config import InboxConfig, Watch
from faxtui.inbox.index import InboxIndex
from faxtui.inbox.model import InboxItem, InboxState

DATA = Path(__file__).resolve().parent.parent / "data"
LONG_AGO = 1_700_000_000


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="faxtui")
    sub = parser.add_subparsers(dest="command")
    cli.register(sub)
    return parser.parse_args(["inbox", *argv])


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Config, InboxConfig, Path]:
    folder = tmp_path / "spool"
    folder.mkdir()
    for name, source in (("b.tif", "hylafax-g4-fine.tif"), ("a.tif", "efax-g3-fine.tif")):
        shutil.copy(DATA / source, folder / name)
        os.utime(folder / name, (LONG_AGO, LONG_AGO))
    hostile = folder / "\x1b]0;pwned\x07[red]x[bold].tif"
    hostile.write_bytes(b"")
    os.utime(hostile, (LONG_AGO, LONG_AGO))
    settings = InboxConfig(folders=(Watch(str(folder), "*.tif"),), modem_inbox=False)
    return Config(data_dir=tmp_path / "data"), settings, folder


def test_json_lines(
    setup: tuple[Config, InboxConfig, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, settings, folder = setup
    assert cli.run(parse("--json"), config, settings) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_name = {Path(r["path"]).name: r for r in records}
    assert by_name["a.tif"]["station_id"] == "1001"
    assert by_name["b.tif"]["station_id"] == "HylaFAX A 1001"
    assert (by_name["a.tif"]["state"], by_name["a.tif"]["pages"]) == ("ok", 1)
    hostile = next(r for r in records if r["state"] == "bad")
    assert hostile["problem"] == "empty file (0 bytes)"
    assert hostile["path"].startswith(str(folder) + "/\x1b]0;pwned")  # data, kept as it is


def test_plain_lines_are_inert(
    setup: tuple[Config, InboxConfig, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, settings, _ = setup
    assert cli.run(parse(), config, settings) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "␛]0;pwned␇[red]x[bold].tif" in out
    lines = out.splitlines()
    assert len(lines) == 3
    assert any("ok" in line and "HylaFAX A 1001 (1001)" in line for line in lines)


def test_cached_lists_the_index_without_looking(
    setup: tuple[Config, InboxConfig, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, settings, folder = setup
    assert cli.run(parse("--cached", "--json"), config, settings) == 0
    assert capsys.readouterr().out == ""  # nothing indexed yet
    cli.run(parse("--json"), config, settings)
    capsys.readouterr()
    (folder / "a.tif").unlink()
    cli.run(parse("--cached", "--json"), config, settings)
    assert len(capsys.readouterr().out.splitlines()) == 3  # as the index had it
    cli.run(parse("--json"), config, settings)
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {Path(r["path"]).name: r["state"] for r in records}["a.tif"] == "missing"


def test_non_utf8_name_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = InboxIndex(tmp_path / "data")
    index.upsert([InboxItem(os.fsdecode(b"/in/fax-\xff.tif"), 1, 1, InboxState.BAD)])
    index.close()
    cli.run(parse("--json", "--cached"), Config(data_dir=tmp_path / "data"), InboxConfig())
    assert json.loads(capsys.readouterr().out)["path"] == "/in/fax-\\xff.tif"


def test_a_broken_index_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "inbox.db").write_bytes(b"garbage" * 100)
    assert cli.run(parse(), Config(data_dir=tmp_path), InboxConfig()) == 1
    assert "inbox.db: cannot open the inbox index" in capsys.readouterr().err


def test_config_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    args = parse("--json")
    args.config = config_file
    args.data_dir = None
    assert cli.run(args) == 0
    assert (tmp_path / "data" / "inbox.db").exists()
    config_file.write_text("data_dir = 3\n")
    assert cli.run(args) == 2
    assert "data_dir" in capsys.readouterr().err
