"""The README's example configuration is one faxtui accepts, setting for setting."""

from __future__ import annotations

import re
from pathlib import Path

from faxtui.config import load

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_example_configuration_loads(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    (example,) = re.findall(r"```toml\n(.*?)```", text, re.S)
    for secret in re.findall(r'secret_file = "([^"]+)"', example):
        local = tmp_path / Path(secret).name
        local.write_text("s3cret\n")
        local.chmod(0o600)
        example = example.replace(secret, str(local))
    path = tmp_path / "config.toml"
    path.write_text(example)
    path.chmod(0o600)
    config = load(path, env={})
    assert [s.name for s in config.ami] == ["pbx1", "pbx2"]
    assert config.ami[0].can_send and not config.ami[1].can_send
    assert config.modems[0].device == "/dev/ttyACM0"
    assert config.queue.retry_no_answer == 300 and config.serve.group == "fax"
    assert len(config.inboxes.folders) == 2
    assert config.warnings == ()
