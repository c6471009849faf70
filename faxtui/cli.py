"""The ``faxtui`` command: the TUI by default, and demo, watch, doctor, history."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from faxtui import __version__, heap, logs, modem_cli, preview_cli, queue_cli
from faxtui.config import (
    GRAPHICS,
    AmiServer,
    Config,
    ConfigError,
    ModemConfig,
    Secret,
    load,
    state_dir,
)
from faxtui.engine import JOB_ACTIONS, Engine, EngineApi
from faxtui.inbox import cli as inbox_cli
from faxtui.model import Call, CallChange, Resync, SourceChange
from faxtui.records import call_record, same_call_facts, source_record

if TYPE_CHECKING:
    from faxtui.ui.widgets.page_view import Graphics

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
GRAPHICS_HELP = (
    "how the inbox draws fax pages (default: auto, from the config's [ui] graphics; "
    "braille in tmux)"
)


def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        default=default,
        help="read this config file instead of /etc and the user config",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        default=default,
        help="where the call history database lives",
    )
    parser.add_argument("--debug", action="store_true", default=default or False,
                        help="log at debug level")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="faxtui",
        description="Watch fax calls live (Asterisk AMI), phase by phase, from a terminal.",
    )
    parser.add_argument("--version", action="version", version=f"faxtui {__version__}")
    _common(parser, top=True)
    parser.add_argument("--read-only", action="store_true", help="watch only, change nothing")
    parser.add_argument("--theme", help="start with this theme (then it is remembered)")
    parser.add_argument("--graphics", choices=GRAPHICS, type=str.lower, help=GRAPHICS_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="the TUI on a simulated Asterisk with looping fax calls")
    _common(demo, top=False)
    demo.add_argument("--speed", type=float, default=2.0, help="simulated time factor (2)")
    demo.add_argument("--seed", type=int, default=None, help="repeat the same mix of calls")
    demo.add_argument("--theme", default=argparse.SUPPRESS)
    demo.add_argument("--graphics", choices=GRAPHICS, type=str.lower, default=argparse.SUPPRESS,
                      help=GRAPHICS_HELP)  # fmt: skip

    watch = sub.add_parser("watch", help="print every change of every call (headless)")
    _common(watch, top=False)
    watch.add_argument("--json", action="store_true", help="one JSON object per line")

    doctor = sub.add_parser("doctor", help="check the config, AMI logins and permissions")
    _common(doctor, top=False)
    doctor.add_argument("--json", action="store_true")

    history = sub.add_parser("history", help="finished calls from the history database")
    _common(history, top=False)
    history.add_argument("words", nargs="*", help="only calls matching all these words")
    history.add_argument("--limit", type=int, default=50)
    history.add_argument("--json", action="store_true")

    modem_cli.add_commands(sub, lambda p: _common(p, top=False))
    queue_cli.add_commands(sub, lambda p: _common(p, top=False))
    preview_cli.register(sub)
    inbox_cli.register(sub, lambda p: _common(p, top=False))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "tui"
    if command == "preview":  # needs no configuration: a broken one must not stop it
        return preview_cli.run(args)
    try:
        config = _config(args, demo=command == "demo")
    except ConfigError as exc:
        print(f"faxtui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    secrets_known = [s.secret.reveal() for s in config.ami]
    level = logging.DEBUG if args.debug else logging.WARNING
    if command in ("tui", "demo", "serve"):
        logs.setup(secrets=secrets_known, file=state_dir() / "faxtui.log", level=level)
    else:
        logs.setup(secrets=secrets_known, level=level)
    handlers: dict[str, Callable[[argparse.Namespace, Config], int]] = {
        "tui": run_tui,
        "demo": run_demo,
        "watch": run_watch,
        "doctor": run_doctor,
        "history": run_history,
        "send": run_send,
        "answer": modem_cli.run_answer,
        "queue": queue_cli.run_queue,
        "serve": queue_cli.run_serve,
        "selftest": queue_cli.run_selftest,
        "inbox": lambda args, config: inbox_cli.run(args, config, config.inboxes),
        **{action: queue_cli.run_job_command for action in JOB_ACTIONS},
    }
    try:
        return handlers[command](args, config)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def run_send(args: argparse.Namespace, config: Config) -> int:
    """With --modem: straight through that modem; without: into the queue."""
    if args.modem:
        return modem_cli.run_send(args, config)
    return queue_cli.run_send(args, config)


def _config(args: argparse.Namespace, *, demo: bool) -> Config:
    # The demo needs no configuration; with --config it takes the UI settings from it.
    config = Config() if demo and args.config is None else load(args.config)
    if args.data_dir is not None:
        config = replace(config, data_dir=args.data_dir.expanduser())
    return config


# --- the TUI --------------------------------------------------------------------------------


def run_tui(args: argparse.Namespace, config: Config) -> int:
    from faxtui.remote import RemoteEngine
    from faxtui.service import engine_running
    from faxtui.ui.app import FaxApp

    attach = engine_running(config.socket)  # `faxtui serve` runs: watch and command it
    if not attach and not (config.ami or config.modems):
        print(
            "faxtui: nothing to watch: add an [[ami]] or [[modem]] table to "
            f"{args.config or '~/.config/faxtui/config.toml'} (see the README), "
            "start `faxtui serve`, or try `faxtui demo`.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.theme:
        from faxtui.ui import theming

        theming.remember_theme(args.theme)  # before FaxApp() reads the remembered theme
    engine: EngineApi = (
        RemoteEngine(config.socket, read_only=args.read_only)
        if attach
        else Engine(config, read_only=args.read_only, socket=config.socket)
    )
    app = FaxApp(
        engine,
        graphics=_graphics(args, config),
        viewer=config.inboxes.viewer,
        theme=args.theme or config.ui.theme,
        linger=config.ui.linger,
        bell=config.ui.bell,
        notify=config.ui.notify,
        startup_warnings=config.warnings,
        settle_heap=True,
    )
    return app.run() or EXIT_OK


def _graphics(args: argparse.Namespace, config: Config) -> Graphics:
    """How the inbox draws pages: ``--graphics``, else the config; ``auto`` may ask the
    terminal, so this runs before Textual owns it."""
    from faxtui.ui.widgets.page_view import prepare_graphics

    return prepare_graphics(getattr(args, "graphics", None) or config.ui.graphics)


def run_demo(args: argparse.Namespace, config: Config) -> int:
    """The real TUI on simulators: an Asterisk (AMI on a loopback port, through the real AMI
    source) and a Class 1 fax modem (a pty, through the real modem driver)."""
    from faxtui.inbox import config as inbox_config
    from faxtui.sim.ami_server import AmiSimulator, SimUser
    from faxtui.sim.demo import MODEM, loop_back, run_modem_line, write_documents
    from faxtui.sim.modem import SimModem
    from faxtui.sim.scenarios import run_scenarios
    from faxtui.ui.app import FaxApp

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    secret = secrets.token_urlsafe(12)
    demo_dir = Path(tempfile.mkdtemp(prefix="faxtui-demo-"))
    tty = demo_dir / "ttyFAX0"
    received = demo_dir / "asterisk-fax"  # where the simulated ReceiveFAX writes
    config = replace(
        config,
        ami=(AmiServer("demo-pbx", port=port, username="faxtui", secret=Secret(secret)),),
        modems=(ModemConfig(MODEM, str(tty), local_id="+1 555 0100", rings=2),),
        inboxes=inbox_config.from_toml({"folders": [f"{received}/*.tif"]}, "demo"),
        data_dir=args.data_dir if args.data_dir is not None else demo_dir,
    )
    received.mkdir()
    sim = AmiSimulator(users={"faxtui": SimUser(secret)}, speed=args.speed, seed=args.seed,
                       fax_dir=received)  # fmt: skip
    modem = SimModem(link=tty, speed=args.speed, busy_out=1.0)
    engine = Engine(config, read_only=getattr(args, "read_only", False), socket=config.socket)
    documents = write_documents(demo_dir / "documents")
    line: list[asyncio.Task[None]] = []

    async def start_simulators() -> None:
        await sim.start(sock=listener)
        await run_scenarios(sim, ["mix"], loop=True)
        await modem.start()  # before the engine opens its device
        line.append(asyncio.create_task(run_modem_line(engine, modem, documents, seed=args.seed)))
        line.append(asyncio.create_task(loop_back(modem)))

    async def stop_simulators() -> None:
        for task in line:
            task.cancel()
        await asyncio.gather(*line, return_exceptions=True)
        await modem.stop()
        await sim.stop()

    app = FaxApp(
        engine,
        graphics=_graphics(args, config),
        theme=getattr(args, "theme", None) or config.ui.theme,
        linger=config.ui.linger,
        before_start=start_simulators,
        after_stop=stop_simulators,
        settle_heap=True,
    )
    try:
        return app.run() or EXIT_OK
    finally:
        shutil.rmtree(demo_dir, ignore_errors=True)  # the simulators' files, and its history


# --- headless -------------------------------------------------------------------------------


def run_watch(args: argparse.Namespace, config: Config) -> int:
    from faxtui.service import engine_running

    if not config.ami and not engine_running(config.socket):
        print("faxtui: nothing to watch: no [[ami]] server configured and no `faxtui serve` "
              "running (modems are watched through the engine that drives them)",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    out = _JsonOut() if args.json else _TextOut()
    try:
        return asyncio.run(_watch(config, out))
    except BrokenPipeError:
        return EXIT_OK  # the reader went away (| head): not an error


async def _watch(config: Config, out: _Out) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    from faxtui.remote import RemoteEngine
    from faxtui.service import engine_running

    engine: EngineApi = (
        RemoteEngine(config.socket, read_only=True)
        if engine_running(config.socket)
        else Engine(config, read_only=True)
    )
    await engine.start()
    heap.settle()
    last: dict[str, Call] = {}
    try:
        subscription = engine.subscribe()
        for call in engine.snapshot().calls:
            if call.active:
                last[call.id] = call
                out.call(call)

        async def follow() -> None:
            async for batch in subscription:
                for change in batch:
                    match change:
                        case CallChange(call=call):
                            before = last.get(call.id)
                            if before is None or not same_call_facts(before, call):
                                out.call(call)
                            if call.ended is None:
                                last[call.id] = call
                            else:
                                last.pop(call.id, None)
                        case SourceChange(state=state):
                            out.source(state)
                        case Resync():
                            for call in engine.snapshot().calls:
                                out.call(call)

        follower = asyncio.create_task(follow())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([follower, stopper], return_when=asyncio.FIRST_COMPLETED)
        follower.cancel()
        stopper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
        if follower.done() and not follower.cancelled() and follower.exception():
            raise follower.exception()  # type: ignore[misc]
    finally:
        await engine.stop()
    return EXIT_OK


class _Out:
    def call(self, call: Call) -> None:
        raise NotImplementedError

    def source(self, state: Any) -> None:
        raise NotImplementedError


class _JsonOut(_Out):
    def call(self, call: Call) -> None:
        _print(json.dumps(call_record(call, time.time()), ensure_ascii=False))

    def source(self, state: Any) -> None:
        _print(json.dumps(source_record(state, time.time()), ensure_ascii=False))


class _TextOut(_Out):
    def call(self, call: Call) -> None:
        from faxtui.text import plain
        from faxtui.ui.format import clock

        record = call_record(call, time.time())
        outcome = f" {record['result']} {record['reason_text']}" if call.ended else ""
        _print(
            f"{clock(time.time())} {plain(call.source)} {call.direction:>3} "
            f"{plain(call.remote_number or '?'):<16} {call.phase} {plain(call.status)}{outcome}"
        )

    def source(self, state: Any) -> None:
        from faxtui.text import plain
        from faxtui.ui.format import clock

        _print(f"{clock(time.time())} {plain(state.name)} {state.state}: {plain(state.message)}")


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_doctor(args: argparse.Namespace, config: Config) -> int:
    from faxtui import doctor

    checks = asyncio.run(doctor.run(config))
    if args.json:
        print(json.dumps([c.as_dict() for c in checks], indent=2, ensure_ascii=False))
    else:
        print(doctor.render(checks))
    return doctor.exit_code(checks)


def run_history(args: argparse.Namespace, config: Config) -> int:
    from faxtui.text import plain
    from faxtui.ui.format import short_time

    calls = asyncio.run(Engine(config).history(" ".join(args.words), args.limit))
    if args.json:
        now = time.time()
        for call in calls:
            _print(json.dumps(call_record(call, now), ensure_ascii=False))
        return EXIT_OK
    for call in calls:
        record = call_record(call, time.time())
        outcome = "ok" if call.result == "success" else record["reason_text"] or call.result
        _print(
            f"{short_time(call.ended or call.started):<16} {plain(call.source):<10} "
            f"{call.direction:>3} {plain(call.remote_number or '?'):<16} "
            f"{call.pages:>2}p {outcome}"
        )
    return EXIT_OK
