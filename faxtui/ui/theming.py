"""Themes: TOML files in themes/ (shipped) and in the user config dir, remembered per user."""

from __future__ import annotations

import json
import logging
import tomllib
from pathlib import Path
from typing import Any

from rich.style import Style
from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

from faxtui.config import state_dir, user_config_file
from faxtui.ui.format import Styles

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parent.parent
THEME_DIRS = (
    _PACKAGE / "themes",  # inside an installed wheel
    _PACKAGE.parent / "themes",  # a source checkout or an editable install
)
_FIELDS = {
    *("primary", "secondary", "warning", "error", "success", "accent"),
    *("foreground", "background", "surface", "panel", "boost"),
}


def theme_dirs() -> list[Path]:
    return [*THEME_DIRS, user_config_file().parent / "themes"]


def load_themes() -> list[Theme]:
    """Every readable theme file; a broken one is logged and skipped, never fatal."""
    found: dict[str, Theme] = {}
    for folder in theme_dirs():
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            try:
                theme = _read(path)
            except (OSError, ValueError, tomllib.TOMLDecodeError, ColorParseError) as exc:
                log.warning("theme %s skipped: %s", path, exc)
                continue
            found[theme.name] = theme
    return list(found.values())


def _read(path: Path) -> Theme:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    name = data.get("name") or path.stem
    colours = {k: v for k, v in data.items() if k in _FIELDS}
    if "primary" not in colours:
        raise ValueError("needs at least a primary colour")
    for value in colours.values():
        Color.parse(value)
    variables = {str(k): str(v) for k, v in data.get("variables", {}).items()}
    return Theme(
        name=name,
        dark=bool(data.get("dark", True)),
        ansi=bool(data.get("ansi", False)),
        variables=variables,
        **colours,
    )


def _state_file() -> Path:
    return state_dir() / "ui.json"


def remembered_theme() -> str | None:
    try:
        return str(json.loads(_state_file().read_text())["theme"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember_theme(name: str) -> None:
    path = _state_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"theme": name}))
        tmp.replace(path)
    except OSError as exc:
        log.warning("cannot remember the theme in %s: %s", path, exc)


def styles_for(app: App[Any]) -> Styles:
    """The table's text styles, in the colours of the current theme."""
    theme = app.current_theme

    def colour(value: str | None, fallback: str) -> Color:
        try:
            return Color.parse(value or fallback)
        except ColorParseError:
            return Color.parse(fallback)

    def style(
        value: str | None, fallback: str, *, bold: bool = False, reverse: bool = False
    ) -> Style:
        return Style(color=colour(value, fallback).rich_color, bold=bold, reverse=reverse)

    return Styles(
        ok=style(theme.success, "ansi_green", bold=True),
        fail=style(theme.error, "ansi_red", bold=True),
        warn=style(theme.warning, "ansi_yellow"),
        lit=style(theme.primary, "ansi_cyan", bold=True, reverse=True),
        done=style(theme.secondary or theme.primary, "ansi_cyan"),
        todo=Style(dim=True),
        dim=Style(dim=True),
        accent=style(theme.accent, "ansi_yellow", bold=True),
    )
