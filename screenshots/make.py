"""Make the README's screenshots from the demo: the real app on the simulator.

    .venv/bin/python screenshots/make.py

Writes SVGs next to this file. The calls differ from run to run (the simulator is seeded,
the clock is not), which is fine for pictures; the snapshot tests use frozen data instead.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


async def shoot(size: tuple[int, int], name: str, keys: list[str], wait: float) -> None:
    from faxtui.config import AmiServer, Config, HealthConfig, Secret
    from faxtui.engine import Engine
    from faxtui.inbox import config as inbox_config
    from faxtui.sim.ami_server import AmiSimulator, SimUser
    from faxtui.sim.scenarios import run_scenarios
    from faxtui.ui.app import FaxApp

    listener = socket.create_server(("127.0.0.1", 0))
    data = Path(tempfile.mkdtemp(prefix="faxtui-shots-"))
    received = data / "asterisk-fax"  # where the simulated ReceiveFAX writes: the inbox
    received.mkdir()
    sim = AmiSimulator(users={"faxtui": SimUser("demo")}, speed=3, seed=11, fax_dir=received)

    async def start() -> None:
        await sim.start(sock=listener)
        await run_scenarios(sim, ["mix"], loop=True)

    config = Config(
        ami=(AmiServer("pbx1", port=listener.getsockname()[1], username="faxtui",
                       secret=Secret("demo"), poll_interval=0.5),),
        health=HealthConfig(processes=("asterisk", "faxq", "hfaxd", "faxgetty", "iaxmodem"),
                            spool_dirs=("/var/spool/asterisk/fax",)),
        data_dir=data,
        inboxes=inbox_config.from_toml({"folders": [f"{received}/*.tif"]}, "screenshots"),
    )  # fmt: skip
    app = FaxApp(Engine(config), before_start=start, after_stop=sim.stop, notify="all")
    async with app.run_test(size=size) as pilot:
        await asyncio.sleep(wait)
        for key in keys:
            await pilot.press(key)
            await asyncio.sleep(0.5)
        await pilot.pause()
        app.save_screenshot(str(HERE / f"{name}.svg"))
    print(f"wrote screenshots/{name}.svg")


async def main() -> None:
    os.environ.setdefault("TZ", "UTC")
    await shoot((100, 30), "main", [], 16)
    await shoot((80, 24), "main-80x24", [], 16)
    await shoot((160, 48), "main-160x48", [], 16)
    await shoot((100, 30), "call-detail", ["enter"], 16)
    await shoot((100, 30), "history", ["h"], 30)
    await shoot((100, 30), "help", ["question_mark"], 4)
    await shoot((160, 48), "inbox", ["i", "down"], 40)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    asyncio.run(main())
