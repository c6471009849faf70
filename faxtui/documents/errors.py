"""The one error of documents/, and the limits whose breach raises it."""

from __future__ import annotations

from typing import Final

# Pillow keeps a mode "1" page at one byte a pixel: a fine A4 page takes 4 MB of memory, so
# 200 pages is 800 MB, already a lot for a fax server, and 2 to 3 hours on the line.
MAX_PAGES: Final = 200
MAX_PIXELS: Final = 60_000_000  # a page larger than this is not a document, it is an accident


class DocumentError(Exception):
    """A document that cannot be faxed; the message names the file and says why."""
