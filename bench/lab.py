"""The fax lab: one fine A4 page, faxtui → efax against efax → efax, and the line's own time.

Both sessions run on the same iaxmodem pair (tests/lab/pair.py), A (1001) calling B (1002),
with efax receiving on B (``-w -iS0=1``: it answers at the first RING):
- faxtui: ``FaxModem(...).send()`` on A, in this process, the page as a Pillow image;
- efax: ``efax -t 1002`` on A, the same page as a single-strip MH TIFF made by efix.

Session time is what modem A's iaxmodem log says, for both alike: from its ``Dialing`` line
(the sender's ATD) to its first ``Hanging Up`` (the sender's ATH, which both send as soon as
the modem confirms their DCN sent). The lines are stamped with ``time.perf_counter()`` as they
appear (``tail -F``). So a sender's set-up before ATD (opening and resetting the modem) is not
in it, the ring (about 0.1 s) is. The whole time, from telling the sender to go to its end
(the ``send()`` call to its return; efax's start to its exit), is printed too.

CPU: ``time.process_time()`` around ``send()`` (faxtui runs in this process: page coding, the
T.30 engine, the serial port); efax's from ``RUSAGE_CHILDREN`` around waiting for its sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from bench.common import median, table
from faxtui.config import ModemConfig
from faxtui.model import CallRaw, FaxEvent, Result
from faxtui.sim.line import TRAINING, V21_BPS, V21_PREAMBLE, frame_bits, page_training
from faxtui.sim.modem import CED_SECONDS, T30_GAP
from faxtui.sources.modem.modem import FaxModem
from faxtui.t30 import t4
from faxtui.t30.dis import Capabilities, Coding, Resolution, choose_session, encode_ident
from faxtui.t30.engine import TCF_SECONDS
from faxtui.t30.fcf import Fcf, build_fcf
from faxtui.t30.hdlc import Frame
from tests.lab.pair import Lab, LabUnavailable, lab_page, start_pair

HEAD_START = 2.0  # the efax receiver sets modem B up before the sender is told to go
SENDER_TIMEOUT = 150.0  # a pty has no DTR: a stuck DTE would hold the call (lab trap 6)
RECEIVER_TIMEOUT = 60.0  # after the sender is done
LOG_DELAY = 2.0  # at most this long for tail to hand on a log line already written
# efax 0.9a's DIS as the lab captured it (ff 13 80 00 6e 78): V.17, fine, MH only, scan 0 ms
EFAX_DIS = Frame(build_fcf(Fcf.DIS), bytes.fromhex("006e78"))
EFAX_SENT = re.compile(r"sent (\d+)\+(\d+) lines, (\d+)\+\d+ bytes")
COLUMNS = ("run", "faxtui s", "efax s", "faxtui/efax", "line s", "faxtui/line",
           "faxtui CPU s/page", "efax CPU s/page", "TCFs faxtui/efax")  # fmt: skip


@dataclass
class Outcome:
    """One session of one sender."""

    ok: bool
    seconds: float = float("nan")  # modem A: Dialing to Hanging Up
    whole: float = float("nan")  # told to go to done
    cpu: float = float("nan")  # the sender's CPU seconds
    trainings: int = 0  # TCFs sent: 1 when the first training worked
    detail: str = ""  # why it failed; for efax, its "sent ... lines, ... bytes"
    dis: str = ""  # faxtui: the DIS it received (hex)


@dataclass(frozen=True)
class Signal:
    """One signal of the line-time model."""

    name: str
    side: str  # "A" the caller (sender), "B" the answerer
    bits: int
    seconds: float


@dataclass(frozen=True)
class Model:
    signals: list[Signal]
    page_bytes: int
    bps: int

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.signals)


# --- the line's own time ------------------------------------------------------------------


def line_model(page: Image.Image) -> Model:
    """The signals of a one-page session to efax, each with its duration on the line.

    faxtui's choice of session for efax's DIS, its page coding (as the engine's ``_code``),
    and the durations of the simulated line (faxtui/sim/line.py): V.21 bursts with their
    preamble at 300 bit/s, TCF with V.17's long training, the page with its short training.
    CED is the answer tone as iaxmodem sends it; a T.30 gap of 75 ms lies between signals.
    """
    session = choose_session(Capabilities.decode(EFAX_DIS.fif), resolution=Resolution.FINE)
    rate = session.rate
    assert rate is not None
    data = t4.encode_page(
        page,
        two_d=session.coding is Coding.MR,
        k=4,
        min_bits_per_line=rate.bps * session.scan_ms // 1000,
    )

    def burst(name: str, side: str, *frames: Frame) -> Signal:
        bits = sum(frame_bits(f) for f in frames)
        return Signal(name, side, bits, V21_PREAMBLE + bits / V21_BPS)

    def frame(fcf: Fcf, fif: bytes = b"", *, final: bool = True) -> Frame:
        return Frame(build_fcf(fcf), fif, final)  # the X bit does not change a frame's length

    page_bits = len(data) * 8
    signals = [
        Signal("CED", "B", 0, CED_SECONDS),
        burst("CSI DIS", "B", frame(Fcf.CSI, encode_ident("1002"), final=False), EFAX_DIS),
        burst(
            "TSI DCS",
            "A",
            frame(Fcf.TSI, encode_ident("1001"), final=False),
            frame(Fcf.DCS, session.encode()),
        ),
        Signal("TCF", "A", int(rate.bps * TCF_SECONDS), TRAINING[rate.modem] + TCF_SECONDS),
        burst("CFR", "B", frame(Fcf.CFR)),
        Signal(f"page ({rate})", "A", page_bits, page_training(rate) + page_bits / rate.bps),
        burst("EOP", "A", frame(Fcf.EOP)),
        burst("MCF", "B", frame(Fcf.MCF)),
        burst("DCN", "A", frame(Fcf.DCN)),
    ]
    gaps = len(signals) - 1
    signals.append(Signal(f"{gaps} gaps of {T30_GAP * 1000:.0f} ms", "", 0, gaps * T30_GAP))
    return Model(signals, len(data), rate.bps)


# --- the lab --------------------------------------------------------------------------------


class ModemLog:
    """An iaxmodem log's lines as they appear, each stamped with ``time.perf_counter()``."""

    def __init__(self, path: Path) -> None:
        self._tail = subprocess.Popen(
            ["tail", "-n", "+1", "-F", "-s", "0.02", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._lines: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._tail.stdout is not None
        for line in self._tail.stdout:
            with self._changed:
                self._lines.append((time.perf_counter(), line))
                self._changed.notify_all()

    def _find(self, text: str, after: float) -> float | None:
        return next((t for t, line in self._lines if t >= after and text in line), None)

    def first(self, text: str, after: float) -> float | None:
        """When the first line holding ``text`` appeared at or after ``after``."""
        with self._changed:
            self._changed.wait_for(lambda: self._find(text, after) is not None, LOG_DELAY)
            return self._find(text, after)

    def close(self) -> None:
        self._tail.terminate()
        self._tail.wait()
        self._reader.join()


def _line_seconds(log: ModemLog, go: float) -> float:
    dialled = log.first("Dialing", go)
    ended = log.first("Hanging Up", dialled) if dialled is not None else None
    return ended - dialled if dialled is not None and ended is not None else float("nan")


def _reap(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The exit code; None if it had to be killed."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


@contextlib.contextmanager
def _efax_receiver(lab: Lab, out: Path) -> Iterator[subprocess.Popen[bytes]]:
    with open(f"{out}.log", "wb") as log:
        proc = subprocess.Popen(
            ["efax", "-d", str(lab.b), "-v", "ewinchrt", "-l", "1002", "-w", "-iS0=1",
             "-r", str(out)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            _reap(proc, 0)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- the two senders ------------------------------------------------------------------------


async def _faxtui_send(lab: Lab, work: Path, page: Image.Image) -> tuple[Outcome, float]:
    """The outcome, its line time still to fill in; and when ``send()`` was called."""
    events: list[FaxEvent] = []
    modem = FaxModem(ModemConfig("a", str(lab.a), local_id="1001"), inbox=work, emit=events.extend)
    await modem.open()
    try:
        await asyncio.sleep(HEAD_START)
        go, cpu = time.perf_counter(), time.process_time()
        finished = await modem.send("1002", [[page]], resolution=Resolution.FINE)
        cpu, whole = time.process_time() - cpu, time.perf_counter() - go
    finally:
        modem.close()
    raw = [e.event for e in events if isinstance(e, CallRaw) and e.event.origin == "t30"]
    outcome = Outcome(
        ok=finished.result is Result.SUCCESS,
        whole=whole,
        cpu=cpu,
        trainings=sum(1 for r in raw if r.name == "TCF" and ("dir", "tx") in r.fields),
        detail="" if finished.result is Result.SUCCESS else f"{finished.reason} {finished.detail}",
        dis=next((dict(r.fields)["hex"] for r in raw if r.name == "DIS"), ""),
    )
    return outcome, go


def _faxtui(lab: Lab, work: Path, page: Image.Image, log: ModemLog) -> Outcome:
    lab.settle()
    with _efax_receiver(lab, work / "rx-faxtui") as receiver:
        outcome, go = asyncio.run(_faxtui_send(lab, work, page))
        received = _reap(receiver, RECEIVER_TIMEOUT)
    outcome.seconds = _line_seconds(log, go)
    if received != 0:
        outcome.ok = False
        outcome.detail += f" efax receiver returned {received}"
    return outcome


def _efax(lab: Lab, work: Path, tiff: Path, log: ModemLog) -> Outcome:
    lab.settle()
    out = work / "tx-efax.log"
    with _efax_receiver(lab, work / "rx-efax") as receiver:
        time.sleep(HEAD_START)
        cpu = _children_cpu()
        with out.open("wb") as sink:
            go = time.perf_counter()
            sender = subprocess.Popen(
                ["efax", "-d", str(lab.a), "-v", "ewinchrt", "-l", "1001", "-t", "1002",
                 str(tiff)],
                stdout=sink, stderr=subprocess.STDOUT,
            )  # fmt: skip
        sent = _reap(sender, SENDER_TIMEOUT)
        whole, cpu = time.perf_counter() - go, _children_cpu() - cpu
        received = _reap(receiver, RECEIVER_TIMEOUT)
    text = out.read_text(errors="replace")
    ok = sent == 0 and received == 0
    stats = EFAX_SENT.search(text)
    detail = (stats.group(0) if stats else "") if ok else f"efax sender {sent}, receiver {received}"
    return Outcome(ok, _line_seconds(log, go), whole, cpu, text.count("sent TCF"), detail)


def _twice(session: Callable[[], Outcome], failures: list[str], what: str) -> Outcome:
    """A session, tried again once if it fails; every failure is noted, none raises."""
    outcome = Outcome(False)
    for attempt in (1, 2):
        try:
            outcome = session()
        except Exception as exc:  # a benchmark reports, it does not stop
            outcome = Outcome(False, detail=f"{type(exc).__name__}: {exc}")
        if outcome.ok:
            return outcome
        failures.append(f"{what}, attempt {attempt}: {outcome.detail.strip()}")
    return outcome


# --- the benchmark --------------------------------------------------------------------------


def run(*, runs: int = 3) -> None:
    """Time both senders ``runs`` times on the lab, alternating; print the tables."""
    page = lab_page()
    print(f"== Fax lab: one fine A4 page ({page.width}x{page.height}), faxtui -> efax and "
          f"efax -> efax, {runs} runs ==")  # fmt: skip
    model = line_model(page)
    print(
        table(
            ["signal", "from", "bits", "seconds"],
            [[s.name, s.side, s.bits, s.seconds] for s in model.signals]
            + [["all", "", sum(s.bits for s in model.signals), model.seconds]],
            title="Line-time model: what the line itself needs for this session",
        )
    )
    print()
    work = Path(tempfile.mkdtemp(prefix="faxtui-bench-lab-"))
    try:
        with (
            start_pair(work) as lab,
            contextlib.closing(ModemLog(work / "ttyIAXA.log")) as log,
        ):
            _sessions(lab, work, page, _g3_tiff(page, work), log, runs, model)
    except (LabUnavailable, subprocess.CalledProcessError) as exc:
        print(f"the fax lab cannot run here: {exc}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _g3_tiff(page: Image.Image, work: Path) -> Path:
    """The page as efax reads it: PBM through efix (efax cannot read Pillow's G3 TIFF)."""
    page.save(work / "page.pbm")
    tiff = work / "page.tif"
    with tiff.open("wb") as sink:
        subprocess.run(
            ["efix", "-i", "pbm", "-o", "tiffg3", "-R", "204x196", "-r", "204x196",
             str(work / "page.pbm")],
            stdout=sink, stderr=subprocess.DEVNULL, check=True,
        )  # fmt: skip
    return tiff


def _sessions(lab: Lab, work: Path, page: Image.Image, tiff: Path, log: ModemLog,
              runs: int, model: Model) -> None:  # fmt: skip
    line = model.seconds
    failures: list[str] = []
    ours: list[Outcome] = []
    theirs: list[Outcome] = []
    for n in range(1, runs + 1):
        ours.append(_twice(lambda: _faxtui(lab, work, page, log), failures, f"run {n} faxtui"))
        theirs.append(_twice(lambda: _efax(lab, work, tiff, log), failures, f"run {n} efax"))
        print(f"  run {n}: faxtui {ours[-1].seconds:.2f} s, efax {theirs[-1].seconds:.2f} s")
    rows: list[list[object]] = []
    for n, (a, b) in enumerate(zip(ours, theirs, strict=True), 1):
        rows.append(_row(str(n), a, b, line))
    good = [a for a in ours if a.ok]
    clean = [b for b in theirs if b.ok and b.trainings == 1]  # efax's training race aside
    summary = Outcome(
        True,
        median([a.seconds for a in good]),
        median([a.whole for a in good]),
        median([a.cpu for a in good]),
    )
    baseline = Outcome(
        True,
        median([b.seconds for b in clean]),
        median([b.whole for b in clean]),
        median([b.cpu for b in clean]),
    )
    rows.append(_row("median", summary, baseline, line))
    print()
    print(
        table(
            COLUMNS,
            rows,
            title="Session time, modem A's ATD to ATH (goal: faxtui/efax <= 1, faxtui/line <= 1.1)",
        )
    )
    print(
        f"median efax over the {len(clean)} of {runs} runs whose first training worked; "
        f"faxtui over its {len(good)} delivered runs"
    )
    print(
        f"whole sender, told to go to done (median): faxtui send() {summary.whole:.2f} s, "
        f"efax process {baseline.whole:.2f} s (its modem set-up before ATD included)"
    )
    sent = next((b.detail for b in theirs if b.ok), "")
    print(
        f"page data: faxtui {model.page_bytes:,} bytes ({page.height} lines); efax: {sent or '-'}"
    )
    if stats := EFAX_SENT.search(sent):
        extra = (int(stats.group(3)) - model.page_bytes) * 8 / model.bps
        print(f"  efax's header lines and its coding: {extra:+.2f} s on the line")
    dis = {a.dis for a in ours if a.dis}
    if dis - {EFAX_DIS.hex()}:
        print(f"note: efax sent DIS {', '.join(sorted(dis))}; the model assumes {EFAX_DIS.hex()}")
    retrained = sum(1 for b in theirs if b.ok and b.trainings > 1)
    print(f"efax -> efax retrained in {retrained} of {runs} runs (lab trap 1)")
    print(f"failed attempts, each tried again once: {len(failures)}")
    for failure in failures:
        print(f"  {failure}")


def _row(name: str, ours: Outcome, theirs: Outcome, line: float) -> list[object]:
    nan = float("nan")
    a = ours.seconds if ours.ok else nan
    b = theirs.seconds if theirs.ok else nan
    trainings = f"{ours.trainings}/{theirs.trainings}" if name != "median" else ""
    cpu_a = ours.cpu if ours.ok else nan
    cpu_b = theirs.cpu if theirs.ok else nan
    return [name, a, b, a / b, line, a / line, cpu_a, cpu_b, trainings]
