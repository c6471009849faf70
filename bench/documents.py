"""Documents to fax pages: pages per second for text and PDF at fine resolution.

Each input is timed three ways on the same pages, the median of ``reps`` runs:
- convert: ``faxtui.documents.pages.to_pages`` (read, render, fit, black and white);
- spool: ``write_spool_tiff`` of those pages (faxtui's own G3 coder, ``t30/t4.py``, in Python,
  then a temporary file, fsync and link);
- Pillow G3: Pillow alone saving the same pages as one multi-page G3 TIFF through libtiff,
  the floor: what writing a fax TIFF costs in C with nothing else to do.
The ratio is faxtui's time (convert + spool) over Pillow's: how many times longer it takes
to make the fax TIFF from the document than Pillow takes only to write the finished pages.

The inputs: text, ``pages`` pages of 66 lines of words; PDF, ``pages`` pages taken in turn
from tests/data/reportlab-3-pages.pdf (A4 text with a black square and grey text; A4 with a
photo and a grey box; landscape Letter), copied by PDFium into one document.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from PIL import Image

from bench.common import ROOT, Stopwatch, median, table
from faxtui.documents.pages import to_pages, write_spool_tiff

SAMPLE_PDF = ROOT / "tests" / "data" / "reportlab-3-pages.pdf"
WORDS = (
    *("fax", "page", "line", "modem", "tone", "answer", "call", "number", "sender", "receiver"),
    *("document", "paper", "resolution", "fine", "standard", "error", "retry", "queue"),
    *("spool", "header", "station", "identity", "confirm", "the", "a", "of", "to", "and"),
)


def _text(path: Path, pages: int) -> None:
    rng = random.Random(4)
    lines = []
    for _ in range(pages * 66):
        line = ""
        while len(line) < 60:
            line += rng.choice(WORDS) + " "
        lines.append(line.rstrip())
    path.write_text("\n".join(lines) + "\n")


def _pdf(path: Path, pages: int) -> None:
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(SAMPLE_PDF)
    pdf = pdfium.PdfDocument.new()
    pdf.import_pages(source, [n % len(source) for n in range(pages)])
    pdf.save(path)


def _pillow_g3(pages: list[Image.Image], path: Path) -> None:
    pages[0].save(
        path,
        format="TIFF",
        compression="group3",
        save_all=True,
        append_images=pages[1:],
        dpi=(204, 196),
    )


def run(*, pages: int = 30, reps: int = 3) -> None:
    """Time both inputs; print the table."""
    print(f"== documents to fax pages: {pages} pages an input, fine, {reps} runs, median ==")
    work = Path(tempfile.mkdtemp(prefix="faxtui-bench-documents-"))
    rows: list[list[object]] = []
    try:
        inputs = {"text": work / "letter.txt", "PDF": work / "letter.pdf"}
        _text(inputs["text"], pages)
        _pdf(inputs["PDF"], pages)
        for name, path in inputs.items():
            convert: list[float] = []
            spool: list[float] = []
            pillow: list[float] = []
            for rep in range(reps):
                clock = Stopwatch()
                made = to_pages(path, resolution="fine")
                convert.append(clock.elapsed)
                clock = Stopwatch()
                write_spool_tiff(made, work / f"{name}-{rep}.tif", resolution="fine")
                spool.append(clock.elapsed)
                clock = Stopwatch()
                _pillow_g3(made, work / f"{name}-{rep}-pillow.tif")
                pillow.append(clock.elapsed)
                count = len(made)
            ours = median(convert) + median(spool)
            rows.append(
                [
                    name,
                    count,
                    count / median(convert),
                    count / median(spool),
                    count / ours,
                    count / median(pillow),
                    ours / median(pillow),
                ]
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        table(
            [
                "input",
                "pages",
                "convert p/s",
                "spool p/s",
                "faxtui p/s",
                "Pillow G3 p/s",
                "faxtui/Pillow time",
            ],
            rows,
            title="Pages a second at fine resolution (faxtui = convert + spool TIFF)",
        )
    )
