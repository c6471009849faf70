"""Archive and export: never a deleted fax, never an overwritten file."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image

from faxtui.inbox import actions
from faxtui.inbox.actions import ActionError, archive, export_pdf, export_png
from faxtui.t30 import t4

DATA = Path(__file__).resolve().parent.parent / "data"
EFAX = DATA / "efax-g3-fine.tif"
MIXED = DATA / "tiffcp-g4-standard-and-fine.tif"  # 204 x 98, then 204 x 196


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy2(EFAX, folder / "fax.tif")
    (folder / "fax.tif").chmod(0o640)
    return folder


def test_archive_links_and_unlinks_within_a_filesystem(inbox: Path, tmp_path: Path) -> None:
    before = (digest(inbox / "fax.tif"), (inbox / "fax.tif").stat())
    target = archive(str(inbox / "fax.tif"), tmp_path / "archive")
    assert target == tmp_path / "archive" / "fax.tif"
    assert not (inbox / "fax.tif").exists()
    after = target.stat()
    assert digest(target) == before[0]
    assert (after.st_ino, after.st_mtime_ns, after.st_mode) == (
        before[1].st_ino,
        before[1].st_mtime_ns,
        before[1].st_mode,
    )


def test_archive_never_overwrites(inbox: Path, tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "fax.tif").write_bytes(b"an older fax")
    (folder / "fax-1.tif").write_bytes(b"another one")
    target = archive(str(inbox / "fax.tif"), folder)
    assert target == folder / "fax-2.tif"
    assert (folder / "fax.tif").read_bytes() == b"an older fax"
    assert (folder / "fax-1.tif").read_bytes() == b"another one"


def test_archive_across_filesystems_copies_and_checks(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = inbox / "fax.tif"
    content, stat_before = digest(original), original.stat()
    real_link = os.link

    def no_cross_device(src: str, dst: str) -> None:
        if str(src) == str(original):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_link(src, dst)

    monkeypatch.setattr(actions.os, "link", no_cross_device)
    target = archive(str(original), tmp_path / "archive")
    assert not original.exists()
    assert digest(target) == content
    assert target.stat().st_mtime_ns == stat_before.st_mtime_ns
    assert target.stat().st_mode == stat_before.st_mode
    assert [p.name for p in target.parent.iterdir()] == ["fax.tif"]  # no temporary file left


def test_archive_that_cannot_remove_the_original_takes_nothing(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = inbox / "fax.tif"
    real_unlink = os.unlink

    def refuse_inbox(path: str, *args: object, **kwargs: object) -> None:
        if str(path) == str(original):
            raise PermissionError(errno.EACCES, "Permission denied")
        real_unlink(path)

    monkeypatch.setattr(actions.os, "unlink", refuse_inbox)
    with pytest.raises(ActionError, match=r"cannot remove it from its folder.*nothing was moved"):
        archive(str(original), tmp_path / "archive")
    assert original.exists()
    assert list((tmp_path / "archive").iterdir()) == []


def test_archive_of_a_file_that_is_gone(tmp_path: Path) -> None:
    with pytest.raises(ActionError, match="the file is gone"):
        archive(str(tmp_path / "nothing.tif"), tmp_path / "archive")


def test_export_pdf_keeps_each_page_size(tmp_path: Path) -> None:
    before = digest(MIXED)
    result = export_pdf(str(MIXED), tmp_path / "out")
    assert (result.paths, result.pages, result.problem) == (
        (tmp_path / "out" / "tiffcp-g4-standard-and-fine.pdf",),
        2,
        "",
    )
    pdf = pypdfium2.PdfDocument(result.paths[0])
    assert len(pdf) == 2
    for page in pdf:  # 1728 pixels at 204 dpi: 8.47 inches across, whatever the lines
        width, _ = page.get_size()
        assert width == pytest.approx(1728 / 204 * 72, abs=0.5)
    assert pdf[0].get_size()[1] == pytest.approx(1144 / 98 * 72, abs=1)  # standard, doubled
    assert digest(MIXED) == before
    again = export_pdf(str(MIXED), tmp_path / "out")
    assert again.paths == (tmp_path / "out" / "tiffcp-g4-standard-and-fine-1.pdf",)


def test_export_png_square_pixels_one_file_a_page(tmp_path: Path) -> None:
    result = export_png(str(MIXED), tmp_path / "out")
    assert [p.name for p in result.paths] == [
        "tiffcp-g4-standard-and-fine-p1.png",
        "tiffcp-g4-standard-and-fine-p2.png",
    ]
    with Image.open(result.paths[0]) as first, Image.open(result.paths[1]) as second:
        assert first.size == (1728, round(1144 * 204 / 98))  # standard lines stretched
        assert second.size == (1728, 2204)  # fine: near enough square already
    assert oct(result.paths[0].stat().st_mode & 0o777) != oct(0o600)  # the umask, not mkstemp's


def test_export_of_a_partial_file_gives_the_readable_pages(tmp_path: Path) -> None:
    page = Image.open(EFAX).convert("1")
    cut = tmp_path / "cut.tif"
    cut.write_bytes(t4.fax_tiff_bytes([page, page], fine=True)[:-5000])
    result = export_pdf(str(cut), tmp_path / "out")
    assert result.pages == 1
    assert result.problem.startswith("the file ends inside page 2")


def test_export_of_a_bad_file(tmp_path: Path) -> None:
    (tmp_path / "empty.tif").write_bytes(b"")
    with pytest.raises(ActionError, match="cannot export it: empty file"):
        export_png(str(tmp_path / "empty.tif"), tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
