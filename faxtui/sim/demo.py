"""The modem line of ``faxtui demo``: a simulated Class 1 modem with fax calls both ways.

Far ends call in with pages of their own, and faxes go out through the engine's SendFax
command, the way an operator sends one; now and then the line does what real lines do (FTT
then a slower rate, RTN, a drop in the middle of a page, busy, no answer, no DIS).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from pathlib import Path

from faxtui.engine import Engine, SendFax
from faxtui.sim.line import Faults
from faxtui.sim.modem import Answer, Call, FarEnd, SimModem, sample_page
from faxtui.t30.engine import Options

log = logging.getLogger(__name__)

MODEM = "demo-modem"
CALL_LIMIT = 600.0  # seconds: a demo call that takes longer than this is left behind


@dataclass(frozen=True)
class Turn:
    """One call of the demo: its direction, how the far end behaves, and how often."""

    incoming: bool
    pages: int = 1
    answer: Answer = Answer.FAX
    faults: Faults = field(default_factory=Faults)
    weight: int = 1


TURNS = (
    Turn(incoming=True, pages=2, weight=4),
    Turn(incoming=False, pages=2, weight=4),
    Turn(incoming=False, faults=Faults(train_fails_above=9600), weight=2),  # FTT, then 9600
    Turn(incoming=True, pages=2, faults=Faults(corrupt_page=2), weight=2),  # RTN, page again
    Turn(incoming=True, pages=3, faults=Faults(drop_during_page=2)),
    Turn(incoming=False, answer=Answer.BUSY),
    Turn(incoming=False, answer=Answer.NO_ANSWER),
    Turn(incoming=False, answer=Answer.SILENT),  # answers, never sends DIS
)

# (number, station ID, caller name) of the far ends
REMOTES = (
    ("+493012345678", "+49 30 12345678", "Berlin office"),
    ("+33142685300", "+33 1 42 68 53 00", "Paris Notaire"),
    ("+14155550199", "ACME SF", "ACME Corp"),
    ("+442071234567", "+44 20 7123 4567", "London Clinic"),
)


def write_documents(folder: Path, count: int = 3) -> list[Path]:
    """Pages for the faxes the demo sends, as PNG files an operator could pick."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(1, count + 1):
        path = folder / f"demo-page-{number}.png"
        sample_page(number, rows=800).save(path)
        paths.append(path)
    return paths


async def run_modem_line(
    engine: Engine,
    sim: SimModem,
    documents: list[Path],
    *,
    seed: int | None = None,
    pause: float = 3.0,
) -> None:
    """Forever: wait ``pause`` to twice that, then one call in or out, to its end."""
    rng = random.Random(seed)
    weights = [t.weight for t in TURNS]
    while True:
        await asyncio.sleep(rng.uniform(pause, 2 * pause))
        turn = rng.choices(TURNS, weights)[0]
        number, station, name = rng.choice(REMOTES)
        far = FarEnd(
            answer=turn.answer,
            faults=turn.faults,
            options=Options(local_id=station),
            number=number,
            name=name,
            answer_after=rng.uniform(2.0, 6.0),
        )
        try:
            call = await _place(engine, sim, turn, far, documents, rng)
            if call is not None:
                await call.wait(timeout=CALL_LIMIT)
        except TimeoutError:
            log.warning("demo modem call to or from %s did not end", number)


async def _place(
    engine: Engine,
    sim: SimModem,
    turn: Turn,
    far: FarEnd,
    documents: list[Path],
    rng: random.Random,
) -> Call | None:
    before = len(sim.calls)
    if turn.incoming:
        rows = rng.choice((600, 800))
        pages = [sample_page(n, rows, far.options.local_id) for n in range(1, turn.pages + 1)]
        return await sim.ring(pages, far_end=far)
    sim.next_call(far)
    files = tuple(str(p) for p in documents[: turn.pages])
    result = await engine.command(SendFax(far.number, files, via=MODEM))
    if not result.ok:
        log.warning("demo send refused: %s", result.message)
        return None
    async with asyncio.timeout(CALL_LIMIT):
        return await sim.call_after(before)  # once the driver has dialled


LOOP_NUMBER = "5550199"  # the demo's loop: a fax sent here comes back in (faxtui selftest)


async def loop_back(sim: SimModem) -> None:
    """Forever: what the far end of LOOP_NUMBER received, it sends back to us."""
    seen = len(sim.calls)
    returns: set[asyncio.Task[None]] = set()
    while True:
        call = await sim.call_after(seen)
        seen += 1
        if not call.incoming and call.number == LOOP_NUMBER:
            task = asyncio.create_task(_return(sim, call))
            returns.add(task)
            task.add_done_callback(returns.discard)


async def _return(sim: SimModem, call: Call) -> None:
    await call.wait(timeout=CALL_LIMIT)
    pages = call.received
    if not pages:
        return
    far = FarEnd(options=Options(local_id="faxtui loop"), number=LOOP_NUMBER, name="Loop")
    while True:  # the modem may be busy with another call: ring again until it answers
        await asyncio.sleep(2.0)
        answered = await sim.ring(pages, far_end=far)
        if answered.outcome != "rejected":
            return
