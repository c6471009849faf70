"""faxtui's Class 1 driver and T.30 engine against the simulated modem: whole calls, faults,
a modem without Class 1, a port that vanishes, the source, the engine's SendFax, the CLI."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from faxtui.config import Config, HealthConfig, ModemConfig
from faxtui.engine import Engine, SendFax
from faxtui.model import (
    CallClosed,
    CallInfo,
    CallRaw,
    FaxEvent,
    LinkState,
    Phase,
    PhaseEntered,
    Result,
)
from faxtui.sim.line import Faults
from faxtui.sim.modem import Answer, FarEnd, Identity, SimModem
from faxtui.sources.modem.at import ModemError
from faxtui.sources.modem.modem import FaxModem
from tests.conftest import finished, wait_for

SPEED = 20


@cache
def page(n: int, rows: int = 300) -> Image.Image:
    image = Image.new("1", (1728, rows), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 1719, rows - 9), outline=0, width=2)
    for y in range(20, rows - 20, 14):
        draw.text((30 + 9 * n, y), f"faxtui page {n}, row {y} " * 6, fill=0)
    return image


def same(a: Image.Image, b: Image.Image) -> bool:
    return (
        a.size == b.size and ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None
    )


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[SimModem]:
    modem = SimModem(speed=SPEED, link=tmp_path / "ttyFAX", busy_out=0.2, no_answer_after=20)
    await modem.start()
    yield modem
    await modem.stop()


class Recorder:
    def __init__(self) -> None:
        self.events: list[FaxEvent] = []

    def __call__(self, events: list[FaxEvent]) -> None:
        self.events.extend(events)

    def phases(self) -> list[Phase]:
        seen: list[Phase] = []
        for e in self.events:
            if isinstance(e, PhaseEntered) and (not seen or seen[-1] is not e.phase):
                seen.append(e.phase)
        return seen

    def frames(self, direction: str) -> list[str]:
        return [
            e.event.name
            for e in self.events
            if isinstance(e, CallRaw)
            and e.event.origin == "t30"
            and ("dir", direction) in e.event.fields
        ]

    def closed(self) -> CallClosed:
        (closed,) = [e for e in self.events if isinstance(e, CallClosed)]
        return closed


def config_for(sim: SimModem, **changes: object) -> ModemConfig:
    config = ModemConfig("sim", str(sim.device), local_id="5550100", rings=1, connect_delay=0.05)
    return replace(config, **changes)  # type: ignore[arg-type]


async def send(sim: SimModem, tmp_path: Path, pages: list[Image.Image], **far: object) -> Recorder:
    sim.next_call(FarEnd(**far))  # type: ignore[arg-type]
    recorder = Recorder()
    modem = FaxModem(config_for(sim), inbox=tmp_path / "inbox", emit=recorder)
    await modem.open()
    try:
        await modem.send("5551234", [pages])
    finally:
        modem.close()
    return recorder


async def test_two_pages_sent_arrive_intact(sim: SimModem, tmp_path: Path) -> None:
    recorder = await send(sim, tmp_path, [page(1), page(2)])
    assert recorder.closed().result is Result.SUCCESS
    assert [same(a, b) for a, b in zip(sim.received_pages, [page(1), page(2)], strict=True)] == [
        True,
        True,
    ]
    assert recorder.phases() == [Phase.A, Phase.B, Phase.C, Phase.D, Phase.C, Phase.D, Phase.E]
    assert recorder.frames("rx") == ["CED", "CSI", "DIS", "DIS", "CFR", "MCF", "MCF"]
    assert recorder.frames("tx") == [
        "CNG",
        "TSI",
        "DCS",
        "TCF",
        "page 1",
        "MPS",
        "page 2",
        "EOP",
        "DCN",
    ]
    trace = [
        dict(e.event.fields)["text"]
        for e in recorder.events
        if isinstance(e, CallRaw) and e.event.origin == "at"
    ]
    assert "ATDT5551234" in trace and "AT+FTH=3" in trace and "AT+FRM=146" not in trace
    infos = [e for e in recorder.events if isinstance(e, CallInfo)]
    assert any(i.rate == 14400 for i in infos) and any(i.remote_station_id for i in infos)


async def test_ftt_at_14400_then_cfr_lower(sim: SimModem, tmp_path: Path) -> None:
    recorder = await send(sim, tmp_path, [page(1)], faults=Faults(train_fails_above=9600))
    assert recorder.closed().result is Result.SUCCESS
    assert recorder.frames("rx").count("FTT") == 2
    rates = [e.rate for e in recorder.events if isinstance(e, CallInfo) and e.rate]
    assert rates[-1] == 9600


async def test_rtn_on_page_2_is_sent_again(sim: SimModem, tmp_path: Path) -> None:
    recorder = await send(sim, tmp_path, [page(1), page(2)], faults=Faults(corrupt_page=2))
    assert recorder.closed().result is Result.SUCCESS
    assert "RTN" in recorder.frames("rx")
    assert recorder.frames("tx").count("page 2") == 2
    assert same(sim.received_pages[1], page(2))


async def test_the_line_drops_during_page_2(sim: SimModem, tmp_path: Path) -> None:
    recorder = await send(sim, tmp_path, [page(1), page(2)], faults=Faults(drop_during_page=2))
    closed = recorder.closed()
    assert (closed.result, closed.reason) == (Result.FAILED, "call_dropped")
    assert "phase C" in closed.detail


@pytest.mark.parametrize(
    ("answer", "reason"),
    [(Answer.BUSY, "busy"), (Answer.NO_ANSWER, "no_answer"), (Answer.NO_DIALTONE, "no_dialtone")],
)
async def test_dial_failures(sim: SimModem, tmp_path: Path, answer: Answer, reason: str) -> None:
    sim.no_answer_after = 2
    recorder = await send(sim, tmp_path, [page(1)], answer=answer)
    assert (recorder.closed().result, recorder.closed().reason) == (Result.FAILED, reason)


async def test_a_remote_that_never_sends_dis(
    sim: SimModem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("faxtui.t30.engine.T1", 4.0)
    recorder = await send(sim, tmp_path, [page(1)], answer=Answer.SILENT)
    closed = recorder.closed()
    assert (closed.result, closed.reason) == (Result.FAILED, "no_fax_answer")


async def test_a_fax_received_goes_to_the_inbox(
    sim: SimModem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("faxtui.sources.modem.session.PROGRESS_EVERY", 0.0)  # every report
    recorder = Recorder()
    modem = FaxModem(config_for(sim), inbox=tmp_path / "inbox", emit=recorder)
    await modem.open()
    await asyncio.sleep(0.1)  # the modem's busy-out after our reset (ATZ)
    try:
        ringing = asyncio.ensure_future(sim.ring([page(3), page(4)]))
        call = await modem.wait_for_call(timeout=20)
        assert call is not None and call.number == "+49301234567"
        result, saved = await modem.receive(call)
        await ringing
    finally:
        modem.close()
    assert result.result is Result.SUCCESS
    assert saved is not None and saved.parent == tmp_path / "inbox"
    with Image.open(saved) as fax:
        assert fax.n_frames == 2
        fax.seek(1)
        assert same(fax.convert("1"), page(4))
    assert recorder.frames("tx")[:3] == ["CED", "CSI", "DIS"]
    assert sim.result is not None and sim.result.result is Result.SUCCESS  # the far end agrees
    progress = [e.status for e in recorder.events if isinstance(e, CallInfo) and e.status]
    pages = {s.split(":")[0] for s in progress if s.startswith("receiving page")}
    assert pages == {"receiving page 1", "receiving page 2"}  # training (TCF) is not a page
    for number in (1, 2):
        lines = [int(m.group(1)) for s in progress if s.startswith(f"receiving page {number}:")
                 and (m := re.search(r", (\d+) lines", s))]  # fmt: skip
        assert lines == sorted(lines) and lines[-1] > 0  # lines counted as they come
        assert lines[-1] <= 300 + 5  # at most the page's rows (and RTC, once it came)


async def test_a_received_fax_cut_short_keeps_its_first_page(sim: SimModem, tmp_path: Path) -> None:
    recorder = Recorder()
    modem = FaxModem(config_for(sim), inbox=tmp_path / "inbox", emit=recorder)
    await modem.open()
    await asyncio.sleep(0.1)  # the modem's busy-out after our reset (ATZ)
    try:
        ringing = asyncio.ensure_future(
            sim.ring([page(1), page(2)], faults=Faults(drop_during_page=2))
        )
        call = await modem.wait_for_call(timeout=20)
        assert call is not None
        result, saved = await modem.receive(call)
        await ringing
    finally:
        modem.close()
    assert (result.result, result.reason) == (Result.FAILED, "call_dropped")
    assert saved is not None
    with Image.open(saved) as fax:
        assert fax.n_frames == 1


async def test_a_modem_without_class_1_is_refused_clearly(tmp_path: Path) -> None:
    identity = Identity(classes=("0",))
    async with SimModem(speed=SPEED, identity=identity, busy_out=0.2) as plain:
        modem = FaxModem(config_for(plain), inbox=tmp_path, emit=Recorder())
        with pytest.raises(ModemError, match="has no fax Class 1"):
            await modem.open()


async def test_a_port_that_vanishes_mid_call(sim: SimModem, tmp_path: Path) -> None:
    sim.next_call(FarEnd())
    recorder = Recorder()
    modem = FaxModem(config_for(sim), inbox=tmp_path, emit=recorder)
    await modem.open()
    sending = asyncio.ensure_future(modem.send("5551234", [[page(1), page(2), page(3)]]))
    await wait_for(lambda: Phase.C in recorder.phases())
    await sim.stop()  # the USB modem is pulled out
    await asyncio.wait_for(sending, 30)
    modem.close()
    closed = recorder.closed()
    assert (closed.result, closed.reason) == (Result.FAILED, "modem_error")


# --- through the engine --------------------------------------------------------------------


def state(engine: Engine) -> LinkState | None:
    sources = engine.snapshot().sources
    return sources[0].state if sources else None


def engine_config(sim: SimModem, tmp_path: Path) -> Config:
    return Config(
        modems=(config_for(sim, device=str(sim.link)),),
        health=HealthConfig(processes=(), spool_dirs=()),
        data_dir=tmp_path / "data",
    )


async def test_sendfax_through_the_engine(sim: SimModem, tmp_path: Path) -> None:
    document = tmp_path / "doc.tif"
    page(1).save(
        document, compression="group4", save_all=True, append_images=[page(2)], dpi=(204, 196)
    )
    engine = Engine(engine_config(sim, tmp_path))
    await engine.start()
    try:
        await wait_for(lambda: state(engine) is LinkState.UP)
        source = engine.snapshot().sources[0]
        assert "spandsp" in source.detail and "Class 1" in source.detail
        result = await engine.command(SendFax("5551234", (str(document),)))
        assert result.ok, result.message
        assert result.message == "job 1: 2 page(s) to 5551234 queued"
        await wait_for(lambda: finished(engine))
        (call,) = finished(engine)
        assert (call.origin, call.direction, call.result) == ("modem", "out", Result.SUCCESS)
        assert call.phases()[-1] is Phase.E and call.pages == 2 and call.rate == 14400
        events = await engine.call_events(call.id)
        assert {e.origin for e in events} == {"t30", "at"}
        bad = await engine.command(SendFax("5551234", (str(tmp_path / "missing.tif"),)))
        assert not bad.ok and "missing.tif: no such file" in bad.message
    finally:
        await engine.stop()


async def test_the_source_comes_back_with_the_port(sim: SimModem, tmp_path: Path) -> None:
    engine = Engine(engine_config(sim, tmp_path))
    await engine.start()
    try:
        await wait_for(lambda: state(engine) is LinkState.UP)
        await sim.stop()
        await wait_for(lambda: state(engine) is LinkState.DOWN, timeout=30)
        assert engine.snapshot().sources[0].problem == "modem"
        await sim.start()  # plugged back in: the same link, a new pty
        await wait_for(lambda: state(engine) is LinkState.UP, timeout=40)
    finally:
        await engine.stop()


async def test_read_only_does_not_send(sim: SimModem, tmp_path: Path) -> None:
    engine = Engine(engine_config(sim, tmp_path), read_only=True)
    await engine.start()
    try:
        result = await engine.command(SendFax("5551234", ("x.tif",)))
        assert not result.ok and "read-only" in result.message
    finally:
        await engine.stop()


# --- the commands ---------------------------------------------------------------------------


async def test_faxtui_send_json(sim: SimModem, tmp_path: Path) -> None:
    document = tmp_path / "page.png"
    page(1).save(document)
    sim.next_call(FarEnd())
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "faxtui",
        "send",
        str(document),
        "--modem",
        str(sim.link),
        "--to",
        "5551234",
        "--json",
        "--data-dir",
        str(tmp_path / "d"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()
    records = [json.loads(line) for line in out.decode().splitlines()]
    kinds = {r["type"] for r in records}
    assert {"call", "phase", "frame", "page", "result"} <= kinds
    assert records[-1]["result"] == "success" and records[-1]["reason"] == "ok"
    dcs = next(r for r in records if r["type"] == "frame" and r["name"] == "DCS")
    assert (
        dcs["dir"] == "tx" and "V.17 14400" in dcs["detail"] and dcs["hex"].startswith("ff 13 83")
    )
    assert same(sim.received_pages[0], page(1))


async def test_faxtui_send_exit_codes(sim: SimModem, tmp_path: Path) -> None:
    async def run(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "faxtui",
            "send",
            *args,
            "--data-dir",
            str(tmp_path / "d"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 90)
        assert proc.returncode is not None
        return proc.returncode, (out + err).decode()

    code, text = await run(str(tmp_path / "nope.tif"), "--modem", str(sim.link), "--to", "1")
    assert code == 2 and "nope.tif: no such file" in text and "Traceback" not in text
    document = tmp_path / "page.png"
    page(1).save(document)
    sim.next_call(FarEnd(answer=Answer.BUSY))
    code, text = await run(str(document), "--modem", str(sim.link), "--to", "5550117")
    assert code == 1 and "the line was busy" in text
    code, text = await run(str(document), "--modem", str(tmp_path / "ttyNONE"), "--to", "1")
    assert code == 1 and "no such device" in text
