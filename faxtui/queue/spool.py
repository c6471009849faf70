"""The queue's own copy of a job's documents: one fax TIFF, made before the job exists.

Converting every file first and writing the TIFF under a fresh name before the job is added
means a bad file queues nothing, and a later change to the operator's files changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from faxtui.documents.cover import Cover
from faxtui.documents.pages import prepare, write_spool_tiff
from faxtui.documents.paper import A4, LETTER, Resolution

ORPHAN_AGE = 3600.0  # a spool file no job names, older than this, is left from a crash


def convert(
    files: Sequence[str], *, resolution: Resolution, paper: str, cover: Cover | None
) -> list[Image.Image]:
    """Every page of every file (the cover first); DocumentError names a file that failed."""
    sheet = LETTER if paper == "letter" else A4
    return prepare([os.path.expanduser(f) for f in files], resolution=resolution, paper=sheet,
                   cover=cover)  # fmt: skip


def write(pages: Sequence[Image.Image], spool: Path, *, resolution: Resolution) -> Path:
    """Write the pages as the job's fax TIFF in ``spool``, atomically, under a new name."""
    target = _fresh(spool)
    write_spool_tiff(pages, target, resolution=resolution)
    return target


def copy_of(spool_file: Path, spool: Path) -> Path:
    """A new spool file with the same pages (a resent job gets its own)."""
    target = _fresh(spool)
    temp = target.with_name(f".new-{target.name}")
    try:
        with spool_file.open("rb") as source, temp.open("xb") as sink:
            sink.write(source.read())
            sink.flush()
            os.fsync(sink.fileno())
        os.link(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return target


def _fresh(spool: Path) -> Path:
    spool.mkdir(parents=True, exist_ok=True)
    os.chmod(spool, 0o700)  # the documents are the operator's business
    return spool / f"fax-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}.tif"


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
