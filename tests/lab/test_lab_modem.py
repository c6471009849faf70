"""faxtui's own T.30 engine and Class 1 driver against software nobody here wrote.

faxtui sends through iaxmodem to efax, and receives from efax; the pages must arrive intact.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from faxtui.config import ModemConfig
from faxtui.model import CallClosed, CallRaw, FaxEvent, Result
from faxtui.sources.modem.modem import FaxModem
from faxtui.t30.dis import Resolution
from faxtui.t30.engine import Finished
from tests.lab.pair import Lab, lab_page

pytestmark = pytest.mark.lab
BUSY = 6.0  # a reset (ATZ) makes iaxmodem reject calls for 5 s


def _events() -> tuple[list[FaxEvent], object]:
    events: list[FaxEvent] = []
    return events, events.extend


def _differing_rows(a: Image.Image, b: Image.Image) -> int:
    diff = ImageChops.logical_xor(a.convert("1"), b.convert("1"))
    box = diff.getbbox()
    return 0 if box is None else box[3] - box[1]


def _agreement(a: Image.Image, b: Image.Image) -> float:
    """The share of equal pixels of two pages of the same size."""
    assert a.size == b.size, (a.size, b.size)
    diff = ImageChops.logical_xor(a.convert("1"), b.convert("1"))
    return 1 - diff.histogram()[255] / (a.width * a.height)


def _standard(page: Image.Image) -> Image.Image:
    """A fine page as faxtui sends it at standard resolution (row pairs, ink wins)."""
    half = page.convert("L").resize((page.width, page.height // 2), Image.Resampling.BOX)
    return half.point(lambda v: 255 if v > 191 else 0, "1")


def _pbm(fax: Path, out: Path) -> Image.Image:
    with out.open("wb") as sink:
        subprocess.run(["efix", "-i", "fax", "-o", "pbm", str(fax)], stdout=sink,
                       stderr=subprocess.DEVNULL, check=True)  # fmt: skip
    return Image.open(out)


def _tx_frames(events: list[FaxEvent]) -> list[str]:
    return [
        e.event.name
        for e in events
        if isinstance(e, CallRaw) and e.event.origin == "t30" and ("dir", "tx") in e.event.fields
    ]


def _efax_receiver(lab: Lab, received: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["efax", "-d", str(lab.b), "-v", "ewinchrt", "-l", "1002", "-w", "-iS0=1",
         "-r", str(received)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


async def _send(lab: Lab, tmp_path: Path, emit: object, number: str,
                pages: list[Image.Image], resolution: Resolution) -> Finished:  # fmt: skip
    config = ModemConfig("a", str(lab.a), local_id="1001")
    modem = FaxModem(config, inbox=tmp_path, emit=emit)  # type: ignore[arg-type]
    await modem.open()
    try:
        await asyncio.sleep(2)  # efax is setting its modem up
        return await modem.send(number, [pages], resolution=resolution)
    finally:
        modem.close()


@pytest.mark.parametrize(
    ("resolution", "count"),
    [(Resolution.FINE, 1), (Resolution.STANDARD, 1), (Resolution.FINE, 3)],
    ids=["fine", "standard", "fine-3-pages"],
)
def test_send_to_efax(lab: Lab, tmp_path: Path, resolution: Resolution, count: int) -> None:
    lab.settle()
    pages = [lab_page()] if count == 1 else [lab_page(1000, n) for n in range(1, count + 1)]
    received = tmp_path / "rx"
    efax = _efax_receiver(lab, received)
    events, emit = _events()
    try:
        finished = asyncio.run(_send(lab, tmp_path, emit, "1002", pages, resolution))
        out, _ = efax.communicate(timeout=60)
    finally:
        efax.kill()
    assert finished.result is Result.SUCCESS, finished
    assert efax.returncode == 0, out[-2000:]
    for number, page in enumerate(pages, 1):
        got = _pbm(Path(f"{received}.{number:03d}"), tmp_path / f"rx{number}.pbm")
        if resolution is Resolution.FINE:
            assert _differing_rows(got, page) == 0  # pixel for pixel
        else:
            assert _agreement(got, _standard(page)) >= 0.995
    assert not Path(f"{received}.{count + 1:03d}").exists()
    posts = ["MPS"] * (count - 1) + ["EOP"]
    expected = ["CNG", "TSI", "DCS", "TCF"]
    for number, post in enumerate(posts, 1):
        expected += [f"page {number}", post]
    assert _tx_frames(events) == [*expected, "DCN"]


@pytest.mark.parametrize("resolution", [Resolution.FINE, Resolution.STANDARD], ids=str)
def test_receive_from_efax(lab: Lab, tmp_path: Path, resolution: Resolution) -> None:
    lab.settle()
    page = lab_page()
    fine = resolution is Resolution.FINE
    source_page = page if fine else _standard(page)
    source = tmp_path / "page.pbm"
    source_page.save(source)
    tiff = tmp_path / "page.tif"
    res = "204x196" if fine else "204x98"
    with tiff.open("wb") as sink:
        subprocess.run(["efix", "-i", "pbm", "-o", "tiffg3", "-R", res, "-r", res, str(source)],
                       stdout=sink, stderr=subprocess.DEVNULL, check=True)  # fmt: skip
    events, emit = _events()
    inbox = tmp_path / "inbox"

    async def receive() -> tuple[Result, Path | None]:
        config = ModemConfig("b", str(lab.b), local_id="1002", rings=1)
        modem = FaxModem(config, inbox=inbox, emit=emit)  # type: ignore[arg-type]
        await modem.open()
        try:
            call = await modem.wait_for_call(timeout=60)
            assert call is not None, "no RING"
            assert call.number == "1001"  # caller ID from iaxmodem
            finished, saved = await modem.receive(call)
        finally:
            modem.close()
        return finished.result, saved

    async def both() -> tuple[Result, Path | None]:
        receiving = asyncio.ensure_future(receive())
        await asyncio.sleep(BUSY)  # our reset is an ATZ: the modem rejects calls a while
        sender = await asyncio.create_subprocess_exec(
            "efax", "-d", str(lab.a), "-v", "ewinchrt", "-l", "1001", "-t", "1002", str(tiff),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        result = await receiving
        await asyncio.wait_for(sender.wait(), 30)
        return result

    result, saved = asyncio.run(both())
    assert result is Result.SUCCESS, [e for e in events if isinstance(e, CallClosed)]
    assert saved is not None and saved.parent == inbox
    with Image.open(saved) as fax:
        assert fax.info.get("dpi") == ((204, 196) if fine else (204, 98))
        got = fax.convert("1")
    header = got.height - source_page.height  # efax's own header line on top
    assert header > 0
    skip = 20  # and the rows efax's header may overlap, as the issue allows
    body = got.crop((0, header + skip, 1728, got.height))
    expected = source_page.crop((0, skip, 1728, source_page.height))
    if fine:
        assert _differing_rows(body, expected) == 0
    else:
        assert _agreement(body, expected) >= 0.995


def test_no_answer(lab: Lab, tmp_path: Path) -> None:
    """Nobody picks up at 1002: iaxmodem says NO ANSWER after 45 s; faxtui names it."""
    lab.settle()
    events, emit = _events()
    finished = asyncio.run(_send(lab, tmp_path, emit, "1002", [lab_page(300)], Resolution.FINE))
    assert finished.result is Result.FAILED
    assert finished.reason == "no_answer"
    assert _tx_frames(events) == ["CNG"]  # nothing was sent but the calling tone


def test_busy_out(lab: Lab, tmp_path: Path) -> None:
    """Dialling 1002 while its modem is in the 5 s busy-out after a reset: no dial tone."""
    lab.settle()
    _, emit = _events()

    async def run() -> Finished:
        other = FaxModem(ModemConfig("b", str(lab.b), rings=0), inbox=tmp_path, emit=emit)  # type: ignore[arg-type]
        await other.open()  # its ATZ starts the busy-out
        try:
            config = ModemConfig("a", str(lab.a), local_id="1001")
            modem = FaxModem(config, inbox=tmp_path, emit=emit)  # type: ignore[arg-type]
            await modem.open()
            try:
                return await modem.send("1002", [[lab_page(300)]])
            finally:
                modem.close()
        finally:
            other.close()

    finished = asyncio.run(run())
    assert finished.result is Result.FAILED
    assert finished.reason == "no_dialtone"
