"""Send to yourself: a generated page goes out through the queue and must come back in.

The number is a loop: an Asterisk extension that runs ReceiveFax into a watched folder, the
lab's second modem, or the demo's loop number. The page carries a token and a pattern; a new
fax in an inbox folder whose first page looks like it closes the loop. The report says how
long each leg took, at what rate, and where it failed if it did.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageOps

from faxtui.engine import EngineApi, SendFax
from faxtui.model import Call, Job, JobChange, JobState
from faxtui.t30.reasons import describe

LIKENESS = 0.9  # share of agreeing cells, at thumbnail size, for "that is our page"
THUMB = (108, 140)


@dataclass
class SelfTestReport:
    ok: bool
    number: str
    message: str
    job_id: int | None = None
    queued_s: float = 0.0  # queued until the call was placed
    sent_s: float = 0.0  # dialled until done
    arrived_s: float = 0.0  # done until the fax was in the inbox
    total_s: float = 0.0
    rate: int = 0
    pages: int = 0
    received: str = ""  # the file that came back
    likeness: float = 0.0
    steps: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def make_page(token: str, when: str) -> Image.Image:
    """An A4 fine page: a big token, a frame, stripes and a checker, easy to recognise."""
    page = Image.new("1", (1728, 2200), 255)
    draw = ImageDraw.Draw(page)
    draw.rectangle((40, 40, 1687, 2159), outline=0, width=8)
    for x in range(120, 1600, 160):  # stripes of falling width: a check of the resolution
        draw.rectangle((x, 200, x + (1600 - x) // 40 + 2, 700), fill=0)
    for row in range(8):
        for col in range(12):
            if (row + col) % 2 == 0:
                draw.rectangle((120 + col * 120, 900 + row * 120, 239 + col * 120,
                                1019 + row * 120), fill=0)  # fmt: skip
    text = f"faxtui self-test {token}  {when}"
    draw.text((120, 1900), text, fill=0)
    big = Image.new("1", (len(text) * 6, 11), 255)
    ImageDraw.Draw(big).text((0, 0), token, fill=0)
    page.paste(big.resize((big.width * 8, big.height * 8)), (120, 1950))
    return page


def likeness(a: Image.Image, b: Image.Image) -> float:
    """Agreement of two pages at thumbnail size (resolution and a header line forgiven)."""
    small = [ImageOps.autocontrast(img.convert("L").resize(THUMB, Image.Resampling.BOX))
             .point(lambda v: 255 if v > 160 else 0) for img in (a, b)]  # fmt: skip
    diff = ImageChops.difference(small[0], small[1])
    return 1 - diff.histogram()[255] / (THUMB[0] * THUMB[1])


def _save(page: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.save(path)


def _first_page(path: Path) -> Image.Image | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with Image.open(path) as image:
                frame = image.convert("1")
                dpi = image.info.get("dpi", (204, 196))
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
    if dpi and dpi[1] and dpi[1] < 150:  # standard resolution: lines doubled, as sent
        frame = frame.resize((frame.width, frame.height * 2))
    return frame


def _new_faxes(folders: Sequence[Path], since: float) -> list[Path]:
    found = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            if path.name.startswith(".") or path.suffix.lower() not in (".tif", ".tiff"):
                continue
            try:
                if path.stat().st_mtime >= since - 1:
                    found.append(path)
            except OSError:
                continue
    return found


async def run_selftest(
    engine: EngineApi,
    number: str,
    inboxes: Sequence[Path],
    *,
    via: str = "",
    timeout: float = 600.0,
    work: Path,
    progress: Callable[[str], None] = lambda _: None,
    clock: Callable[[], float] = time.time,
) -> SelfTestReport:
    """Queue the test page to ``number`` and wait for it to arrive in one of ``inboxes``."""
    token = secrets.token_hex(3).upper()
    start = clock()
    page = make_page(token, time.strftime("%Y-%m-%d %H:%M:%S"))
    document = work / f"selftest-{token}.png"
    await asyncio.to_thread(_save, page, document)
    report = SelfTestReport(False, number, "")

    def step(words: str) -> None:
        report.steps.append(f"{clock() - start:6.1f}s {words}")
        progress(words)

    subscription = engine.subscribe()
    try:
        result = await engine.command(SendFax(number, (str(document),), via=via))
        if not result.ok:
            report.message = f"not queued: {result.message}"
            return report
        job: Job = result.data
        report.job_id = job.id
        step(f"job {job.id} queued to {number} ({token})")
        job = await _until_final(engine, subscription, job, step, start + timeout, clock)
        report.total_s = clock() - start
        if job.attempts:
            first = job.attempts[-1]
            report.queued_s = first.started - start
            report.sent_s = (first.ended or clock()) - first.started
            report.pages = first.pages
            call = _call(engine, first.call_id)
            report.rate = call.rate if call is not None else 0
        if job.state is not JobState.DONE:
            report.message = _where_it_failed(engine, job)
            return report
        done_at = clock()
        step("sent; waiting for it to come back in")
        while clock() < start + timeout:
            for path in await asyncio.to_thread(_new_faxes, inboxes, start):
                got = await asyncio.to_thread(_first_page, path)
                if got is not None and (score := likeness(got, page)) >= LIKENESS:
                    report.ok = True
                    report.received = str(path)
                    report.likeness = score
                    report.arrived_s = clock() - done_at
                    report.total_s = clock() - start
                    report.message = (f"round trip in {report.total_s:.0f} s: sent in "
                                      f"{report.sent_s:.0f} s at {report.rate or '?'} bit/s, "
                                      f"back {report.arrived_s:.0f} s later, "
                                      f"{score:.1%} alike")  # fmt: skip
                    step(report.message)
                    return report
            await asyncio.sleep(1.0)
        folders = ", ".join(str(f) for f in inboxes) or "no inbox folder"
        report.message = (f"sent, but nothing like it arrived in {folders} within "
                          f"{timeout:.0f} s: is {number} a loop back to this server?")  # fmt: skip
        return report
    finally:
        subscription.close()
        document.unlink(missing_ok=True)


async def _until_final(
    engine: EngineApi,
    subscription: object,
    job: Job,
    step: Callable[[str], None],
    deadline: float,
    clock: Callable[[], float],
) -> Job:
    state = job.state
    iterator = subscription.__aiter__()  # type: ignore[attr-defined]
    while not job.state.final and clock() < deadline:
        try:
            batch = await asyncio.wait_for(iterator.__anext__(), max(0.1, deadline - clock()))
        except TimeoutError:
            break
        for change in batch:
            if isinstance(change, JobChange) and change.job.id == job.id:
                job = change.job
        if job.state is not state:
            state = job.state
            why = f" ({describe(job.reason).text})" if job.reason and not state.in_call else ""
            step(f"job {job.id}: {state}{why}")
    return job


def _call(engine: EngineApi, call_id: str) -> Call | None:
    return next((c for c in engine.snapshot().calls if c.id == call_id), None)


def _where_it_failed(engine: EngineApi, job: Job) -> str:
    reason = describe(job.reason)
    where = ""
    if job.attempts and (call := _call(engine, job.attempts[-1].call_id)) is not None:
        where = f" in phase {call.phase}" + (f", page {call.page}" if call.page else "")
    if not job.state.final:
        return f"job {job.id} still {job.state} when the time ran out{where}"
    return f"job {job.id} {job.state}{where}: {reason.text}. {reason.hint}".rstrip()
