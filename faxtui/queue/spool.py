"""The queue's own copy of a job's documents: one fax TIFF, made before the job exists.

Converting every file first and writing the TIFF under a fresh name before the job is added
means a bad file queues nothing, and a later change to the operator's files changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from PIL import Image

from faxtui.documents.pages import DocumentError, load_pages
from faxtui.t30 import t4

ORPHAN_AGE = 3600.0  # a spool file no job names, older than this, is left from a crash


def standard(page: Image.Image) -> Image.Image:
    """A fine page at standard resolution: row pairs, a pair with ink stays ink."""
    half = page.convert("L").resize((page.width, max(1, page.height // 2)), Image.Resampling.BOX)
    return half.point(lambda v: 255 if v > 191 else 0, "1")


def convert(files: Sequence[str]) -> list[Image.Image]:
    """Every page of every file, fine resolution; DocumentError names the file that failed."""
    pages: list[Image.Image] = []
    for name in files:
        pages.extend(load_pages(Path(name).expanduser()))
    if not pages:
        raise DocumentError("no pages to send")
    return pages


def write(pages: Sequence[Image.Image], spool: Path, *, resolution: str) -> Path:
    """Write the pages as the job's fax TIFF in ``spool``, atomically, under a new name."""
    fine = resolution != "standard"
    out = pages if fine else [standard(p) for p in pages]
    return _new_file(spool, lambda sink: t4.write_fax_tiff(out, sink, fine=fine))


def copy_of(spool_file: Path, spool: Path) -> Path:
    """A new spool file with the same pages (a resent job gets its own)."""
    data = spool_file.read_bytes()
    return _new_file(spool, lambda sink: sink.write(data))


def _new_file(spool: Path, fill: Callable[[BinaryIO], object]) -> Path:
    spool.mkdir(parents=True, exist_ok=True)
    os.chmod(spool, 0o700)  # the documents are the operator's business
    target = spool / f"fax-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}.tif"
    fd, temp = tempfile.mkstemp(dir=spool, prefix=".new-", suffix=".tif")
    try:
        with os.fdopen(fd, "wb") as sink:
            fill(sink)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return target


def remove_orphans(spool: Path, keep: set[str], now: float) -> int:
    """Delete spool files no job names (left by a crash between writing and queueing)."""
    removed = 0
    if not spool.is_dir():
        return 0
    for path in spool.iterdir():
        if str(path) in keep or not path.name.endswith(".tif"):
            continue
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > ORPHAN_AGE:
                path.unlink()
                removed += 1
    return removed
