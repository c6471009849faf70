"""The queue from the shell: `faxtui send` (queued), `queue`, `resend`, `retry`, `cancel`,
`hold`, `release`, and `serve`, the engine as a service.

They talk to the running engine (`faxtui serve`) through its socket; with none running they
open the queue themselves, and `send --wait` then runs an engine until the fax is through.
Exit codes: 0 done (or queued, without --wait), 1 the fax failed or was cancelled, 2 bad
input or a command refused, 3 no engine could be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

from faxtui import heap
from faxtui.config import Config
from faxtui.engine import JOB_ACTIONS, CommandResult, Engine, JobCommand, SendFax
from faxtui.model import Job, JobChange, JobState
from faxtui.remote import EngineGone, RemoteEngine
from faxtui.service import EngineServer, ServiceError, engine_running
from faxtui.t30.reasons import describe
from faxtui.text import plain

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_ENGINE = 0, 1, 2, 3

AnyEngine = Engine | RemoteEngine


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: Any) -> None:
    queue = sub.add_parser("queue", help="the jobs of the outgoing queue")
    common(queue)
    queue.add_argument("--json", action="store_true", help="one JSON object per job")
    queue.add_argument("--all", action="store_true", help="also the finished jobs")
    for action in JOB_ACTIONS:
        helps = {
            "cancel": "cancel jobs (a call in progress is hung up)",
            "hold": "hold waiting jobs",
            "release": "release held jobs",
            "retry": "try jobs again now (a failed one gets one more try)",
            "resend": "queue finished jobs again as new jobs",
        }
        parser = sub.add_parser(action, help=helps[action])
        common(parser)
        parser.add_argument("ids", nargs="+", type=int, metavar="ID")
        parser.add_argument("--json", action="store_true")
    selftest = sub.add_parser("selftest", help="send a test page to a loop number, wait for it")
    common(selftest)
    selftest.add_argument("--to", required=True, metavar="NUMBER",
                          help="a number that sends faxes back to this server")  # fmt: skip
    selftest.add_argument("--via", help="modem, asterisk, or a sender's name")
    selftest.add_argument("--timeout", type=float, default=600.0, help="seconds (600)")
    selftest.add_argument("--json", action="store_true", help="the report as JSON")
    serve = sub.add_parser("serve", help="run the engine headless, its API on a Unix socket")
    common(serve)
    serve.add_argument("--socket", help="listen here instead of <data_dir>/engine.sock")
    serve.add_argument("--read-only", action="store_true", help="refuse every command")


@contextlib.asynccontextmanager
async def engine_for(
    config: Config, *, sending: bool = False, read_only: bool = False
) -> AsyncIterator[AnyEngine]:
    """The running engine, else one of our own: queue only, or everything with ``sending``."""
    if engine_running(config.socket):
        remote = RemoteEngine(config.socket, read_only=read_only)
        await remote.start()
        try:
            yield remote
        finally:
            await remote.stop()
        return
    engine = Engine(config, read_only=read_only, connect=sending)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop()


def _run(work: Callable[[], Coroutine[Any, Any, int]]) -> int:
    try:
        return asyncio.run(work())
    except EngineGone as exc:
        print(f"faxtui: {exc}", file=sys.stderr)
        return EXIT_NO_ENGINE


# --- send -----------------------------------------------------------------------------------


def run_send(args: argparse.Namespace, config: Config) -> int:
    command = SendFax(
        number=args.to,
        files=tuple(str(f) for f in args.files),
        via=args.via or "",
        resolution=args.resolution or "",
        cover=args.cover or "",
        priority=args.priority,
        note=(args.note or "").replace("\\n", "\n"),
    )
    running = engine_running(config.socket)

    async def go() -> int:
        async with engine_for(config, sending=args.wait) as engine:
            subscription = engine.subscribe()
            result = await engine.command(command)
            if not result.ok:
                print(f"faxtui: {plain(result.message)}", file=sys.stderr)
                return EXIT_USAGE
            job: Job = result.data
            _say(args.json, job, plain(result.message))
            if not args.wait:
                if not running:
                    print("faxtui: no faxtui engine is running: the job waits in the queue "
                          "until `faxtui serve` or the TUI runs (or use --wait)",
                          file=sys.stderr)  # fmt: skip
                return EXIT_OK
            return await _follow(engine, subscription, job, args.json)

    return _run(go)


async def _follow(engine: AnyEngine, subscription: Any, job: Job, as_json: bool) -> int:
    """Print each change of the job until it is done, failed or cancelled."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    last = job
    stopping = asyncio.ensure_future(stop.wait())
    try:
        async for batch in _batches(subscription, stopping):
            for change in batch:
                mine = isinstance(change, JobChange) and change.job.id == job.id
                if mine and change.job != last:
                    last = change.job
                    _say(as_json, last, _words(last))
            if last.state.final:
                return EXIT_OK if last.state is JobState.DONE else EXIT_FAILED
        print(f"faxtui: stopped watching; job {job.id} stays in the queue", file=sys.stderr)
        return EXIT_FAILED
    finally:
        stopping.cancel()
        subscription.close()


async def _batches(subscription: Any, stopping: asyncio.Future[Any]) -> AsyncIterator[Any]:
    iterator = subscription.__aiter__()
    while True:
        nxt = asyncio.ensure_future(iterator.__anext__())
        done, _ = await asyncio.wait({nxt, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping in done:
            nxt.cancel()
            return
        try:
            yield nxt.result()
        except StopAsyncIteration:
            return


def _words(job: Job) -> str:
    attempt = job.attempts[-1] if job.attempts else None
    via = f" via {attempt.via}" if attempt else ""
    match job.state:
        case JobState.DIALING:
            return f"job {job.id}: dialling {job.number}{via} (try {job.tries} of {job.max_tries})"
        case JobState.SENDING:
            return f"job {job.id}: sending {job.pages} page(s){via}"
        case JobState.RETRY_WAIT:
            when = time.strftime("%H:%M:%S", time.localtime(job.next_try or 0))
            return f"job {job.id}: {describe(job.reason).text}; next try at {when}"
        case JobState.DONE:
            pages = attempt.pages if attempt else job.pages
            return f"job {job.id}: sent, {pages} page(s) to {job.number}"
        case JobState.FAILED:
            reason = describe(job.reason)
            return f"job {job.id}: failed: {reason.text}. {reason.hint}".rstrip()
        case JobState.CANCELLED:
            return f"job {job.id}: cancelled"
    return f"job {job.id}: {job.state}"


def _say(as_json: bool, job: Job, words: str) -> None:
    if as_json:
        print(json.dumps({"ts": time.time(), "message": words, "job": job.to_dict()}), flush=True)
    else:
        print(f"{time.strftime('%H:%M:%S')} {plain(words)}", flush=True)


# --- queue and the job commands -------------------------------------------------------------


def run_queue(args: argparse.Namespace, config: Config) -> int:
    async def go() -> int:
        async with engine_for(config, read_only=True) as engine:
            jobs = [j for j in engine.snapshot().jobs if args.all or not j.state.final]
        if args.json:
            for job in jobs:
                print(json.dumps(job.to_dict()))
        elif not jobs:
            print("the queue is empty" + ("" if args.all else " (--all shows finished jobs)"))
        else:
            print(f"{'ID':>5}  {'NUMBER':<16} {'PAGES':>5}  {'STATE':<10} {'TRY':<6} WHAT")
            for job in jobs:
                tries = f"{job.tries}/{job.max_tries}"
                print(f"{job.id:>5}  {plain(job.number):<16} {job.pages:>5}  "
                      f"{job.state:<10} {tries:<6} {plain(_words(job))}")  # fmt: skip
        return EXIT_OK

    return _run(go)


def run_job_command(args: argparse.Namespace, config: Config) -> int:
    async def go() -> int:
        async with engine_for(config) as engine:
            result: CommandResult = await engine.command(JobCommand(args.command, tuple(args.ids)))
        if args.json:
            jobs = result.data or ()
            print(json.dumps({"ok": result.ok, "message": result.message,
                              "jobs": [j.to_dict() for j in jobs]}))  # fmt: skip
        else:
            print(f"faxtui: {plain(result.message)}", file=sys.stdout if result.ok else sys.stderr)
        return EXIT_OK if result.ok else EXIT_USAGE

    return _run(go)


# --- selftest -------------------------------------------------------------------------------


def run_selftest(args: argparse.Namespace, config: Config) -> int:
    from faxtui.selftest import run_selftest as selftest

    def progress(words: str) -> None:
        if not args.json:
            print(f"{time.strftime('%H:%M:%S')} {plain(words)}", flush=True)

    async def go() -> int:
        async with engine_for(config, sending=True) as engine:
            report = await selftest(
                engine, args.to, [config.inbox], via=args.via or "", timeout=args.timeout,
                work=config.data_dir / "selftest", progress=progress,
            )  # fmt: skip
        if args.json:
            print(json.dumps(report.as_dict()))
        else:
            mark = "ok" if report.ok else "FAILED"
            print(f"selftest {mark}: {plain(report.message)}")
        return EXIT_OK if report.ok else EXIT_FAILED

    return _run(go)


# --- serve ----------------------------------------------------------------------------------


def run_serve(args: argparse.Namespace, config: Config) -> int:
    path = Path(args.socket).expanduser() if args.socket else config.socket

    async def go() -> int:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if engine_running(path):
            print(f"faxtui: {path}: a faxtui engine is serving there already", file=sys.stderr)
            return EXIT_USAGE
        engine = Engine(config, read_only=args.read_only)
        server = EngineServer(engine, path, mode=config.serve.mode, group=config.serve.group,
                              read_only=args.read_only)  # fmt: skip
        await engine.start()
        try:
            await server.start()
        except ServiceError as exc:
            await engine.stop()
            print(f"faxtui: {exc}", file=sys.stderr)
            return EXIT_USAGE
        heap.settle()
        print(f"faxtui: serving the engine on {path}", file=sys.stderr, flush=True)
        try:
            await stop.wait()
        finally:
            await server.stop()
            await engine.stop()
        return EXIT_OK

    return asyncio.run(go())
