"""The fax lab for pytest: the modem pair of tests/lab/pair.py, once a session.

iaxmodem and efax come from Debian (`.ci/run` installs them). After every hang-up a modem
rejects calls for five seconds, so each test waits that out before it dials.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import NoReturn

import pytest

from tests.lab.pair import Lab, LabUnavailable, start_pair

# .ci/run sets it: there the lab must run, and a reason to skip is a failure
REQUIRED = os.environ.get("FAXTUI_REQUIRE_LAB", "") not in ("", "0")


def unavailable(why: str) -> NoReturn:
    """Skip, saying how to enable the lab tests; fail where they are required."""
    if REQUIRED:
        pytest.fail(f"FAXTUI_REQUIRE_LAB is set, but {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with contextlib.ExitStack() as stack:
        try:
            pair = stack.enter_context(start_pair(tmp_path_factory.mktemp("faxlab")))
        except LabUnavailable as exc:
            unavailable(str(exc))
        yield pair
