"""What the operator can do with a received fax file: archive it, export it.

faxtui never deletes a received fax and never writes over a file. Archiving moves the file
into the archive folder under a free name: a hard link then the unlink of the old name
(within one filesystem), else a copy that is checked against the original, linked into place,
and only then the original unlinked. Exports (PDF, PNG) are written under a temporary name in
the chosen folder and linked to a free name, so no reader ever sees half a file.

These are blocking calls (disk, image decoding): run them in a worker thread.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import stat
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageSequence

from faxtui.inbox.model import InboxState
from faxtui.inbox.tags import read_tags
from faxtui.t30 import t4

# A hard link is not possible here: another filesystem, a filesystem without links, a file we
# do not own under fs.protected_hardlinks, or too many links already.
_NO_LINK = {errno.EXDEV, errno.EPERM, errno.EACCES, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK}
_MAX_NAMES = 1000
FAX_DPI = (204.0, 196.0)


class ActionError(Exception):
    """An action that could not be done; the message names the file and says why. Nothing
    was changed when it is raised."""


@dataclass(frozen=True, slots=True)
class Exported:
    paths: tuple[Path, ...]
    pages: int  # pages written
    problem: str = ""  # why fewer pages than the file has, if so


# --- archive --------------------------------------------------------------------------------


def archive(path: str, folder: Path) -> Path:
    """Move ``path`` into ``folder`` (made if need be) under a free name; return that name."""
    before = _stat(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ActionError(f"{folder}: cannot make the archive folder ({exc.strerror})") from None
    name = os.path.basename(path)
    try:
        target = _link_free(path, folder, name)
    except _NoLink:
        target = _copy_into(path, folder, name, before)
    _unlink_original(path, target, before)
    return target


class _NoLink(Exception):
    pass


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise ActionError(f"{path}: the file is gone") from None
    except OSError as exc:
        raise ActionError(f"{path}: cannot look at it ({exc.strerror})") from None


def _free_names(folder: Path, name: str) -> Iterator[Path]:
    stem, dot, suffix = name.rpartition(".")
    if not stem:  # no dot, or a leading one only
        stem, dot, suffix = name, "", ""
    yield folder / name
    for n in range(1, _MAX_NAMES):
        yield folder / f"{stem}-{n}{dot}{suffix}"


def _link_free(source: str, folder: Path, name: str) -> Path:
    """Hard-link ``source`` as the first free name in ``folder`` (link never overwrites)."""
    for target in _free_names(folder, name):
        try:
            os.link(source, target)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno in _NO_LINK:
                raise _NoLink from None
            raise ActionError(f"{target}: cannot link {source} there ({exc.strerror})") from None
        return target
    raise ActionError(f"{folder}: no free name for {name}")


def _place(temp: str, folder: Path, name: str) -> Path:
    """Give the finished temporary file ``temp`` a free name in ``folder``; drop ``temp``."""
    try:
        try:
            return _link_free(temp, folder, name)
        except _NoLink:  # no hard links (FAT, some network shares): exclusive create and copy
            for target in _free_names(folder, name):
                try:
                    with open(target, "xb") as out, open(temp, "rb") as src:
                        _copy(src, out)
                except FileExistsError:
                    continue
                return target
            raise ActionError(f"{folder}: no free name for {name}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)


def _new_temp(folder: Path, prefix: str, mode: int) -> tuple[int, str]:
    """A new hidden file in ``folder`` with ``mode`` (less the umask), unlike mkstemp's 0600."""
    while True:
        temp = str(folder / f"{prefix}{secrets.token_hex(6)}")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode), temp
        except FileExistsError:
            continue


def _copy(src: BinaryIO, out: BinaryIO) -> None:
    while chunk := src.read(1 << 20):
        out.write(chunk)
    out.flush()
    os.fsync(out.fileno())


def _digest(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def _copy_into(path: str, folder: Path, name: str, before: os.stat_result) -> Path:
    """Copy ``path`` into ``folder``, check the copy byte for byte, and name it."""
    try:
        fd, temp = _new_temp(folder, ".faxtui-archive-", stat.S_IMODE(before.st_mode))
    except OSError as exc:
        raise ActionError(f"{folder}: cannot write there ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            _copy(src, out)
        os.utime(temp, ns=(before.st_atime_ns, before.st_mtime_ns))
        if _digest(temp) != _digest(path) or _changed(path, before):
            raise ActionError(f"{path}: changed while it was copied; nothing was moved")
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise ActionError(f"{path}: cannot copy it to {folder} ({exc.strerror})") from None
    except ActionError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return _place(temp, folder, name)


def _changed(path: str, before: os.stat_result) -> bool:
    now = os.stat(path)
    return (now.st_size, now.st_mtime_ns) != (before.st_size, before.st_mtime_ns)


def _unlink_original(path: str, target: Path, before: os.stat_result) -> None:
    """Remove the original name; if that fails, take back the new one (it is ours)."""
    try:
        if _changed(path, before):
            raise ActionError(f"{path}: changed while it was archived; nothing was moved")
        os.unlink(path)
    except (OSError, ActionError) as exc:
        with contextlib.suppress(OSError):
            os.unlink(target)
        if isinstance(exc, ActionError):
            raise
        raise ActionError(
            f"{path}: cannot remove it from its folder ({exc.strerror}); nothing was moved"
        ) from None


# --- export ---------------------------------------------------------------------------------


def export_pdf(path: str, folder: Path) -> Exported:
    """All readable pages of ``path`` as one PDF in ``folder`` (CCITT G4 inside, true size)."""
    pages, problem = _pages(path)
    # One resolution for the whole document: pages of another get their lines repeated.
    dpi = max((d for _, d in pages), key=lambda d: d[1])
    images = [_to_dpi(image, have, dpi) for image, have in pages]

    def write(out: BinaryIO) -> None:
        images[0].save(out, "PDF", save_all=True, append_images=images[1:], dpi=dpi)

    target = _write_new(folder, _stem(path) + ".pdf", write)
    return Exported((target,), len(images), problem)


def export_png(path: str, folder: Path) -> Exported:
    """Each readable page of ``path`` as a PNG in ``folder``, with square pixels."""
    pages, problem = _pages(path)
    stem = _stem(path)
    written: list[Path] = []
    for number, (image, (x_dpi, y_dpi)) in enumerate(pages, start=1):
        square = _to_dpi(image, (x_dpi, y_dpi), (x_dpi, x_dpi))

        def write(out: BinaryIO, page: Image.Image = square, dpi: float = x_dpi) -> None:
            page.save(out, "PNG", dpi=(dpi, dpi), optimize=True)

        written.append(_write_new(folder, f"{stem}-p{number}.png", write))
    return Exported(tuple(written), len(written), problem)


def _stem(path: str) -> str:
    name = os.path.basename(path)
    return name.rpartition(".")[0] or name


def _pages(path: str) -> tuple[list[tuple[Image.Image, tuple[float, float]]], str]:
    """The pages Pillow can decode, each with its resolution, and why any were left out."""
    try:
        tags = read_tags(path)
    except FileNotFoundError:
        raise ActionError(f"{path}: the file is gone") from None
    if tags.state not in (InboxState.OK, InboxState.PARTIAL):
        raise ActionError(f"{path}: cannot export it: {tags.problem}")
    pages: list[tuple[Image.Image, tuple[float, float]]] = []
    problem = tags.problem
    try:
        with t4.libtiff_messages(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's words for a damaged file; see below
            with Image.open(path) as image:
                for frame in ImageSequence.Iterator(image):
                    if len(pages) == tags.pages:
                        break
                    x_dpi, y_dpi = frame.info.get("dpi") or (tags.x_dpi, tags.y_dpi)
                    if not (x_dpi > 0 and y_dpi > 0):
                        x_dpi, y_dpi = FAX_DPI  # no resolution: assume fax fine, as efix does
                    pages.append((frame.convert("1"), (float(x_dpi), float(y_dpi))))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        problem = tags.problem or f"page {len(pages) + 1} cannot be decoded ({exc})"
    if not pages:
        raise ActionError(f"{path}: cannot export it: {problem}")
    return pages, problem


def _to_dpi(
    image: Image.Image, have: tuple[float, float], want: tuple[float, float]
) -> Image.Image:
    """``image`` with its lines repeated (or dropped) from ``have`` to ``want`` lines per inch."""
    if abs(have[1] - want[1]) < 0.05 * want[1]:
        return image
    height = max(1, round(image.height * want[1] / have[1]))
    return image.resize((image.width, height), Image.Resampling.NEAREST)


def _write_new(folder: Path, name: str, write: Callable[[BinaryIO], None]) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp = _new_temp(folder, ".faxtui-export-", 0o666)
    except OSError as exc:
        raise ActionError(f"{folder}: cannot write there ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
    except (OSError, ValueError) as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise ActionError(f"{folder / name}: cannot write it ({exc})") from None
    return _place(temp, folder, name)
