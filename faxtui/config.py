"""Configuration: TOML files, then environment, then command-line flags.

Files read, in order, later ones overriding earlier ones key by key: /etc/faxtui/config.toml,
then config.toml in the user config dir. ``--config FILE`` reads that one file instead.
An error names the file, the line and the key; a secret readable by others gets a warning.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faxtui.inbox.config import InboxConfig

import platformdirs

APP = "faxtui"
SYSTEM_CONFIG = Path("/etc/faxtui/config.toml")


def user_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "config.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


def state_dir() -> Path:
    """Where the UI remembers small things (the theme); never the config files."""
    return Path(platformdirs.user_state_dir(APP))


class ConfigError(Exception):
    """A configuration problem, phrased for the operator (file, line, key)."""


class Secret:
    """A password that does not show itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('********')" if self._value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True)
class AmiServer:
    name: str
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = ""
    secret: Secret = field(default_factory=lambda: Secret(""))
    auth: str = "md5"  # "md5" (challenge, the secret never crosses the wire) or "plain"
    poll_interval: float = 1.0  # FAXSession polling while a fax is active
    ping_interval: float = 5.0
    ping_timeout: float = 4.0
    connect_timeout: float = 5.0
    fax_exten: str = "fax"  # where fax detection sends a call (Newexten to it = CNG heard)
    # Sending through this server (the queue's Asterisk sender); no send_channel: it does not.
    send_channel: str = ""  # Originate's Channel, "{number}" replaced: "Local/{number}@fax-out"
    send_dir: str = ""  # where faxtui puts the TIFFs for SendFAX (shared with Asterisk)
    send_dir_asterisk: str = ""  # the same folder as Asterisk sees it ("" = send_dir)
    max_sends: int = 2  # calls at once through this server
    send_timeout: float = 60.0  # seconds to wait for an answer (Originate's Timeout)
    send_caller_id: str = ""  # Originate's CallerID, e.g. '"ACME fax" <+15551230100>'
    send_station_id: str = ""  # FAXOPT(localstationid): our TSI
    send_header: str = ""  # FAXOPT(headerinfo): the line atop each page
    sendfax_options: str = ""  # SendFAX's options, e.g. "f" (allow audio fallback)

    @property
    def can_send(self) -> bool:
        return bool(self.send_channel)


@dataclass(frozen=True)
class ModemConfig:
    """A Class 1 fax modem on a serial port, driven by faxtui itself."""

    name: str
    device: str
    local_id: str = ""  # our TSI/CSI: up to 20 characters, digits, + and space by T.30
    rings: int = 2  # answer after this many rings; 0 never answers
    caller_id: bool = True  # ask for caller ID (AT+VCID=1)
    max_receive_pages: int = 100
    max_rate: int = 14400
    inbox: Path | None = None  # received faxes; None: <data_dir>/inbox
    connect_delay: float = 0.4  # wait after +FTM's CONNECT (iaxmodem answers it too soon)
    baudrate: int = 115200
    flow_control: str = "xonxoff"  # "xonxoff" (iaxmodem, most modems) or "rtscts" (AT&K3)


@dataclass(frozen=True)
class UiConfig:
    theme: str = "faxtui-dark"
    bell: bool = False  # ring the terminal bell when a fax fails
    notify: str = "failures"  # toasts for finished calls: "all", "failures" or "none"
    linger: float = 60.0  # seconds a finished call stays in the live table
    graphics: str = "auto"  # how fax pages are drawn: auto, sixel, kitty, halfblock, braille, none


@dataclass(frozen=True)
class HealthConfig:
    processes: tuple[str, ...] = ("asterisk", "faxq", "hfaxd", "faxgetty", "iaxmodem")
    spool_dirs: tuple[str, ...] = ("/var/spool/asterisk/fax", "/var/spool/hylafax")
    interval: float = 1.0


@dataclass(frozen=True)
class QueueConfig:
    """Retries: how many, how soon after each kind of failure, and when to give up."""

    max_tries: int = 3
    retry_busy: float = 60.0  # seconds after busy or congestion
    retry_no_answer: float = 300.0  # after no answer
    retry_other: float = 180.0  # after any other failure worth another try
    kill_after: float = 3 * 3600.0  # a job not sent this long after it was queued fails
    resolution: str = "fine"
    paper: str = "a4"  # or "letter"


@dataclass(frozen=True)
class ServeConfig:
    """Who may use the engine's socket (`faxtui serve`): its group and mode."""

    group: str = ""  # e.g. "fax"; "" = the serving user's own group
    mode: int = 0o660


def _default_inboxes() -> InboxConfig:
    from faxtui.inbox.config import InboxConfig  # it reads ConfigError from here

    return InboxConfig()


@dataclass(frozen=True)
class Config:
    ami: tuple[AmiServer, ...] = ()
    modems: tuple[ModemConfig, ...] = ()
    ui: UiConfig = UiConfig()
    health: HealthConfig = HealthConfig()
    queue: QueueConfig = QueueConfig()
    serve: ServeConfig = ServeConfig()
    inboxes: InboxConfig = field(default_factory=_default_inboxes)  # [inbox]: received faxes
    data_dir: Path = field(default_factory=default_data_dir)
    files: tuple[Path, ...] = ()  # the files this was read from
    warnings: tuple[str, ...] = ()

    @property
    def history_db(self) -> Path:
        return self.data_dir / "faxtui.db"

    @property
    def inbox(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def queue_db(self) -> Path:
        return self.data_dir / "queue.db"

    @property
    def spool(self) -> Path:
        """The queue's own copies of the documents, as fax TIFFs."""
        return self.data_dir / "spool"

    @property
    def socket(self) -> Path:
        """Where `faxtui serve` listens and the TUI and the CLI look for it."""
        return self.data_dir / "engine.sock"


# --- schema ---------------------------------------------------------------------------------

_TOP = {
    "data_dir": str,
    "ui": dict,
    "health": dict,
    "queue": dict,
    "serve": dict,
    "inbox": dict,
    "ami": list,
    "modem": list,
}
_QUEUE = {
    "max_tries": int,
    "retry_busy": (int, float),
    "retry_no_answer": (int, float),
    "retry_other": (int, float),
    "kill_after": (int, float),
    "resolution": str,
    "paper": str,
}
_UI = {"theme": str, "bell": bool, "notify": str, "linger": (int, float), "graphics": str}
GRAPHICS = ("auto", "sixel", "kitty", "halfblock", "braille", "none")
_HEALTH = {"processes": list, "spool_dirs": list, "interval": (int, float)}
_MODEM = {
    "name": str,
    "device": str,
    "local_id": str,
    "rings": int,
    "caller_id": bool,
    "max_receive_pages": int,
    "max_rate": int,
    "inbox": str,
    "connect_delay": (int, float),
    "baudrate": int,
    "flow_control": str,
}
_SERVE = {"socket_group": str, "socket_mode": str}
_AMI = {
    "name": str,
    "host": str,
    "port": int,
    "username": str,
    "secret": str,
    "secret_file": str,
    "auth": str,
    "poll_interval": (int, float),
    "ping_interval": (int, float),
    "ping_timeout": (int, float),
    "connect_timeout": (int, float),
    "fax_exten": str,
    "send_channel": str,
    "send_dir": str,
    "send_dir_asterisk": str,
    "max_sends": int,
    "send_timeout": (int, float),
    "send_caller_id": str,
    "send_station_id": str,
    "send_header": str,
    "sendfax_options": str,
}


@dataclass
class _Source:
    """One TOML file with its text, for pointing at lines."""

    path: Path
    text: str

    def line_of(self, table: str, index: int | None, key: str | None) -> int | None:
        """The line of ``key`` in ``[table]`` (the index-th ``[[table]]``), or of the header."""
        current = ""
        count = -1
        header_line = None
        for number, line in enumerate(self.text.splitlines(), start=1):
            header = re.match(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?", line)
            if header:
                if not table and key and header.group(2).split(".")[0].strip(' "') == key:
                    return number  # an unknown top-level [table] or [[table]]
                current = header.group(2).strip()
                if current == table:
                    count += 1
                    if index is None or count == index:
                        header_line = number
                continue
            in_table = current == table and (index is None or count == index)
            if key and in_table and re.match(rf'\s*"?{re.escape(key)}"?\s*=', line):
                return number
        return header_line


def _where(src: _Source, table: str, index: int | None, key: str | None) -> str:
    line = src.line_of(table, index, key)
    spot = f"{src.path}:{line}" if line else str(src.path)
    section = f"[{table}]" if table else "top level"
    if index is not None:
        section = f"[[{table}]] #{index + 1}"
    return f"{spot}: {section}" + (f" {key!r}" if key else "")


def _check_table(
    src: _Source, table: str, index: int | None, data: Mapping[str, Any], schema: dict[str, Any]
) -> None:
    for key, value in data.items():
        expected = schema.get(key)
        if expected is None:
            close = difflib.get_close_matches(key, list(schema), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{_where(src, table, index, key)} is not a known setting{hint}")
        is_bool_for_number = isinstance(value, bool) and bool not in _as_tuple(expected)
        if is_bool_for_number or not isinstance(value, expected):
            names = " or ".join(_type_name(t) for t in _as_tuple(expected))
            raise ConfigError(
                f"{_where(src, table, index, key)} should be {names}, not {_type_name(type(value))}"
            )


def _as_tuple(t: Any) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


def _type_name(t: type) -> str:
    return {
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }.get(t, t.__name__)


# --- loading --------------------------------------------------------------------------------


def _read(path: Path) -> tuple[_Source, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except PermissionError:
        raise ConfigError(f"{path}: permission denied (faxtui runs as uid {os.getuid()})") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    src = _Source(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 3, column 7)"; lead with file:line like every other error.
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        spot = f"{path}:{m.group(1)}:{m.group(2)}" if m else str(path)
        raise ConfigError(f"{spot}: {msg}") from None
    _check_table(src, "", None, data, _TOP)
    for name, schema in (("ui", _UI), ("health", _HEALTH), ("queue", _QUEUE), ("serve", _SERVE)):
        if name in data:
            _check_table(src, name, None, data[name], schema)
    for table, schema in (("ami", _AMI), ("modem", _MODEM)):
        for i, entry in enumerate(data.get(table, [])):
            if not isinstance(entry, dict):
                raise ConfigError(f"{_where(src, table, None, None)}: use [[{table}]] tables")
            _check_table(src, table, i, entry, schema)
    return src, data


def _merge(layers: list[tuple[_Source, dict[str, Any]]]) -> dict[str, tuple[_Source, Any]]:
    """Merge files key by key; each value remembers the file it came from."""
    merged: dict[str, tuple[_Source, Any]] = {}
    for src, data in layers:
        for key, value in data.items():
            if isinstance(value, dict):
                for sub, subvalue in value.items():
                    merged[f"{key}.{sub}"] = (src, subvalue)
            else:
                merged[key] = (src, value)  # a list of [[ami]] replaces the earlier one
    return merged


def load(
    config_file: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Read the configuration; raise ConfigError with file, line and key on any problem."""
    env = os.environ if env is None else env
    if config_file is None and env.get("FAXTUI_CONFIG"):
        config_file = Path(env["FAXTUI_CONFIG"])
    if config_file is not None:
        paths = [config_file]
    else:
        paths = [p for p in (SYSTEM_CONFIG, user_config_file()) if p.exists()]
    layers = [_read(p) for p in paths]
    merged = _merge(layers)
    warnings: list[str] = []

    def get(key: str, default: Any) -> Any:
        return merged[key][1] if key in merged else default

    servers = []
    names: set[str] = set()
    if "ami" in merged:
        src, tables = merged["ami"]
        for i, table in enumerate(tables):
            server = _ami_server(src, i, table, env, warnings)
            if server.name in names:
                raise ConfigError(f"{_where(src, 'ami', i, 'name')}: {server.name!r} is used twice")
            names.add(server.name)
            servers.append(server)
    modems: list[ModemConfig] = []
    if "modem" in merged:
        src, tables = merged["modem"]
        for i, table in enumerate(tables):
            modem = _modem(src, i, table)
            if modem.name in names or modem.name in {m.name for m in modems}:
                raise ConfigError(
                    f"{_where(src, 'modem', i, 'name')}: {modem.name!r} is used twice"
                )
            modems.append(modem)
    for src, data in layers:
        if any("secret" in t for t in data.get("ami", [])):
            _warn_if_readable(src.path, "holds an AMI secret", warnings)

    notify = get("ui.notify", UiConfig.notify)
    if notify not in ("all", "failures", "none"):
        src = merged["ui.notify"][0]
        raise ConfigError(f'{_where(src, "ui", None, "notify")}: use "all", "failures" or "none"')
    graphics = str(env.get("FAXTUI_GRAPHICS") or get("ui.graphics", UiConfig.graphics))
    graphics = graphics.strip().lower()
    if graphics not in GRAPHICS:
        where = (
            _where(merged["ui.graphics"][0], "ui", None, "graphics")
            if "ui.graphics" in merged and not env.get("FAXTUI_GRAPHICS")
            else "$FAXTUI_GRAPHICS"
        )
        raise ConfigError(f"{where}: use one of {', '.join(GRAPHICS)}")
    ui = UiConfig(
        theme=env.get("FAXTUI_THEME") or get("ui.theme", UiConfig.theme),
        bell=get("ui.bell", UiConfig.bell),
        notify=notify,
        linger=float(get("ui.linger", UiConfig.linger)),
        graphics=graphics,
    )
    health = HealthConfig(
        processes=tuple(str(p) for p in get("health.processes", HealthConfig.processes)),
        spool_dirs=tuple(str(p) for p in get("health.spool_dirs", HealthConfig.spool_dirs)),
        interval=float(get("health.interval", HealthConfig.interval)),
    )
    queue = _queue(merged)
    inboxes = _inboxes(layers)
    serve = ServeConfig(group=get("serve.socket_group", ""), mode=_socket_mode(merged))
    data_dir = env.get("FAXTUI_DATA_DIR") or get("data_dir", None)
    config = Config(
        ami=tuple(servers),
        modems=tuple(modems),
        ui=ui,
        health=health,
        queue=queue,
        serve=serve,
        inboxes=inboxes,
        data_dir=Path(data_dir).expanduser() if data_dir else default_data_dir(),
        files=tuple(paths),
        warnings=tuple(warnings),
    )
    for key, value in (overrides or {}).items():
        config = _override(config, key, value)
    return config


def _inboxes(layers: list[tuple[_Source, dict[str, Any]]]) -> InboxConfig:
    """The last file's [inbox] table (its folders are a whole, not merged key by key)."""
    from faxtui.inbox.config import InboxConfig, from_toml

    for src, data in reversed(layers):
        if "inbox" in data:
            return from_toml(data["inbox"], _where(src, "inbox", None, None))
    return InboxConfig()


def _socket_mode(merged: dict[str, tuple[_Source, Any]]) -> int:
    if "serve.socket_mode" not in merged:
        return ServeConfig.mode
    src, value = merged["serve.socket_mode"]
    if not re.fullmatch(r"0?[0-7]{3}", value) or int(value, 8) & 0o007:
        where = _where(src, "serve", None, "socket_mode")
        raise ConfigError(f'{where}: an octal mode with nothing for others, e.g. "0660"')
    return int(value, 8)


def _queue(merged: dict[str, tuple[_Source, Any]]) -> QueueConfig:
    values: dict[str, Any] = {}
    for key in _QUEUE:
        if f"queue.{key}" not in merged:
            continue
        src, value = merged[f"queue.{key}"]
        where = _where(src, "queue", None, key)
        if key == "resolution" and value not in ("fine", "standard", "superfine"):
            raise ConfigError(f'{where}: use "fine", "standard" or "superfine"')
        if key == "paper" and value not in ("a4", "letter"):
            raise ConfigError(f'{where}: use "a4" or "letter"')
        if key == "max_tries" and not 1 <= value <= 100:
            raise ConfigError(f"{where}: from 1 to 100")
        if key.startswith(("retry_", "kill_")) and value <= 0:
            raise ConfigError(f"{where}: must be more than 0 seconds")
        values[key] = float(value) if key.startswith(("retry_", "kill_")) else value
    return QueueConfig(**values)


def _modem(src: _Source, index: int, table: dict[str, Any]) -> ModemConfig:
    def where(key: str | None) -> str:
        return _where(src, "modem", index, key)

    name = table.get("name", "")
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", name):
        raise ConfigError(f"{where('name')}: every [[modem]] needs a name: letters, digits, . - _")
    if not table.get("device"):
        raise ConfigError(f"{where('device')}: the serial device is missing, e.g. /dev/ttyACM0")
    local_id = table.get("local_id", "")
    if len(local_id) > 20 or not (local_id.isascii() and local_id.isprintable()):
        raise ConfigError(f"{where('local_id')}: at most 20 printable ASCII characters")
    max_rate = table.get("max_rate", ModemConfig.max_rate)
    if max_rate not in (14400, 12000, 9600, 7200, 4800, 2400):
        raise ConfigError(f"{where('max_rate')}: one of 14400, 12000, 9600, 7200, 4800, 2400")
    for key in ("rings", "max_receive_pages", "baudrate"):
        if table.get(key, 0) < 0:
            raise ConfigError(f"{where(key)}: must not be negative")
    flow_control = table.get("flow_control", ModemConfig.flow_control)
    if flow_control not in ("xonxoff", "rtscts"):
        raise ConfigError(f'{where("flow_control")}: use "xonxoff" or "rtscts"')
    inbox = table.get("inbox")
    return ModemConfig(
        name=name,
        device=table["device"],
        local_id=local_id,
        rings=table.get("rings", ModemConfig.rings),
        caller_id=table.get("caller_id", ModemConfig.caller_id),
        max_receive_pages=table.get("max_receive_pages", ModemConfig.max_receive_pages),
        max_rate=max_rate,
        inbox=Path(inbox).expanduser() if inbox else None,
        connect_delay=float(table.get("connect_delay", ModemConfig.connect_delay)),
        baudrate=table.get("baudrate", ModemConfig.baudrate),
        flow_control=flow_control,
    )


def _ami_server(
    src: _Source, index: int, table: dict[str, Any], env: Mapping[str, str], warnings: list[str]
) -> AmiServer:
    def where(key: str | None) -> str:
        return _where(src, "ami", index, key)

    name = table.get("name", "")
    if not name:
        raise ConfigError(f"{where(None)}: every [[ami]] needs a name")
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", name):
        raise ConfigError(f"{where('name')}: use letters, digits, '.', '-' or '_' (max 32)")
    port = table.get("port", AmiServer.port)
    if not 0 < port < 65536:
        raise ConfigError(f"{where('port')}: {port} is not a TCP port")
    auth = table.get("auth", AmiServer.auth)
    if auth not in ("md5", "plain"):
        raise ConfigError(f'{where("auth")}: use "md5" or "plain", not {auth!r}')
    if "secret" in table and "secret_file" in table:
        raise ConfigError(f"{where('secret_file')}: give either secret or secret_file, not both")
    env_key = "FAXTUI_AMI_" + re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_SECRET"
    secret = env.get(env_key) or table.get("secret", "")
    if not env.get(env_key) and "secret_file" in table:
        secret_path = Path(table["secret_file"]).expanduser()
        try:
            secret = secret_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"{where('secret_file')}: cannot read {secret_path} ({exc.strerror})"
            ) from None
        except UnicodeDecodeError as exc:  # never show the bytes: they are the secret
            raise ConfigError(
                f"{where('secret_file')}: {secret_path} is not UTF-8 text "
                f"({exc.reason} at byte {exc.start})"
            ) from None
        _warn_if_readable(secret_path, "is an AMI secret file", warnings)
    numbers = {}
    for key in ("poll_interval", "ping_interval", "ping_timeout", "connect_timeout"):
        value = float(table.get(key, getattr(AmiServer, key)))
        if value <= 0:
            raise ConfigError(f"{where(key)}: must be more than 0 seconds")
        numbers[key] = value
    channel = table.get("send_channel", "")
    if channel and ("{number}" not in channel or "/" not in channel):
        raise ConfigError(
            f"{where('send_channel')}: a channel with {{number}} in it, "
            'e.g. "Local/{number}@fax-out"'
        )
    if channel and not table.get("send_dir"):
        raise ConfigError(
            f"{where('send_dir')}: sending needs the folder Asterisk reads the TIFFs from"
        )
    if table.get("max_sends", 1) < 1:
        raise ConfigError(f"{where('max_sends')}: at least 1")
    station = table.get("send_station_id", "")
    if len(station) > 20 or not (station.isascii() and station.isprintable()):
        raise ConfigError(f"{where('send_station_id')}: at most 20 printable ASCII characters")
    return AmiServer(
        name=name,
        host=table.get("host", AmiServer.host),
        port=port,
        username=table.get("username", ""),
        secret=Secret(secret),
        auth=auth,
        fax_exten=table.get("fax_exten", AmiServer.fax_exten),
        send_channel=channel,
        send_dir=str(Path(table["send_dir"]).expanduser()) if table.get("send_dir") else "",
        send_dir_asterisk=table.get("send_dir_asterisk", ""),
        max_sends=table.get("max_sends", AmiServer.max_sends),
        send_timeout=float(table.get("send_timeout", AmiServer.send_timeout)),
        send_caller_id=table.get("send_caller_id", ""),
        send_station_id=station,
        send_header=table.get("send_header", ""),
        sendfax_options=table.get("sendfax_options", ""),
        **numbers,
    )


def _warn_if_readable(path: Path, what: str, warnings: list[str]) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        warnings.append(
            f"{path} {what} and is readable by others (mode {stat.S_IMODE(mode):04o}); "
            f"run: chmod 600 {path}"
        )


def _override(config: Config, key: str, value: Any) -> Config:
    """Apply one command-line flag (``data_dir``, ``theme``)."""
    if key == "data_dir":
        return replace(config, data_dir=Path(value).expanduser())
    if key == "theme":
        return replace(config, ui=replace(config.ui, theme=value))
    raise ValueError(f"unknown override {key}")
