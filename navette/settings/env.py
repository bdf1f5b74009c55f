"""Typed values read from the environment: the only place Navette reads it.

The settings modules (``navette/settings/*.py``) call these helpers; the rest of the code
reads ``django.conf.settings``. A value that cannot be read does not stop the import:
the setting takes its default and the problem is noted in ``PROBLEMS``, which the
settings expose as ``NAVETTE_SETTINGS_PROBLEMS`` and the system checks report
(``navette.E010``) with the variable's name, so ``navette check`` and ``navette serve``
list every mistake at once and refuse to start.
"""

from __future__ import annotations

import os

#: "NAME: what is wrong" for every variable that could not be read
PROBLEMS: list[str] = []


def _raw(name: str) -> str | None:
    raw = os.environ.get(name)
    return None if raw is None or raw.strip() == "" else raw.strip()


def env_str(name: str, default: str) -> str:
    """The variable as given (surrounding spaces removed), or ``default`` when unset or empty."""
    raw = _raw(name)
    return default if raw is None else raw


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    PROBLEMS.append(f"{name} must be 1/true/yes/on or 0/false/no/off, got {raw!r}")
    return default


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        PROBLEMS.append(f"{name} must be an integer, got {raw!r}")
        return default
    if minimum is not None and value < minimum:
        PROBLEMS.append(f"{name} must be at least {minimum}, got {raw!r}")
        return default
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_int_list(name: str, default: list[int], *, minimum: int | None = None) -> list[int]:
    """Comma-separated integers (``1,8,15``)."""
    parts = env_list(name, [str(d) for d in default])
    try:
        values = [int(p) for p in parts]
    except ValueError:
        PROBLEMS.append(f"{name} must be integers separated by commas, got {','.join(parts)!r}")
        return list(default)
    if minimum is not None and any(v < minimum for v in values):
        PROBLEMS.append(f"{name} must hold numbers of at least {minimum}, got {','.join(parts)!r}")
        return list(default)
    return values


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        PROBLEMS.append(f"{name} must be a number, got {raw!r}")
        return default
    if not value >= minimum:
        PROBLEMS.append(f"{name} must be at least {minimum:g}, got {raw!r}")
        return default
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = _raw(name)
    if raw is None:
        return default
    if raw not in choices:
        PROBLEMS.append(f"{name}={raw!r}: expected {', '.join(choices[:-1])} or {choices[-1]}")
        return default
    return raw
