"""Settings: what one run of whocalled is configured with, as frozen values.

:mod:`lookup.settings_load` builds a :class:`Settings` from the config file, the environment and
the command line, and checks every key and value on the way; this module only holds the result
(and the defaults, the version and the error type both share).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

from lookup.timing import WaveRule


APP_NAME = "whocalled"
PROJECT_URL = "https://github.com/whocalled/whocalled"
VERSION = "0.1.0"
DEFAULT_USER_AGENT = f"whocalled/{VERSION} (+{PROJECT_URL})"

SECRET_FIELDS = frozenset({"api_key", "token", "password", "app_token"})


class ConfigError(ValueError):
    """The config file or an environment variable holds something unusable."""


@dataclass(frozen=True)
class SourceConfig:
    """Per-source settings from ``[sources.NAME]``. ``None`` means "use the source's default"."""

    enabled: bool | None = None
    base_url: str | None = None
    rate: float | None = None  # requests per second to the source's host
    ttl_days: float | None = None  # how long a "found" answer stays fresh
    not_found_ttl_days: float | None = None
    api_key: str | None = None
    token: str | None = None
    app_token: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def redacted(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "options" and not value):
                continue
            out[f.name] = "***" if f.name in SECRET_FIELDS else value
        if isinstance(out.get("options"), Mapping):
            out["options"] = dict(out["options"])
        return out


@dataclass(frozen=True)
class Thresholds:
    likely_spam: int = 60
    suspicious: int = 30
    likely_ok: int = -20


@dataclass(frozen=True)
class Settings:
    region: str = "US"
    own_numbers: tuple[str, ...] = ()
    timezone: str | None = None
    deadline: float = 4.0
    screen_deadline: float = 2.0
    user_agent: str = DEFAULT_USER_AGENT
    thresholds: Thresholds = Thresholds()
    waves: WaveRule = WaveRule()
    sources: Mapping[str, SourceConfig] = field(default_factory=dict)
    db_path: Path | None = None
    config_path: Path | None = None
    cnam_spam_prefix: str = "SPAM"  # cut to the CNAM-safe characters, then a space before the name
    server_token: str | None = None
    server_max_connections: int = 256  # open connections at once; past it, the slowest waiting ones go
    server_head_timeout: float = 10.0  # seconds a client may take to send its request head

    def source(self, name: str) -> SourceConfig:
        return self.sources.get(name) or SourceConfig()

    @cached_property
    def own_e164(self) -> tuple[str, ...]:
        """``own_numbers`` as E.164 keys in the home region, worked out once (entries that are
        not phone numbers are left out)."""
        from lookup.numbers import NumberError, parse_number

        out = []
        for raw in self.own_numbers:
            try:
                number, _ = parse_number(raw, self.region)
            except NumberError:
                continue
            if number.e164:
                out.append(number.e164)
        return tuple(dict.fromkeys(out))

    def redacted(self) -> dict[str, Any]:
        """A JSON-friendly view with every secret masked (for ``config show``)."""
        return {
            "config_path": str(self.config_path) if self.config_path else None,
            "db_path": str(self.db_path) if self.db_path else None,
            "region": self.region,
            "own_numbers": list(self.own_numbers),
            "timezone": self.timezone,
            "deadline": self.deadline,
            "screen_deadline": self.screen_deadline,
            "user_agent": self.user_agent,
            "thresholds": vars(self.thresholds) if hasattr(self.thresholds, "__dict__") else {
                f.name: getattr(self.thresholds, f.name) for f in fields(self.thresholds)
            },
            "waves": {f.name: getattr(self.waves, f.name) for f in fields(self.waves)},
            "cnam_spam_prefix": self.cnam_spam_prefix,
            "server_token": "***" if self.server_token else None,
            "server_max_connections": self.server_max_connections,
            "server_head_timeout": self.server_head_timeout,
            "sources": {name: cfg.redacted() for name, cfg in sorted(self.sources.items())},
        }


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME) / "config.toml"


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "whocalled.db"
