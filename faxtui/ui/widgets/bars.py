"""The two status lines at the top: sources and host health."""

from __future__ import annotations

import time
from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Static

from faxtui.model import Health, LinkState, SourceState
from faxtui.text import safe_text
from faxtui.ui.format import Styles, duration, size

MARK = {
    LinkState.UP: "●",
    LinkState.DEGRADED: "◐",
    LinkState.CONNECTING: "○",
    LinkState.DOWN: "✗",
    LinkState.STOPPED: "■",
}


class SourceBar(Static):
    """``faxtui │ pbx ● up │ lab ✗ login refused … │ 2 active``"""

    def show(
        self, sources: Iterable[SourceState], active: int, styles: Styles, *, read_only: bool
    ) -> None:
        line = Text(" faxtui ", style="bold", no_wrap=True, overflow="ellipsis", end="")
        if read_only:
            line.append("read-only ", styles.warn)
        line.append("│ ", styles.dim)
        line.append(f"{active} active ", styles.accent if active else styles.dim)
        now = time.time()
        words: list[Text] = []
        for state in sorted(sources, key=lambda s: s.name):
            style = {
                LinkState.UP: styles.ok,
                LinkState.DEGRADED: styles.warn,
                LinkState.DOWN: styles.fail,
            }.get(state.state, styles.dim)
            line.append("│ ", styles.dim)
            line.append_text(safe_text(state.name))
            line.append(f" {MARK[state.state]} ", style)
            if state.state is LinkState.UP:
                line.append("up ", style)
                continue
            line.append_text(safe_text(state.problem or state.state.value, style))
            if state.retry_at and state.state is LinkState.DOWN:
                line.append(f", retry in {max(0, int(state.retry_at - now))} s", styles.dim)
            line.append(" ")
            words.append(safe_text(state.message.split(";")[0], style))
        for each in words:  # last: a narrow terminal loses words, not the facts
            line.append("│ ", styles.dim)
            line.append_text(each)
            line.append(" ")
        self.update(line)


class HealthBar(Static):
    """``asterisk 812 0.4% 61.2M up 3:04 · faxq – · /var/spool/asterisk/fax 71% free``"""

    def show(self, health: Health | None, styles: Styles) -> None:
        line = Text(" ", no_wrap=True, overflow="ellipsis", end="")
        if health is None:
            line.append("host health: sampling…", styles.dim)
            self.update(line)
            return
        parts: list[Text] = []
        for proc in health.processes:
            part = Text(proc.name, style="bold")
            up = duration(health.ts - proc.started) if health.ts else ""
            part.append(f" {proc.pid} {proc.cpu:.1f}% {size(proc.rss)} up {up}")
            parts.append(part)
        parts.extend(Text(f"{name} –", style=styles.dim) for name in health.missing)
        for disk in health.disks:
            if disk.error:
                continue
            free = disk.free / disk.total * 100 if disk.total else 0
            part = safe_text(disk.path, styles.dim)
            part.append(f" {free:.0f}% free", styles.warn if free < 10 else styles.dim)
            parts.append(part)
        line.append_text(Text(" · ", style=styles.dim).join(parts))
        self.update(line)
