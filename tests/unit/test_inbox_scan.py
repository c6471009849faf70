"""Finding the fax files in the folders, and what a look at them decides."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from faxtui.inbox import scan
from faxtui.inbox.config import Watch
from faxtui.inbox.index import InboxIndex
from faxtui.inbox.model import InboxItem, InboxState

DATA = Path(__file__).resolve().parent.parent / "data"
EFAX = DATA / "efax-g3-fine.tif"


def job(path: Path | str) -> tuple[str, scan.Stamp, None]:
    """A still file, as the source hands it to read_files."""
    stamp = scan.stamp(str(path))
    assert stamp is not None
    return str(path), stamp, None


def test_find_follows_the_patterns(tmp_path: Path) -> None:
    (tmp_path / "a" / "2026" / "11").mkdir(parents=True)
    for name in ("x.tif", "Y.TIF", ".receiving-1.tif", "z.pdf", "2026/11/deep.tif"):
        (tmp_path / "a" / name).write_bytes(b"II*\0")
    (tmp_path / "a" / "2026" / "loop").symlink_to(tmp_path / "a")  # not followed
    os.mkfifo(tmp_path / "a" / "pipe.tif")  # not a file
    flat = scan.find([Watch(str(tmp_path / "a"), "*.tif")])
    assert sorted(Path(p).name for p in flat.files) == ["Y.TIF", "x.tif"]
    deep = scan.find([Watch(str(tmp_path / "a"), "**/*.tif")])
    assert sorted(Path(p).name for p in deep.files) == ["Y.TIF", "deep.tif", "x.tif"]
    assert deep.files[str(tmp_path / "a" / "x.tif")] == scan.Stamp(
        4, (tmp_path / "a" / "x.tif").stat().st_mtime_ns
    )


def test_find_names_the_folders_it_cannot_list(tmp_path: Path) -> None:
    found = scan.find(
        [
            Watch(str(tmp_path / "required")),
            Watch(str(tmp_path / "modem-inbox"), required=False),
        ]
    )
    assert found.problems == [f"{tmp_path / 'required'}: no such folder"]
    assert found.folders == set()


def test_changed_and_gone(tmp_path: Path) -> None:
    watch = Watch(str(tmp_path))
    same = InboxItem(str(tmp_path / "same.tif"), 4, 10, InboxState.OK)
    grown = InboxItem(str(tmp_path / "grown.tif"), 4, 10, InboxState.OK)
    half = InboxItem(str(tmp_path / "half.tif"), 4, 10, InboxState.RECEIVING)
    gone = InboxItem(str(tmp_path / "gone.tif"), 4, 10, InboxState.OK)
    temp = InboxItem(str(tmp_path / "temp.tif"), 4, 10, InboxState.RECEIVING)
    elsewhere = InboxItem("/not/watched/x.tif", 4, 10, InboxState.OK)
    found = scan.Found(
        files={
            same.path: scan.Stamp(4, 10),
            grown.path: scan.Stamp(8, 11),
            half.path: scan.Stamp(4, 10),  # unchanged, but never read to the end
            str(tmp_path / "new.tif"): scan.Stamp(1, 1),
        },
        folders={str(tmp_path)},
    )
    known = [same, grown, half, gone, temp, elsewhere]
    fresh, missing = scan.changed(known, found, [watch])
    assert sorted(fresh) == sorted([grown.path, half.path, str(tmp_path / "new.tif")])
    assert sorted(missing) == sorted([gone.path, temp.path])  # not the unwatched one
    rows = {item.path: item for item in known}
    assert scan.split_gone(rows, missing) == ([gone.path], [temp.path])


def test_read_files_follows_a_move_and_keeps_the_notes(tmp_path: Path) -> None:
    index = InboxIndex(tmp_path / "data")
    old = tmp_path / "old.tif"
    shutil.copy(EFAX, old)
    assert len(scan.read_files(index, [job(old)]).stored) == 1
    index.set_note(str(old), "keep")
    new = tmp_path / "new.tif"
    os.rename(old, new)
    index.mark_missing([str(old)], scan.GONE)
    result = scan.read_files(index, [job(new)])
    assert result.removed == [str(old)]
    (moved,) = result.stored
    assert (moved.path, moved.note, moved.state, moved.pages) == (str(new), "keep", "ok", 1)
    assert [i.path for i in index.load_all()] == [str(new)]
    # a copy of a file that is still there is a fax of its own
    shutil.copy2(new, tmp_path / "copy.tif")
    index.mark_missing([str(new)], scan.GONE)
    os.utime(tmp_path / "copy.tif", ns=(new.stat().st_atime_ns, new.stat().st_mtime_ns))
    result = scan.read_files(index, [job(tmp_path / "copy.tif")])
    assert result.removed == [] and result.stored[0].note == ""
    index.close()


def test_read_files_sees_a_file_that_is_still_changing(tmp_path: Path) -> None:
    index = InboxIndex(tmp_path / "data")
    path = tmp_path / "a.tif"
    shutil.copy(EFAX, path)
    result = scan.read_files(index, [(str(path), scan.Stamp(1, 1), None)])
    assert result.changing == {str(path): scan.stamp(str(path))}
    assert result.stored == []
    gone = scan.read_files(index, [(str(tmp_path / "no.tif"), scan.Stamp(1, 1), None)])
    assert gone.vanished == [str(tmp_path / "no.tif")]
    index.close()


@pytest.mark.skipif(shutil.which("tiffcrop") is None, reason="no tiffcrop")
def test_landscape(tmp_path: Path) -> None:
    index = InboxIndex(tmp_path / "data")
    portrait, landscape = tmp_path / "p.tif", tmp_path / "l.tif"
    shutil.copy(EFAX, portrait)
    subprocess.run(["tiffcrop", "-R", "90", str(EFAX), str(landscape)], check=True)
    stored = {
        Path(i.path).name: i for i in scan.read_files(index, [job(portrait), job(landscape)]).stored
    }
    assert not stored["p.tif"].landscape
    assert stored["l.tif"].landscape
    index.close()
