"""Settings: a TOML config file plus environment variables, resolved once per run.

Precedence (highest first): command-line options, environment variables,
the config file, built-in defaults. The config file is ``--config``, else
``$WHOCALLED_CONFIG``, else ``config.toml`` in the user config directory.

Example (``whocalled config show`` prints the resolved values)::

    region = "US"                  # home country for national numbers
    own_numbers = ["+12025550123"] # your numbers: neighbour spoofing, never blocked by a range
    timezone = "America/New_York"  # for "called at night"
    deadline = 4.0                 # seconds a lookup may spend online

    [thresholds]
    likely_spam = 60               # spam score at or above which a number is likely spam
    suspicious = 30
    likely_ok = -20                # at or below: likely a genuine caller

    [sources.shouldianswer_com]
    enabled = true
    base_url = "https://www.shouldianswer.com"
    rate = 1.0                     # requests per second to this host
    ttl_days = 30

    [sources.tellows]
    api_key = "..."                # secrets never appear in output, logs or the database

Environment: ``WHOCALLED_DB``, ``WHOCALLED_CONFIG``, ``WHOCALLED_REGION``,
``WHOCALLED_OWN_NUMBERS`` (comma separated) and, per source,
``WHOCALLED_SOURCE_<NAME>_<FIELD>`` (e.g. ``WHOCALLED_SOURCE_TELLOWS_API_KEY``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

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
    sources: Mapping[str, SourceConfig] = field(default_factory=dict)
    db_path: Path | None = None
    config_path: Path | None = None
    cnam_spam_prefix: str = "SPAM"  # cut to the CNAM-safe characters, then a space before the name
    server_token: str | None = None

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
            "cnam_spam_prefix": self.cnam_spam_prefix,
            "server_token": "***" if self.server_token else None,
            "sources": {name: cfg.redacted() for name, cfg in sorted(self.sources.items())},
        }


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME) / "config.toml"


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "whocalled.db"


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value if value not in (None, "") else None


def _as_float(value: Any, where: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where} must be a number, not {value!r}") from None


def _source_config(name: str, raw: Any, environ: Mapping[str, str]) -> SourceConfig:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"[sources.{name}] must be a table")
    known = {f.name for f in fields(SourceConfig)} - {"options"}
    values: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for key, value in raw.items():
        if key in known:
            values[key] = value
        else:
            options[key] = value
    prefix = f"WHOCALLED_SOURCE_{name.upper()}_"
    for key in known:
        env_value = _env(environ, prefix + key.upper())
        if env_value is not None:
            values[key] = env_value
    if "enabled" in values and isinstance(values["enabled"], str):
        values["enabled"] = values["enabled"].strip().lower() in ("1", "true", "yes", "on")
    for key in ("rate", "ttl_days", "not_found_ttl_days"):
        if key in values and values[key] is not None:
            values[key] = _as_float(values[key], f"sources.{name}.{key}")
    if "base_url" in values and values["base_url"]:
        values["base_url"] = str(values["base_url"]).rstrip("/")
    return SourceConfig(options=options, **values)


def load_settings(
    config_path: str | Path | None = None,
    *,
    db_path: str | Path | None = None,
    region: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings from the config file, the environment and explicit overrides."""
    environ = os.environ if environ is None else environ
    explicit = config_path or _env(environ, "WHOCALLED_CONFIG")
    path = Path(explicit).expanduser() if explicit else default_config_path()
    data: dict[str, Any] = {}
    if path.exists():
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    elif explicit:
        raise ConfigError(f"config file not found: {path}")

    raw_sources = data.get("sources", {})
    if not isinstance(raw_sources, Mapping):
        raise ConfigError("[sources] must be a table of tables")
    source_names = set(raw_sources)
    for key in environ:
        if key.startswith("WHOCALLED_SOURCE_"):
            rest = key[len("WHOCALLED_SOURCE_") :].lower()
            for suffix in ("_enabled", "_base_url", "_rate", "_ttl_days", "_api_key", "_token", "_app_token"):
                if rest.endswith(suffix):
                    source_names.add(rest[: -len(suffix)])
    sources = {
        name: _source_config(name, raw_sources.get(name, {}), environ) for name in sorted(source_names)
    }

    own = data.get("own_numbers", [])
    if isinstance(own, str):
        own = [own]
    env_own = _env(environ, "WHOCALLED_OWN_NUMBERS")
    if env_own:
        own = [part.strip() for part in env_own.split(",") if part.strip()]
    if not isinstance(own, list) or not all(isinstance(n, str) for n in own):
        raise ConfigError("own_numbers must be a list of phone numbers")

    th = data.get("thresholds", {})
    if not isinstance(th, Mapping):
        raise ConfigError("[thresholds] must be a table")
    thresholds = Thresholds(
        **{k: int(_as_float(v, f"thresholds.{k}")) for k, v in th.items() if k in {"likely_spam", "suspicious", "likely_ok"}}
    )

    settings = Settings(
        region=str(region or _env(environ, "WHOCALLED_REGION") or data.get("region") or "US").upper(),
        own_numbers=tuple(own),
        timezone=data.get("timezone"),
        deadline=_as_float(data.get("deadline", 4.0), "deadline"),
        screen_deadline=_as_float(data.get("screen_deadline", 2.0), "screen_deadline"),
        user_agent=str(data.get("user_agent") or DEFAULT_USER_AGENT),
        thresholds=thresholds,
        sources=sources,
        db_path=Path(db_path or _env(environ, "WHOCALLED_DB") or data.get("db") or default_db_path()).expanduser(),
        config_path=path,
        cnam_spam_prefix=str(data.get("cnam_spam_prefix", "SPAM")),
        server_token=_env(environ, "WHOCALLED_SERVER_TOKEN") or (data.get("server", {}) or {}).get("token"),
    )
    return settings
