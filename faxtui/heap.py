"""The garbage collector's settings for a long-running faxtui process."""

from __future__ import annotations

import gc


def settle() -> None:
    """Once started, keep what lives as long as the process out of full collections.

    Under thousands of AMI events a second, CPython's default thresholds ran a full
    collection every 15 s or so, scanning Textual's widgets and Rich's render caches along
    with every call in memory, and stalled the event loop for 100-300 ms each time (see
    bench/README.md). Frozen objects are never scanned; the higher thresholds make young
    collections rarer without letting garbage cycles pile up for long.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
