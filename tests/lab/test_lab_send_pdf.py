"""End to end over the lab: `faxtui send` a 2-page PDF (the command, its queue, its engine)
through iaxmodem to efax; the pages efax received are the PDF as faxtui rendered it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from faxtui.documents.pages import to_pages
from tests.lab.pair import Lab
from tests.lab.test_lab_modem import _agreement, _efax_receiver, _pbm

pytestmark = pytest.mark.lab
PDF = Path(__file__).resolve().parents[1] / "data" / "tiff2pdf-2-pages.pdf"


def test_faxtui_send_a_pdf_to_efax(lab: Lab, tmp_path: Path) -> None:
    lab.settle()
    config = tmp_path / "config.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[health]\nprocesses = []\nspool_dirs = []\n'
        f'[[modem]]\nname = "a"\ndevice = "{lab.a}"\nlocal_id = "1001"\nrings = 0\n'
    )
    received = tmp_path / "rx"
    efax = _efax_receiver(lab, received)
    try:
        send = subprocess.run(
            [sys.executable, "-m", "faxtui", "send", str(PDF), "--to", "1002", "--via", "a",
             "--wait", "--json", "--config", str(config)],
            capture_output=True, text=True, timeout=240,
        )  # fmt: skip
        out, _ = efax.communicate(timeout=60)
    finally:
        efax.kill()
    assert send.returncode == 0, send.stdout[-2000:] + send.stderr[-2000:]
    last = json.loads(send.stdout.splitlines()[-1])
    assert last["job"]["state"] == "done" and last["job"]["pages"] == 2
    assert efax.returncode == 0, out[-2000:]
    source = to_pages(PDF, resolution="fine")
    assert len(source) == 2
    for number, page in enumerate(source, 1):
        got = _pbm(Path(f"{received}.{number:03d}"), tmp_path / f"rx{number}.pbm")
        assert _agreement(got, page) >= 0.995, number
    assert not Path(f"{received}.003").exists()
