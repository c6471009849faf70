"""``faxtui send --modem`` and ``faxtui answer``: a fax modem driven straight from the shell.

Each prints the call as it goes, one line per phase, frame and page (``--json``: one JSON
object per line), then the result; the exit code says whether the fax went through.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from faxtui.config import Config, ModemConfig
from faxtui.documents.pages import DocumentError, load_pages
from faxtui.model import CallClosed, CallInfo, CallOpened, CallRaw, FaxEvent, PhaseEntered
from faxtui.sources.modem.at import ModemError
from faxtui.sources.modem.modem import FaxModem
from faxtui.t30.dis import RESOLUTIONS, Resolution
from faxtui.t30.reasons import describe
from faxtui.text import plain

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: Any) -> None:
    send = sub.add_parser(
        "send",
        help="queue a fax (or, with --modem, send it through a Class 1 modem now)",
        description="Queue documents for a number; the engine sends them with retries. "
        "With --modem the fax goes out at once through that modem, without the queue.",
    )
    common(send)
    send.add_argument("files", nargs="+", type=Path, metavar="FILE",
                      help="text, PDF, TIFF, PNG, JPEG, PBM...")  # fmt: skip
    send.add_argument("--to", required=True, metavar="NUMBER", help="the number to dial")
    send.add_argument("--via", help="queue: modem, asterisk, or a sender's name")
    send.add_argument("--resolution", choices=["fine", "standard", "superfine"], default=None,
                      help="superfine goes at fine to a receiver without it")  # fmt: skip
    send.add_argument("--cover", metavar="SUBJECT", help="queue: add a cover page")
    send.add_argument(
        "--note", metavar="TEXT", help="queue: a note on the cover page (\\n: new line)"
    )
    send.add_argument("--priority", type=int, default=0, help="queue: higher goes first")
    send.add_argument("--wait", action="store_true", help="queue: follow the job to its end")
    send.add_argument("--json", action="store_true", help="one JSON object per line")
    send.add_argument("--modem", help="send now through this [[modem]] name or serial device")
    send.add_argument("--trace", action="store_true", help="--modem: also show AT commands")

    answer = sub.add_parser("answer", help="answer fax calls on a Class 1 modem until stopped")
    common(answer)
    answer.add_argument("--modem", required=True, help="a [[modem]] name or a serial device")
    answer.add_argument("--rings", type=int, default=None, help="answer after N rings")
    answer.add_argument("--inbox", type=Path, help="where received faxes go")
    answer.add_argument("--json", action="store_true", help="one JSON object per line")
    answer.add_argument("--trace", action="store_true", help="also show the AT commands")


def modem_config(config: Config, name_or_device: str) -> ModemConfig:
    for modem in config.modems:
        if name_or_device in (modem.name, modem.device):
            return modem
    return ModemConfig(name=Path(name_or_device).name or "modem", device=name_or_device)


class Printer:
    """Prints a call's FaxEvents as they come: lines for people, or JSON."""

    def __init__(self, *, as_json: bool, trace: bool) -> None:
        self.as_json = as_json
        self.trace = trace
        self.finished: list[CallClosed] = []
        self.files: dict[str, str] = {}

    def __call__(self, events: list[FaxEvent]) -> None:
        for event in events:
            self._one(event)
        sys.stdout.flush()

    def _one(self, event: FaxEvent) -> None:
        match event:
            case CallOpened(call_id=call_id):
                self._out({"type": "call", "call_id": call_id}, f"call {call_id}")
            case PhaseEntered(phase=phase, text=text):
                self._out({"type": "phase", "phase": str(phase), "text": text}, f"{phase}  {text}")
            case CallRaw(event=raw) if raw.origin == "t30":
                fields = dict(raw.fields)
                arrow = "->" if fields.get("dir") == "tx" else "<-"
                record = {
                    "type": "frame",
                    "dir": fields.get("dir"),
                    "name": raw.name,
                    "detail": fields.get("detail", ""),
                    "hex": fields.get("hex", ""),
                }
                self._out(record, f"   {arrow} {raw.name:<8} {fields.get('detail', '')}")
            case CallRaw(event=raw) if raw.origin == "at" and self.trace:
                fields = dict(raw.fields)
                arrow = "<--" if fields.get("dir") == "tx" else "-->"
                self._out(
                    {"type": "at", "dir": fields.get("dir"), "text": fields.get("text")},
                    f"      {arrow} {fields.get('text', '')}",
                )
            case CallInfo(pages=pages, page=page) if pages:
                self._out(
                    {"type": "page", "page": page, "pages": pages},
                    f"   page {page} confirmed ({pages} done)",
                )
            case CallInfo(files=files, call_id=call_id) if files:
                self.files[call_id] = files[0]
                self._out({"type": "file", "path": files[0]}, f"   saved {files[0]}")
            case CallClosed(result=result, reason=reason, detail=detail, call_id=call_id):
                self.finished.append(event)
                words = describe(reason)
                record = {
                    "type": "result",
                    "call_id": call_id,
                    "result": str(result),
                    "reason": reason,
                    "reason_text": words.text,
                    "hint": words.hint,
                    "detail": detail,
                    "file": self.files.get(call_id),
                }
                human = f"E  {result}: {words.text}" + (f" ({detail})" if detail else "")
                if result != "success" and words.hint:
                    human += f"\n   next: {words.hint}"
                self._out(record, human)

    def _out(self, record: dict[str, Any], human: str) -> None:
        if self.as_json:
            print(json.dumps({"ts": round(time.time(), 3), **record}, ensure_ascii=False))
        else:
            print(f"{time.strftime('%H:%M:%S')} {plain(human)}".replace("␊", "\n"))


def run_send(args: argparse.Namespace, config: Config) -> int:
    try:
        documents = [load_pages(path, args.resolution or "fine") for path in args.files]
    except DocumentError as exc:
        print(f"faxtui: {exc}", file=sys.stderr)
        return EXIT_USAGE
    printer = Printer(as_json=args.json, trace=args.trace)
    modem_conf = modem_config(config, args.modem)
    resolution = RESOLUTIONS.get(args.resolution or "fine", Resolution.FINE)

    async def go() -> int:
        modem = FaxModem(modem_conf, inbox=config.inbox, emit=printer)
        try:
            await modem.open()
        except ModemError as exc:
            print(f"faxtui: {exc}", file=sys.stderr)
            return EXIT_FAILED
        try:
            finished = await modem.send(args.to, documents, resolution=resolution)
        finally:
            modem.close()
        return EXIT_OK if finished.result == "success" else EXIT_FAILED

    return asyncio.run(go())


def run_answer(args: argparse.Namespace, config: Config) -> int:
    modem_conf = modem_config(config, args.modem)
    if args.rings is not None:
        modem_conf = replace(modem_conf, rings=max(1, args.rings))
    elif modem_conf.rings == 0:
        modem_conf = replace(modem_conf, rings=1)
    inbox = args.inbox or modem_conf.inbox or config.inbox
    modem_conf = replace(modem_conf, inbox=inbox)
    printer = Printer(as_json=args.json, trace=args.trace)

    async def go() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        modem = FaxModem(modem_conf, inbox=inbox, emit=printer)
        try:
            identity = await modem.open()
        except ModemError as exc:
            print(f"faxtui: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(
            f"faxtui: {plain(identity.describe())} on {modem_conf.device}: answering after "
            f"{modem_conf.rings} ring(s); faxes go to {inbox}",
            file=sys.stderr,
        )
        try:
            while not stop.is_set():
                waiter = asyncio.ensure_future(modem.wait_for_call(timeout=1.0))
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait([waiter, stopper], return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if not waiter.done():
                    waiter.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await waiter
                    break
                call = waiter.result()
                if call is not None:
                    await modem.receive(call)
        except ModemError as exc:
            print(f"faxtui: {exc}", file=sys.stderr)
            return EXIT_FAILED
        finally:
            modem.close()
        failed = [c for c in printer.finished if c.result != "success"]
        return EXIT_FAILED if failed else EXIT_OK

    return asyncio.run(go())
