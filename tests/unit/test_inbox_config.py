"""The [inbox] table and the folder patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from faxtui.config import Config, ConfigError, ModemConfig
from faxtui.inbox.config import InboxConfig, Watch, from_toml

WHERE = "/etc/faxtui/config.toml: [inbox]"


def test_defaults_watch_the_modems_inboxes(tmp_path: Path) -> None:
    config = Config(
        data_dir=tmp_path,
        modems=(
            ModemConfig("a", "/dev/ttyA"),
            ModemConfig("b", "/dev/ttyB", inbox=Path("/srv/modem-b")),
        ),
    )
    settings = from_toml({}, WHERE)
    assert settings == InboxConfig()
    assert settings.watches(config) == (
        Watch(str(tmp_path / "inbox"), "*.tif", required=False),
        Watch("/srv/modem-b", "*.tif", required=False),
    )
    assert settings.archive_folder(config) == tmp_path / "archive"
    assert from_toml({"modem_inbox": False}, WHERE).watches(config) == ()


def test_globs_and_tables() -> None:
    settings = from_toml(
        {
            "folders": [
                "/var/spool/asterisk/fax/*.tif",
                "/tmp/fax[0-9]*.tif",
                "/srv/fax/",
                "/srv/deep/**/*.tiff",
                {"folder": "/var/spool/hylafax/recvq", "pattern": "fax*.tif"},
                {"folder": "/srv/other/"},
            ],
            "archive": "/srv/archive",
            "quiet": 5,
            "polling": True,
            "rescan": 0,
        },
        WHERE,
    )
    assert settings.folders == (
        Watch("/var/spool/asterisk/fax", "*.tif"),
        Watch("/tmp", "fax[0-9]*.tif"),
        Watch("/srv/fax", "*.tif"),
        Watch("/srv/deep", "**/*.tiff"),
        Watch("/var/spool/hylafax/recvq", "fax*.tif"),
        Watch("/srv/other", "*.tif"),
    )
    assert (settings.archive, settings.quiet, settings.polling, settings.rescan) == (
        Path("/srv/archive"),
        5.0,
        True,
        0.0,
    )
    # a configured folder that is also a modem inbox is watched once, as configured
    config = Config(data_dir=Path("/srv"), modems=())
    same = from_toml({"folders": ["/srv/inbox"]}, WHERE)
    assert same.watches(config) == (Watch("/srv/inbox", "*.tif"),)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"folder": []}, "'folder' is not a known setting (did you mean 'folders'?)"),
        ({"quiet": "2"}, "'quiet': should be a number"),
        ({"quiet": True}, "'quiet': should be a number"),
        ({"quiet": 0}, "'quiet': seconds a file must stay unchanged"),
        ({"rescan": -1}, "'rescan': must not be negative"),
        ({"polling": 1}, "'polling': should be true or false"),
        ({"archive": "relative/path"}, "'archive': 'relative/path' is not an absolute path"),
        ({"folders": "/srv/*.tif"}, "'folders': should be a list"),
        ({"folders": ["fax/*.tif"]}, "'folders[0]': 'fax/*.tif' is not an absolute path"),
        (
            {"folders": ["/srv/a**/*.tif"]},
            "'folders[0]': '/srv/a**/*.tif': ** must be a part of its own",
        ),
        ({"folders": ["/srv/**"]}, "'folders[0]': '/srv/**' names no files"),
        ({"folders": [3]}, "'folders[0]': should be a string"),
        ({"folders": [{"pattern": "*.tif"}]}, "'folders[0]': needs folder ="),
        ({"folders": [{"folder": "/a", "glob": "*"}]}, "'folders[0]': unknown key 'glob'"),
        ({"folders": [{"folder": "/a", "pattern": "../*.tif"}]}, "'folders[0]': '../*.tif' is not"),
    ],
)
def test_errors_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_toml(table, WHERE)
    assert str(caught.value).startswith(WHERE + " ")
    assert message in str(caught.value)


def test_patterns() -> None:
    flat = Watch("/var/spool/asterisk/fax", "*.tif")
    assert flat.matches("/var/spool/asterisk/fax/1234.tif")
    assert flat.matches("/var/spool/asterisk/fax/FAX.TIF")  # case does not matter
    assert not flat.matches("/var/spool/asterisk/fax/sub/1234.tif")  # * stays in its folder
    assert not flat.matches("/var/spool/asterisk/fax/.receiving-x.tif")  # dot files never
    assert not flat.matches("/var/spool/asterisk/fax/1234.pdf")
    assert not flat.matches("/var/spool/asterisk/faxes/1234.tif")
    assert not flat.recursive
    deep = Watch("/srv", "**/*.tif")
    assert deep.recursive
    assert deep.matches("/srv/a.tif")  # ** may be no folder at all
    assert deep.matches("/srv/2026/11/a.tif")
    assert not deep.matches("/srv/2026/.hidden/a.tif")
    dated = Watch("/tmp", "fax[0-9]*.tif")
    assert dated.matches("/tmp/fax202611291620.tif")
    assert not dated.matches("/tmp/faxes.tif")
