"""Loading settings: a TOML config file plus environment variables, resolved once per run
into a :class:`lookup.settings.Settings`.

Precedence (highest first): command-line options, environment variables,
the config file, built-in defaults. The config file is ``--config``, else
``$WHOCALLED_CONFIG``, else ``config.toml`` in the user config directory.

The keys are those of the README's "Configuration" section: ``region``, ``own_numbers``,
``timezone``, ``deadline``, ``screen_deadline``, ``user_agent``, ``db``, ``cnam_spam_prefix``,
``[thresholds]``, ``[waves]``, ``[sources.NAME]`` and ``[server]`` (``whocalled config show`` prints them).

Environment: ``WHOCALLED_DB``, ``WHOCALLED_CONFIG``, ``WHOCALLED_REGION``,
``WHOCALLED_OWN_NUMBERS`` (comma separated) and, per source,
``WHOCALLED_SOURCE_<NAME>_<FIELD>`` (e.g. ``WHOCALLED_SOURCE_TELLOWS_API_KEY``),
``WHOCALLED_SERVER_TOKEN``. Unknown keys, unknown sources and unusable values are refused
at load with one line naming the key and the file (or the variable).
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from lookup.settings import (
    DEFAULT_USER_AGENT,
    ConfigError,
    Settings,
    SourceConfig,
    Thresholds,
    default_config_path,
    default_db_path,
)
from lookup.timing import WaveRule


MIN_TOKEN_LENGTH = 16
TOP_KEYS = frozenset(
    {"region", "own_numbers", "timezone", "deadline", "screen_deadline", "user_agent", "thresholds",
     "sources", "db", "cnam_spam_prefix", "server", "waves"}
)
BLOCK_SIZES = (10, 100, 1000, 10_000)  # a wave's block: the numbers sharing all digits but the last 1 to 4
SERVER_KEYS = frozenset({"token", "max_connections", "head_timeout"})
SOURCE_FIELDS = ("not_found_ttl_days", "ttl_days", "base_url", "app_token", "api_key", "enabled", "token", "rate")
# Options a source reads from ``config.options`` beyond the common fields (see each source's module).
SOURCE_OPTIONS: Mapping[str, frozenset[str]] = {
    "ftc_gov": frozenset({"days"}),
    "phoneblock_net": frozenset({"privacy", "prefix_length"}),
    "tellows": frozenset({"key_is_md5"}),
}
REGIONAL_OPTION = "base_url_"  # ``base_url_<region>``: a regional host (phonespamfilter_com)
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _env(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value if value not in (None, "") else None


@dataclass(frozen=True)
class _Place:
    """Where a value came from, for the one line that refuses it."""

    origin: str  # "config file PATH" or "environment"

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.origin}: {key} {problem}" if key else f"{self.origin} {problem}")

    def number(self, value: Any, key: str, *, low: float | None = None, positive: bool = False,
               high: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.fail(key, f"must be a number, not {_shown(value)}")
        try:
            out = float(value)
        except ValueError:
            raise self.fail(key, f"must be a number, not {_shown(value)}") from None
        if not math.isfinite(out):
            raise self.fail(key, f"must be a finite number, not {_shown(value)}")
        if positive and out <= 0:
            raise self.fail(key, f"must be more than 0, not {_shown(value)}")
        if low is not None and out < low:
            raise self.fail(key, f"must be at least {low:g}, not {_shown(value)}")
        if high is not None and out > high:
            raise self.fail(key, f"must be at most {high:g}, not {_shown(value)}")
        return out

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, not {_shown(value)}")
        return value

    def flag(self, value: Any, key: str) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            return value.strip().lower() in TRUE_WORDS
        raise self.fail(key, f"must be true or false, not {_shown(value)}")

    def table(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be a table ([{key}]), not {_shown(value)}")
        return value

    def known(self, keys: Any, allowed: Any, where: str = "", what: str = "a setting") -> None:
        for key in keys:
            if key not in allowed:
                import difflib  # only to name the nearest known key

                hint = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                also = f" (did you mean {where}{hint[0]}?)" if hint else f"; known: {', '.join(sorted(allowed))}"
                raise self.fail(f"{where}{key}", f"is not {what}{also}")

    def region(self, value: Any, key: str) -> str:
        from lookup.regions import REGION_NAMES

        code = self.text(value, key).strip().upper()
        if code not in REGION_NAMES:
            raise self.fail(key, f"must be a two-letter country code such as US or GB, not {_shown(value)}")
        return code

    def token(self, value: Any, key: str) -> str:
        token = self.text(value, key)
        if len(token.strip()) < MIN_TOKEN_LENGTH:
            raise self.fail(key, f"must be at least {MIN_TOKEN_LENGTH} characters (try: openssl rand -hex 16)")
        return token.strip()


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_token(token: str, where: str = "--token") -> str:
    """A server token long enough not to be guessed; ConfigError otherwise."""
    return _Place(where).token(token, "")


def _source_config(name: str, raw: Mapping[str, Any], env: Mapping[str, str], place: _Place, env_place: _Place) -> SourceConfig:
    where = f"sources.{name}."
    options = SOURCE_OPTIONS.get(name, frozenset())
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in raw.items():
        if key in SOURCE_FIELDS:
            values[key] = (place, value)
        elif key in options or (name == "phonespamfilter_com" and key.startswith(REGIONAL_OPTION)):
            extra[key] = value
        else:
            place.known([key], set(SOURCE_FIELDS) | options, where)
    for key, value in env.items():
        values[key] = (env_place, value)
    out: dict[str, Any] = {}
    for key, (at, value) in values.items():
        label = f"{where}{key}" if at is place else f"WHOCALLED_SOURCE_{name.upper()}_{key.upper()}"
        if key == "enabled":
            out[key] = at.flag(value, label)
        elif key == "rate":
            out[key] = at.number(value, label, positive=True, high=1000)
        elif key in ("ttl_days", "not_found_ttl_days"):
            out[key] = at.number(value, label, low=0, high=36500)
        elif key == "base_url":
            out[key] = _check_url(at, at.text(value, label), label)
        else:
            out[key] = at.text(value, label)
    return SourceConfig(options=extra, **out)


def _check_url(place: _Place, url: str, key: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise place.fail(key, f"must be an http:// or https:// address, not {_shown(url)}")
    return url.strip().rstrip("/")


def _source_env(environ: Mapping[str, str], names: set[str], place: _Place) -> dict[str, dict[str, str]]:
    """``WHOCALLED_SOURCE_<NAME>_<FIELD>`` variables by source name and field."""
    out: dict[str, dict[str, str]] = {}
    for var, value in environ.items():
        if not var.startswith("WHOCALLED_SOURCE_") or value == "":
            continue
        rest = var[len("WHOCALLED_SOURCE_"):].lower()
        field_name = next((f for f in SOURCE_FIELDS if rest.endswith("_" + f)), None)
        if field_name is None:
            raise place.fail(var, f"names no field of a source (one of: {', '.join(sorted(SOURCE_FIELDS))})")
        name = rest[: -len(field_name) - 1]
        if name not in names:
            raise place.fail(var, f"names no source: {name!r} is not one of {', '.join(sorted(names))}")
        out.setdefault(name, {})[field_name] = value
    return out


def _own_numbers(value: Any, region: str, place: _Place, key: str) -> tuple[str, ...]:
    from lookup.numbers import NumberError, parse_number

    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise place.fail(key, "must be a list of phone numbers")
    for raw in value:
        try:
            number, _ = parse_number(raw, region)
        except NumberError as exc:
            raise place.fail(key, f"holds {raw!r}, which is not usable: {exc}") from None
        if not number.e164:
            raise place.fail(key, f"holds {raw!r}, which is not a full phone number")
    return tuple(value)


def _timezone(value: Any, place: _Place) -> str | None:
    if value is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = place.text(value, "timezone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise place.fail("timezone", f"is not a known time zone: {_shown(value)} (e.g. \"Europe/Berlin\")") from None
    return name


def _thresholds(raw: Any, place: _Place) -> Thresholds:
    table = place.table(raw, "thresholds")
    names = [f.name for f in fields(Thresholds)]
    place.known(table, names, "thresholds.")
    values = {k: int(place.number(v, f"thresholds.{k}")) for k, v in table.items()}
    out = Thresholds(**values)
    if not out.likely_ok < out.suspicious < out.likely_spam:
        raise place.fail(
            "thresholds",
            f"must rise from likely_ok through suspicious to likely_spam, not {out.likely_ok}, {out.suspicious}, {out.likely_spam}",
        )
    return out


def _waves(raw: Any, place: _Place) -> WaveRule:
    """``[waves]``: numbers (2..1000), days (1..365), block_size and nanp_block_size (10 to 10000)."""
    table = place.table(raw, "waves")
    place.known(table, [f.name for f in fields(WaveRule)], "waves.")
    values: dict[str, int] = {}
    for key, value in table.items():
        number = place.number(value, f"waves.{key}")
        if number != int(number):
            raise place.fail(f"waves.{key}", f"must be a whole number, not {_shown(value)}")
        values[key] = int(number)
    if not 2 <= values.get("numbers", 2) <= 1000:
        raise place.fail("waves.numbers", f"must be from 2 to 1000, not {_shown(values['numbers'])}")
    if not 1 <= values.get("days", 1) <= 365:
        raise place.fail("waves.days", f"must be from 1 to 365, not {_shown(values['days'])}")
    for key in ("block_size", "nanp_block_size"):
        if values.get(key, 100) not in BLOCK_SIZES:
            raise place.fail(f"waves.{key}", f"must be one of 10, 100, 1000, 10000, not {_shown(values[key])}")
    return WaveRule(**values)


def _read_file(path: Path, explicit: bool) -> dict[str, Any]:
    if not path.exists():
        if explicit:
            raise ConfigError(f"config file not found: {path}")
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None


def load_settings(
    config_path: str | Path | None = None,
    *,
    db_path: str | Path | None = None,
    region: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings from the config file, the environment and explicit overrides.

    Every key and value is checked here, before any work: an unknown key (with the nearest
    known one), a value of the wrong type, out of range or meaningless (``nan``, an unknown
    region or time zone, a number that is not a number) raises ConfigError with one line
    naming the key and the file (or the environment variable)."""
    from scrapers.registry import source_names

    environ = os.environ if environ is None else environ
    explicit = config_path or _env(environ, "WHOCALLED_CONFIG")
    path = Path(explicit).expanduser() if explicit else default_config_path()
    data = _read_file(path, bool(explicit))
    place, env_place = _Place(f"config file {path}"), _Place("environment")
    place.known(data, TOP_KEYS)

    names = set(source_names())
    raw_sources = place.table(data.get("sources", {}), "sources")
    place.known(raw_sources, names, "sources.", "a source")
    env_sources = _source_env(environ, names, env_place)
    sources = {
        name: _source_config(name, place.table(raw_sources.get(name, {}), f"sources.{name}"),
                             env_sources.get(name, {}), place, env_place)
        for name in sorted(set(raw_sources) | set(env_sources))
    }

    if region:
        home = _Place("--region").region(region, "")
    elif _env(environ, "WHOCALLED_REGION"):
        home = env_place.region(environ["WHOCALLED_REGION"], "WHOCALLED_REGION")
    else:
        home = place.region(data.get("region", "US"), "region")
    env_own = _env(environ, "WHOCALLED_OWN_NUMBERS")
    if env_own:
        own = _own_numbers([p.strip() for p in env_own.split(",") if p.strip()], home, env_place, "WHOCALLED_OWN_NUMBERS")
    else:
        own = _own_numbers(data.get("own_numbers", []), home, place, "own_numbers")

    server = place.table(data.get("server", {}), "server")
    place.known(server, SERVER_KEYS, "server.")
    env_token = _env(environ, "WHOCALLED_SERVER_TOKEN")
    if env_token:
        token: str | None = env_place.token(env_token, "WHOCALLED_SERVER_TOKEN")
    else:
        token = place.token(server["token"], "server.token") if "token" in server else None
    max_connections = place.number(server.get("max_connections", 256), "server.max_connections", low=1, high=100_000)
    if max_connections != int(max_connections):
        raise place.fail("server.max_connections", f"must be a whole number, not {_shown(server['max_connections'])}")

    return Settings(
        region=home,
        own_numbers=own,
        timezone=_timezone(data.get("timezone"), place),
        deadline=place.number(data.get("deadline", 4.0), "deadline", positive=True, high=3600),
        screen_deadline=place.number(data.get("screen_deadline", 2.0), "screen_deadline", positive=True, high=60),
        user_agent=place.text(data.get("user_agent") or DEFAULT_USER_AGENT, "user_agent"),
        thresholds=_thresholds(data.get("thresholds", {}), place),
        waves=_waves(data.get("waves", {}), place),
        sources=sources,
        db_path=Path(db_path or _env(environ, "WHOCALLED_DB") or place.text(data.get("db", ""), "db") or default_db_path()).expanduser(),
        config_path=path,
        cnam_spam_prefix=place.text(data.get("cnam_spam_prefix", "SPAM"), "cnam_spam_prefix"),
        server_token=token,
        server_max_connections=int(max_connections),
        server_head_timeout=place.number(server.get("head_timeout", 10.0), "server.head_timeout", positive=True, high=3600),
    )
