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
from tests.lab.conftest import Lab, lab_page

pytestmark = pytest.mark.lab
BUSY = 6.0  # a reset (ATZ) makes iaxmodem reject calls for 5 s


def _events() -> tuple[list[FaxEvent], object]:
    events: list[FaxEvent] = []
    return events, events.extend


def _differing_rows(a: Image.Image, b: Image.Image) -> int:
    diff = ImageChops.logical_xor(a.convert("1"), b.convert("1"))
    box = diff.getbbox()
    return 0 if box is None else box[3] - box[1]


def test_send_to_efax(lab: Lab, tmp_path: Path) -> None:
    lab.settle()
    page = lab_page()
    received = tmp_path / "rx"
    efax = subprocess.Popen(
        [
            "efax",
            "-d",
            str(lab.b),
            "-v",
            "ewinchrt",
            "-l",
            "1002",
            "-w",
            "-iS0=1",
            "-r",
            str(received),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    events, emit = _events()

    async def send() -> Result:
        modem = FaxModem(ModemConfig("a", str(lab.a), local_id="1001"), inbox=tmp_path, emit=emit)  # type: ignore[arg-type]
        await modem.open()
        try:
            await asyncio.sleep(2)  # efax is setting its modem up
            finished = await modem.send("1002", [[page]])
        finally:
            modem.close()
        return finished.result

    try:
        result = asyncio.run(send())
        out, _ = efax.communicate(timeout=60)
    finally:
        efax.kill()
    assert result is Result.SUCCESS, [e for e in events if isinstance(e, CallClosed)]
    assert efax.returncode == 0, out[-2000:]
    assert "received 2200 lines, 0 errors" in out
    pbm = tmp_path / "rx.pbm"
    with pbm.open("wb") as sink:
        subprocess.run(
            ["efix", "-i", "fax", "-o", "pbm", f"{received}.001"],
            stdout=sink,
            stderr=subprocess.DEVNULL,
            check=True,
        )
    assert _differing_rows(Image.open(pbm), page) == 0  # pixel for pixel
    ours = [
        e.event.name
        for e in events
        if isinstance(e, CallRaw) and e.event.origin == "t30" and ("dir", "tx") in e.event.fields
    ]
    assert ours == ["CNG", "TSI", "DCS", "TCF", "page 1", "EOP", "DCN"]


def test_receive_from_efax(lab: Lab, tmp_path: Path) -> None:
    lab.settle()
    page = lab_page()
    source = tmp_path / "page.pbm"
    page.save(source)
    tiff = tmp_path / "page.tif"
    with tiff.open("wb") as sink:
        subprocess.run(
            ["efix", "-i", "pbm", "-o", "tiffg3", "-R", "204x196", "-r", "204x196", str(source)],
            stdout=sink,
            stderr=subprocess.DEVNULL,
            check=True,
        )
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
            "efax",
            "-d",
            str(lab.a),
            "-v",
            "ewinchrt",
            "-l",
            "1001",
            "-t",
            "1002",
            str(tiff),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        result = await receiving
        await asyncio.wait_for(sender.wait(), 30)
        return result

    result, saved = asyncio.run(both())
    assert result is Result.SUCCESS, [e for e in events if isinstance(e, CallClosed)]
    assert saved is not None and saved.parent == inbox
    with Image.open(saved) as fax:
        assert fax.size == (1728, 2220)  # efax puts a 20-line header on top
        assert fax.info.get("dpi") == (204, 196)
        body = fax.convert("1").crop((0, 40, 1728, 2220))
    assert _differing_rows(body, page.crop((0, 20, 1728, 2200))) == 0
