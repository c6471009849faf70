"""Shared fixtures: an isolated home for every test, the AMI simulator, an engine on it."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from faxtui.config import AmiServer, Config, HealthConfig, Secret
from faxtui.engine import Engine
from faxtui.model import Call
from faxtui.sim.ami_server import AmiSimulator, SimUser

SECRET = "s3cr3t-Hunter2-do-not-leak"


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """No test reads or writes the real user's config, state or data."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    for var in [v for v in os.environ if v.startswith("FAXTUI_")]:
        monkeypatch.delenv(var)
    monkeypatch.setattr("faxtui.config.SYSTEM_CONFIG", home / "etc" / "config.toml")
    yield home


@pytest.fixture
async def sim() -> AsyncIterator[AmiSimulator]:
    simulator = AmiSimulator(users={"faxtui": SimUser(SECRET)}, speed=10, seed=7)
    await simulator.start()
    yield simulator
    await simulator.stop()


def ami_config(port: int, tmp_path: Path, **server: object) -> Config:
    """A config with one fast-polling AMI server on the simulator."""
    base = AmiServer(
        "pbx",
        port=port,
        username="faxtui",
        secret=Secret(SECRET),
        poll_interval=0.05,
        ping_interval=0.5,
        ping_timeout=0.5,
        connect_timeout=2.0,
    )
    return Config(
        ami=(replace(base, **server),),  # type: ignore[arg-type]
        health=HealthConfig(processes=(), spool_dirs=()),
        data_dir=tmp_path / "data",
    )


@pytest.fixture
async def engine(sim: AmiSimulator, tmp_path: Path) -> AsyncIterator[Engine]:
    eng = Engine(ami_config(sim.port, tmp_path))
    await eng.start()
    await wait_for(lambda: any(s.state == "up" for s in eng.snapshot().sources))
    yield eng
    await eng.stop()


async def wait_for(predicate: Callable[[], object], timeout: float = 20.0) -> None:
    """Poll until ``predicate()`` is true; fail the test (not hang) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        await asyncio.sleep(0.02)


def finished(engine: Engine) -> list[Call]:
    return [c for c in engine.snapshot().calls if c.ended is not None]
