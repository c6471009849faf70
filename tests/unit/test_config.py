"""Configuration: layering, env overrides, errors that point at file:line and key, secrets."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from faxtui import config
from faxtui.config import AmiServer, Config, ConfigError, Secret, load

SECRET = "hunter2-never-shown"


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """The system and user config paths, both pointing into tmp_path (not created)."""
    system = tmp_path / "etc" / "config.toml"
    user = tmp_path / "home" / "config.toml"
    monkeypatch.setattr(config, "SYSTEM_CONFIG", system)
    monkeypatch.setattr(config, "user_config_file", lambda: user)
    return system, user


def write(path: Path, text: str | bytes, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def load_error(path: Path | None = None, **kwargs: object) -> str:
    kwargs.setdefault("env", {})
    with pytest.raises(ConfigError) as info:
        load(path, **kwargs)  # type: ignore[arg-type]
    return str(info.value)


def deny_reading(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Make ``denied`` unreadable even for root (who ignores mode bits)."""
    real_read_text = Path.read_text

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        if self == denied:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", read_text)


def names(cfg: Config) -> list[str]:
    return [s.name for s in cfg.ami]


# --- layering ---------------------------------------------------------------------------------


def test_no_file_at_all_gives_the_defaults(files: tuple[Path, Path]) -> None:
    cfg = load(env={})
    assert cfg.files == ()
    assert cfg.ami == ()
    assert cfg.ui == config.UiConfig()
    assert cfg.health == config.HealthConfig()
    assert cfg.data_dir == config.default_data_dir()
    assert cfg.history_db == config.default_data_dir() / "faxtui.db"
    assert cfg.warnings == ()


def test_user_file_overrides_system_file_key_by_key(files: tuple[Path, Path]) -> None:
    system, user = files
    write(
        system,
        'data_dir = "/srv/fax"\n'
        '[ui]\ntheme = "system-theme"\nbell = true\nlinger = 5\n'
        '[health]\ninterval = 2.5\nprocesses = ["asterisk"]\n',
    )
    write(user, '[ui]\ntheme = "user-theme"\n[health]\nspool_dirs = ["/var/spool/x"]\n')

    cfg = load(env={})

    assert cfg.files == (system, user)
    assert cfg.ui.theme == "user-theme"  # from the user file
    assert cfg.ui.bell is True  # from the system file, not reset by the user's [ui]
    assert cfg.ui.linger == 5.0
    assert isinstance(cfg.ui.linger, float)
    assert cfg.health.interval == 2.5
    assert cfg.health.processes == ("asterisk",)
    assert cfg.health.spool_dirs == ("/var/spool/x",)
    assert cfg.data_dir == Path("/srv/fax")


def test_top_level_key_of_the_user_file_wins(files: tuple[Path, Path], tmp_path: Path) -> None:
    system, user = files
    write(system, 'data_dir = "/srv/system"\n')
    write(user, f'data_dir = "{tmp_path / "mine"}"\n')
    assert load(env={}).data_dir == tmp_path / "mine"


def test_ami_list_of_a_later_file_replaces_the_earlier_list(files: tuple[Path, Path]) -> None:
    system, user = files
    write(
        system,
        '[[ami]]\nname = "a"\nhost = "10.0.0.1"\nport = 5039\n[[ami]]\nname = "b"\n',
    )
    write(user, '[[ami]]\nname = "c"\n')

    cfg = load(env={})

    assert names(cfg) == ["c"]
    # nothing of the system's servers leaks into the user's one
    assert cfg.ami[0] == AmiServer("c")


def test_ami_list_of_the_system_file_stays_when_the_user_file_has_none(
    files: tuple[Path, Path],
) -> None:
    system, user = files
    write(system, '[[ami]]\nname = "a"\n[[ami]]\nname = "b"\n')
    write(user, '[ui]\ntheme = "x"\n')
    cfg = load(env={})
    assert names(cfg) == ["a", "b"]
    assert cfg.ui.theme == "x"


def test_only_the_user_file(files: tuple[Path, Path]) -> None:
    _system, user = files
    write(user, "[ui]\nbell = true\n")
    cfg = load(env={})
    assert cfg.files == (user,)
    assert cfg.ui.bell is True


def test_an_error_in_the_user_file_names_the_user_file(files: tuple[Path, Path]) -> None:
    system, user = files
    write(system, '[ui]\ntheme = "ok"\n')
    write(user, '[ui]\ntheme = "ok"\nbel = true\n')
    message = load_error()
    assert f"{user}:3:" in message
    assert str(system) not in message


def test_config_flag_reads_only_that_file(files: tuple[Path, Path], tmp_path: Path) -> None:
    system, user = files
    write(system, '[ui]\nbell = true\n[[ami]]\nname = "sys"\n')
    write(user, '[ui]\ntheme = "user"\n')
    only = write(tmp_path / "only.toml", "[ui]\nlinger = 7\n")

    cfg = load(only, env={})

    assert cfg.files == (only,)
    assert cfg.ui == config.UiConfig(linger=7.0)  # neither bell nor theme from the others
    assert cfg.ami == ()


def test_config_flag_with_a_broken_system_file_still_works(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    system, _user = files
    write(system, "this is not toml\n")
    only = write(tmp_path / "only.toml", "")
    assert load(only, env={}).files == (only,)


# --- environment and flags -------------------------------------------------------------------


def test_faxtui_config_env_names_the_only_file(files: tuple[Path, Path], tmp_path: Path) -> None:
    system, _user = files
    write(system, "[ui]\nbell = true\n")
    chosen = write(tmp_path / "chosen.toml", '[ui]\ntheme = "chosen"\n')

    cfg = load(env={"FAXTUI_CONFIG": str(chosen)})

    assert cfg.files == (chosen,)
    assert cfg.ui.theme == "chosen"
    assert cfg.ui.bell is False


def test_config_flag_beats_faxtui_config_env(files: tuple[Path, Path], tmp_path: Path) -> None:
    flag = write(tmp_path / "flag.toml", '[ui]\ntheme = "flag"\n')
    env_file = write(tmp_path / "env.toml", '[ui]\ntheme = "env"\n')
    cfg = load(flag, env={"FAXTUI_CONFIG": str(env_file)})
    assert cfg.files == (flag,)
    assert cfg.ui.theme == "flag"


def test_faxtui_config_env_pointing_nowhere_is_an_error(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.toml"
    message = load_error(env={"FAXTUI_CONFIG": str(missing)})
    assert message == f"{missing}: no such file"


def test_data_dir_and_theme_from_the_environment(files: tuple[Path, Path], tmp_path: Path) -> None:
    _system, user = files
    write(user, 'data_dir = "/from/file"\n[ui]\ntheme = "file-theme"\n')
    cfg = load(env={"FAXTUI_DATA_DIR": str(tmp_path / "env-data"), "FAXTUI_THEME": "env-theme"})
    assert cfg.data_dir == tmp_path / "env-data"
    assert cfg.history_db == tmp_path / "env-data" / "faxtui.db"
    assert cfg.ui.theme == "env-theme"


def test_empty_env_values_do_not_override(files: tuple[Path, Path]) -> None:
    _system, user = files
    write(user, 'data_dir = "/from/file"\n[ui]\ntheme = "file-theme"\n')
    cfg = load(env={"FAXTUI_DATA_DIR": "", "FAXTUI_THEME": "", "FAXTUI_CONFIG": ""})
    assert cfg.data_dir == Path("/from/file")
    assert cfg.ui.theme == "file-theme"
    assert cfg.files == (user,)


def test_data_dir_expands_the_home_directory(
    files: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    _system, user = files
    write(user, 'data_dir = "~/fax"\n')
    assert load(env={}).data_dir == tmp_path / "h" / "fax"


def test_command_line_overrides_beat_the_environment(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    cfg = load(
        env={"FAXTUI_DATA_DIR": "/env", "FAXTUI_THEME": "env"},
        overrides={"data_dir": str(tmp_path / "flag"), "theme": "flag"},
    )
    assert cfg.data_dir == tmp_path / "flag"
    assert cfg.ui.theme == "flag"


def test_unknown_override_is_refused(files: tuple[Path, Path]) -> None:
    with pytest.raises(ValueError, match="colour"):
        load(env={}, overrides={"colour": "red"})


def test_ami_secret_from_the_environment(files: tuple[Path, Path]) -> None:
    _system, user = files
    write(
        user,
        '[[ami]]\nname = "pbx-1.main"\nsecret = "from-file"\n'
        '[[ami]]\nname = "other"\nsecret = "other-file"\n',
    )
    cfg = load(env={"FAXTUI_AMI_PBX_1_MAIN_SECRET": "from-env"})
    assert cfg.ami[0].secret.reveal() == "from-env"
    assert cfg.ami[1].secret.reveal() == "other-file"


def test_ami_secret_from_the_environment_beats_secret_file(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    _system, user = files
    # the secret_file does not even exist: with the env variable set it is not read
    write(user, f'[[ami]]\nname = "pbx"\nsecret_file = "{tmp_path / "absent"}"\n')
    cfg = load(env={"FAXTUI_AMI_PBX_SECRET": "from-env"})
    assert cfg.ami[0].secret.reveal() == "from-env"


def test_ami_server_values_and_defaults(files: tuple[Path, Path]) -> None:
    _system, user = files
    write(
        user,
        '[[ami]]\nname = "pbx"\nhost = "pbx.example"\nport = 5039\nusername = "fax"\n'
        'secret = "pw"\nauth = "plain"\npoll_interval = 2\nping_interval = 0.5\n'
        'ping_timeout = 3\nconnect_timeout = 9\nfax_exten = "fx"\n'
        '[[ami]]\nname = "bare"\n',
    )
    full, bare = load(env={}).ami
    assert full == AmiServer(
        name="pbx",
        host="pbx.example",
        port=5039,
        username="fax",
        secret=Secret("pw"),
        auth="plain",
        poll_interval=2.0,
        ping_interval=0.5,
        ping_timeout=3.0,
        connect_timeout=9.0,
        fax_exten="fx",
    )
    assert isinstance(full.poll_interval, float)
    assert bare == AmiServer("bare")
    assert bare.secret.reveal() == ""


# --- errors: file, line and key ---------------------------------------------------------------


def test_unknown_key_with_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '# comment\n[ui]\ntheme = "x"\nbel = true\n')
    message = load_error(path)
    assert message.startswith(f"{path}:4: ")
    assert "'bel'" in message
    assert "did you mean 'bell'?" in message


def test_unknown_key_without_a_close_match_has_no_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", "[ui]\nzzzzzz = 1\n")
    message = load_error(path)
    assert message.startswith(f"{path}:2: ")
    assert "'zzzzzz'" in message
    assert "did you mean" not in message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '\ndata_dri = "/x"\n')
    message = load_error(path)
    assert message.startswith(f"{path}:2: top level 'data_dri'")
    assert "did you mean 'data_dir'?" in message


def test_unknown_table_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[ui]\ntheme = "x"\n\n[[amii]]\nname = "pbx"\n')
    message = load_error(path)
    assert message.startswith(f"{path}:4: ")
    assert "'amii'" in message
    assert "did you mean 'ami'?" in message


def test_unknown_key_in_the_second_ami_points_at_the_second_table(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.toml",
        '[[ami]]\nname = "a"\nhots = "x"\n[[ami]]\nname = "b"\nhots = "y"\n',
    )
    # the first table is checked first: its line, its number
    message = load_error(path)
    assert message.startswith(f"{path}:3: [[ami]] #1 'hots'")
    assert "did you mean 'host'?" in message


def test_wrong_type_in_the_second_ami_points_at_its_own_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.toml",
        '[[ami]]\nname = "a"\nport = 5038\n\n[[ami]]\nname = "b"\nport = "5038"\n',
    )
    message = load_error(path)
    assert message == (f"{path}:7: [[ami]] #2 'port' should be a whole number, not a string")


@pytest.mark.parametrize(
    ("text", "line", "key", "expected"),
    [
        ('[[ami]]\nname = "a"\nport = "5038"\n', 3, "port", "a whole number, not a string"),
        ('[[ami]]\nname = "a"\nport = true\n', 3, "port", "a whole number, not true or false"),
        ('[[ami]]\nname = "a"\nport = 50.5\n', 3, "port", "a whole number, not a number"),
        ("[ui]\nlinger = true\n", 2, "linger", "not true or false"),
        ("[ui]\nbell = 1\n", 2, "bell", "true or false, not a whole number"),
        ("[health]\ninterval = false\n", 2, "interval", "not true or false"),
        ('[health]\nprocesses = "asterisk"\n', 2, "processes", "a list, not a string"),
        ('[[ami]]\nname = "a"\nping_timeout = true\n', 3, "ping_timeout", "true or false"),
        ('[[ami]]\nname = "a"\nsecret = 1234\n', 3, "secret", "a string, not a whole number"),
        ("data_dir = 5\n", 1, "data_dir", "a string, not a whole number"),
        ('ui = "dark"\n', 1, "ui", "a table, not a string"),
        ('ami = "pbx"\n', 1, "ami", "a list, not a string"),
    ],
)
def test_wrong_type(tmp_path: Path, text: str, line: int, key: str, expected: str) -> None:
    path = write(tmp_path / "c.toml", text)
    message = load_error(path)
    assert message.startswith(f"{path}:{line}: ")
    assert f"'{key}' should be " in message
    assert message.endswith(expected)


def test_toml_syntax_error_leads_with_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[ui]\ntheme = "x"\nbell = \n')
    message = load_error(path)
    assert message.startswith(f"{path}:3:8: ")
    assert "(at line" not in message  # not said twice


def test_toml_syntax_error_in_a_table_header(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", "[ui\n")
    assert load_error(path).startswith(f"{path}:1:4: ")


def test_duplicate_server_names(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.toml",
        '[[ami]]\nname = "pbx"\n\n[[ami]]\nhost = "h"\nname = "pbx"\n',
    )
    message = load_error(path)
    assert message == f"{path}:6: [[ami]] #2 'name': 'pbx' is used twice"


def test_bad_auth_value(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[[ami]]\nname = "a"\nauth = "sha256"\n')
    message = load_error(path)
    assert message.startswith(f"{path}:3: [[ami]] #1 'auth'")
    assert "'sha256'" in message
    assert '"md5" or "plain"' in message


@pytest.mark.parametrize("port", [0, -1, 65536, 100000])
def test_bad_port(tmp_path: Path, port: int) -> None:
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\nport = {port}\n')
    message = load_error(path)
    assert message == f"{path}:3: [[ami]] #1 'port': {port} is not a TCP port"


@pytest.mark.parametrize("port", [1, 5038, 65535])
def test_good_ports(tmp_path: Path, port: int) -> None:
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\nport = {port}\n')
    assert load(path, env={}).ami[0].port == port


@pytest.mark.parametrize(
    "key", ["poll_interval", "ping_interval", "ping_timeout", "connect_timeout"]
)
def test_intervals_must_be_positive(tmp_path: Path, key: str) -> None:
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\n{key} = 0\n')
    message = load_error(path)
    assert message.startswith(f"{path}:3: [[ami]] #1 '{key}'")
    assert "more than 0" in message


def test_missing_name_points_at_the_table_header(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[[ami]]\nname = "ok"\n\n[[ami]]\nhost = "pbx"\n')
    message = load_error(path)
    assert message == f"{path}:4: [[ami]] #2: every [[ami]] needs a name"


def test_empty_name_is_a_missing_name(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", '[[ami]]\nname = ""\n')
    assert "needs a name" in load_error(path)


@pytest.mark.parametrize("name", ["has space", "semi;colon", "x" * 33, "bad\\u001b"])
def test_bad_names(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "{name}"\n')
    message = load_error(path)
    assert message.startswith(f"{path}:2: [[ami]] #1 'name'")


def test_ami_entry_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", "ami = [1]\n")
    message = load_error(path)
    assert str(path) in message
    assert "[[ami]]" in message


def test_secret_and_secret_file_together(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.toml",
        f'[[ami]]\nname = "a"\nsecret = "{SECRET}"\nsecret_file = "/etc/pw"\n',
    )
    message = load_error(path)
    assert message.startswith(f"{path}:4: [[ami]] #1 'secret_file'")
    assert "either secret or secret_file" in message
    assert SECRET not in message


def test_missing_secret_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-secret"
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\nsecret_file = "{missing}"\n')
    message = load_error(path)
    assert message.startswith(f"{path}:3: [[ami]] #1 'secret_file'")
    assert str(missing) in message
    assert "No such file" in message


def test_secret_file_that_is_a_directory(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\nsecret_file = "{tmp_path}"\n')
    message = load_error(path)
    assert message.startswith(f"{path}:3: [[ami]] #1 'secret_file': cannot read {tmp_path}")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_secret_file(tmp_path: Path) -> None:
    secret = write(tmp_path / "pw", SECRET, mode=0o000)
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\nsecret_file = "{secret}"\n')
    message = load_error(path)
    assert message.startswith(f"{path}:3: [[ami]] #1 'secret_file': cannot read {secret}")
    assert "ermission denied" in message


def test_secret_file_permission_error_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = write(tmp_path / "pw", SECRET)
    deny_reading(monkeypatch, secret)
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\nsecret_file = "{secret}"\n')
    message = load_error(path)
    assert message == (
        f"{path}:3: [[ami]] #1 'secret_file': cannot read {secret} (Permission denied)"
    )


def test_non_utf8_secret_file_is_a_config_error(tmp_path: Path) -> None:
    secret = write(tmp_path / "pw", b"\xff\xfe\x00secret")
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\nsecret_file = "{secret}"\n')
    message = load_error(path)
    assert message.startswith(f"{path}:3: [[ami]] #1 'secret_file'")
    assert str(secret) in message


def test_missing_config_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    assert load_error(missing) == f"{missing}: no such file"


def test_config_file_that_is_a_directory(tmp_path: Path) -> None:
    message = load_error(tmp_path)
    assert message.startswith(f"{tmp_path}: cannot read")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_config_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", "", mode=0o000)
    assert load_error(path).startswith(f"{path}: permission denied")


def test_config_permission_error_even_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "c.toml", "")
    deny_reading(monkeypatch, path)
    message = load_error(path)
    assert message == f"{path}: permission denied (faxtui runs as uid {os.getuid()})"


def test_non_utf8_config_file(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", b'[ui]\ntheme = "caf\xe9"\n')
    message = load_error(path)
    assert message.startswith(str(path))
    assert "not UTF-8 text" in message
    assert "at byte 17" in message  # the offset of \xe9 in the file


def test_non_utf8_config_file_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", b'[ui]\ntheme = "caf\xe9"\n')
    assert load_error(path).startswith(f"{path}:2: not UTF-8 text")


# --- secrets ---------------------------------------------------------------------------------


def test_secret_file_is_read_and_stripped(tmp_path: Path) -> None:
    secret = write(tmp_path / "pw", f"  {SECRET}\n\n")
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\nsecret_file = "{secret}"\n')
    cfg = load(path, env={})
    assert cfg.ami[0].secret.reveal() == SECRET
    assert cfg.warnings == ()


def test_secret_file_expands_the_home_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write(tmp_path / ".faxpw", SECRET)
    path = write(tmp_path / "c.toml", '[[ami]]\nname = "a"\nsecret_file = "~/.faxpw"\n')
    assert load(path, env={}).ami[0].secret.reveal() == SECRET


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_warning_for_a_config_file_with_a_secret_readable_by_others(
    tmp_path: Path, mode: int
) -> None:
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\nsecret = "{SECRET}"\n', mode=mode)
    cfg = load(path, env={})
    assert len(cfg.warnings) == 1
    warning = cfg.warnings[0]
    assert str(path) in warning
    assert f"{mode:04o}" in warning
    assert f"chmod 600 {path}" in warning
    assert SECRET not in warning


def test_no_warning_for_a_private_config_file_with_a_secret(tmp_path: Path) -> None:
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\nsecret = "{SECRET}"\n', mode=0o600)
    assert load(path, env={}).warnings == ()


def test_no_warning_for_a_readable_config_file_without_a_secret(tmp_path: Path) -> None:
    secret = write(tmp_path / "pw", SECRET, mode=0o600)
    path = write(
        tmp_path / "c.toml", f'[[ami]]\nname = "a"\nsecret_file = "{secret}"\n', mode=0o644
    )
    assert load(path, env={}).warnings == ()


def test_warning_for_a_world_readable_secret_file(tmp_path: Path) -> None:
    secret = write(tmp_path / "pw", SECRET, mode=0o644)
    path = write(tmp_path / "c.toml", f'[[ami]]\nname = "a"\nsecret_file = "{secret}"\n')
    cfg = load(path, env={})
    assert len(cfg.warnings) == 1
    assert str(secret) in cfg.warnings[0]
    assert "secret file" in cfg.warnings[0]
    assert f"chmod 600 {secret}" in cfg.warnings[0]
    assert SECRET not in cfg.warnings[0]


def test_warning_for_the_system_file_when_layered(files: tuple[Path, Path]) -> None:
    system, user = files
    write(system, f'[[ami]]\nname = "a"\nsecret = "{SECRET}"\n', mode=0o644)
    write(user, "[ui]\nbell = true\n", mode=0o644)
    warnings = load(env={}).warnings
    assert len(warnings) == 1
    assert str(system) in warnings[0]


def test_secret_never_shows_its_value() -> None:
    secret = Secret(SECRET)
    shown = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret!s}",
        "%s %r" % (secret, secret),  # noqa: UP031 - the old formatting must hide it too
        "{}".format(secret),  # noqa: UP032
        str([secret]),
        str({"secret": secret}),
        str(ValueError(secret)),
    ]
    for text in shown:
        assert SECRET not in text
        assert "********" in text
    assert secret.reveal() == SECRET


def test_secret_equality_and_truth() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"  # never equal to the bare string
    assert hash(Secret("a")) == hash(Secret("a"))
    assert bool(Secret("a")) is True
    assert bool(Secret("")) is False
    assert repr(Secret("")) == "Secret('')"


def test_secret_is_hidden_in_the_dataclasses(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.toml",
        f'[[ami]]\nname = "pbx"\nusername = "fax"\nsecret = "{SECRET}"\n',
    )
    cfg = load(path, env={})
    assert cfg.ami[0].secret.reveal() == SECRET
    for text in (
        repr(cfg.ami[0]),
        str(cfg.ami[0]),
        repr(cfg),
        str(cfg),
        f"{cfg}",
        repr(dataclasses.asdict(cfg)),
        repr(dataclasses.replace(cfg.ami[0], host="elsewhere")),
    ):
        assert SECRET not in text
        assert "Secret('********')" in text


def test_secret_from_env_and_file_hidden_too(tmp_path: Path) -> None:
    pw = write(tmp_path / "pw", SECRET + "-file")
    path = write(
        tmp_path / "c.toml",
        f'[[ami]]\nname = "one"\nsecret_file = "{pw}"\n[[ami]]\nname = "two"\n',
    )
    cfg = load(path, env={"FAXTUI_AMI_TWO_SECRET": SECRET + "-env"})
    assert [s.secret.reveal() for s in cfg.ami] == [SECRET + "-file", SECRET + "-env"]
    assert SECRET not in repr(cfg)


def test_errors_do_not_leak_the_secret(tmp_path: Path) -> None:
    path = write(
        tmp_path / "c.toml",
        f'[[ami]]\nname = "a"\nsecret = "{SECRET}"\nport = "x"\n[[ami]]\nname = "a"\n',
    )
    assert SECRET not in load_error(path)
