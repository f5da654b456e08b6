"""Settings: every key and value of the config file and the environment is checked at load.

A bad one is refused with one line naming the key and the file (or the variable); through
the CLI that line is all the user sees, with exit code 2, before any work is done.
"""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from lookup.cli import app
from lookup.settings import ConfigError, Settings
from lookup.settings_load import check_token, load_settings

GOOD = """\
region = "gb"
own_numbers = ["020 7946 0958"]
timezone = "Europe/London"
deadline = 3.5
screen_deadline = 1.5

[thresholds]
likely_spam = 70
suspicious = 20
likely_ok = -10

[sources.tellows]
enabled = false
rate = 0.5
ttl_days = 7
api_key = "secret"
key_is_md5 = true

[sources.phonespamfilter_com]
base_url_gb = "http://127.0.0.1:9/"

[server]
token = "0123456789abcdef"
max_connections = 50
head_timeout = 2.5
"""

# (config text, the key the refusal must name, a word of the reason)
BAD_FILES = [
    ("[thresholds]\nlikely_spam = nan", "thresholds.likely_spam", "finite"),
    ('server = "x"', "server", "table"),
    ("timezone = 5", "timezone", "string"),
    ("deadline = nan", "deadline", "finite"),
    ("deadline = inf", "deadline", "finite"),
    ("deadline = -1", "deadline", "more than 0"),
    ("screen_deadline = 0", "screen_deadline", "more than 0"),
    ("deadline = 1e308", "deadline", "at most 3600"),
    ("screen_deadline = 61", "screen_deadline", "at most 60"),
    ("[sources.tellows]\nrate = 1e9", "sources.tellows.rate", "at most 1000"),
    ("[server]\nmax_connections = 1e12", "server.max_connections", "at most 100000"),
    ("deadline = true", "deadline", "number"),
    ("[sources.tellows]\nrate = 0", "sources.tellows.rate", "more than 0"),
    ("[sources.tellows]\nttl_days = -3", "sources.tellows.ttl_days", "at least 0"),
    ('[sources.tellows]\nbase_url = "ftp://x"', "sources.tellows.base_url", "http"),
    ("[sources.tellows]\nenabled = 3", "sources.tellows.enabled", "true or false"),
    ("[server]\ntoken = 5", "server.token", "string"),
    ('[server]\ntoken = "a"', "server.token", "16 characters"),
    ('[server]\ntokn = "0123456789abcdef"', "server.tokn", "server.token"),
    ("[server]\nmax_connections = 0", "server.max_connections", "at least 1"),
    ("[server]\nmax_connections = 2.5", "server.max_connections", "whole"),
    ("[server]\nhead_timeout = nan", "server.head_timeout", "finite"),
    ('regoin = "US"', "regoin", "did you mean region"),
    ("[thresholds]\nlikly_spam = 50", "thresholds.likly_spam", "thresholds.likely_spam"),
    ("[sources.nosuch]\nenabled = true", "sources.nosuch", "not a source"),
    ("[sources.tellows]\nenabeld = true", "sources.tellows.enabeld", "sources.tellows.enabled"),
    ('sources = "tellows"', "sources", "table"),
    ("[sources]\ntellows = 1", "sources.tellows", "table"),
    ('region = "XX"', "region", "country code"),
    ('region = "United Kingdom"', "region", "country code"),
    ("region = 44", "region", "string"),
    ("[thresholds]\nlikely_spam = 10\nsuspicious = 30", "thresholds", "rise"),
    ("[thresholds]\nlikely_ok = 40", "thresholds", "rise"),
    ('own_numbers = ["not a number"]', "own_numbers", "not a number"),
    ('own_numbers = ["911"]', "own_numbers", "not a full phone number"),
    ("own_numbers = [5]", "own_numbers", "list of phone numbers"),
    ('timezone = "Mars/Olympus_Mons"', "timezone", "time zone"),
    ('timezone = "../../etc/passwd"', "timezone", "time zone"),
    ("thresholds = 3", "thresholds", "table"),
    ("cnam_spam_prefix = 1", "cnam_spam_prefix", "string"),
]

BAD_ENVIRONMENT = [
    ({"WHOCALLED_SOURCE_TELLOWS_ENABLED": "maybe"}, "WHOCALLED_SOURCE_TELLOWS_ENABLED", "true or false"),
    ({"WHOCALLED_SOURCE_NOSUCH_ENABLED": "1"}, "WHOCALLED_SOURCE_NOSUCH_ENABLED", "no source"),
    ({"WHOCALLED_SOURCE_TELLOWS_ENABELD": "1"}, "WHOCALLED_SOURCE_TELLOWS_ENABELD", "no field"),
    ({"WHOCALLED_SOURCE_TELLOWS_RATE": "nan"}, "WHOCALLED_SOURCE_TELLOWS_RATE", "finite"),
    ({"WHOCALLED_SOURCE_TELLOWS_RATE": "fast"}, "WHOCALLED_SOURCE_TELLOWS_RATE", "number"),
    ({"WHOCALLED_REGION": "XX"}, "WHOCALLED_REGION", "country code"),
    ({"WHOCALLED_OWN_NUMBERS": "+12025550100,bogus"}, "WHOCALLED_OWN_NUMBERS", "bogus"),
    ({"WHOCALLED_SERVER_TOKEN": "short"}, "WHOCALLED_SERVER_TOKEN", "16 characters"),
]


def write(tmp_path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_config_loads_with_every_value(tmp_path) -> None:
    path = write(tmp_path, GOOD)
    s = load_settings(path, environ={"WHOCALLED_SOURCE_TELLOWS_NOT_FOUND_TTL_DAYS": "2",
                                     "WHOCALLED_SOURCE_PHONEBLOCK_NET_ENABLED": "yes"})
    assert s.region == "GB" and s.own_e164 == ("+442079460958",) and s.timezone == "Europe/London"
    assert (s.deadline, s.screen_deadline) == (3.5, 1.5)
    assert (s.thresholds.likely_spam, s.thresholds.suspicious, s.thresholds.likely_ok) == (70, 20, -10)
    tellows = s.source("tellows")
    assert (tellows.enabled, tellows.rate, tellows.ttl_days, tellows.not_found_ttl_days) == (False, 0.5, 7.0, 2.0)
    assert tellows.options == {"key_is_md5": True}
    assert s.source("phonespamfilter_com").options == {"base_url_gb": "http://127.0.0.1:9/"}
    assert s.source("phoneblock_net").enabled is True
    assert (s.server_token, s.server_max_connections, s.server_head_timeout) == ("0123456789abcdef", 50, 2.5)


def test_an_empty_file_gives_the_defaults_and_a_missing_one_is_refused(tmp_path) -> None:
    s = load_settings(write(tmp_path, ""), environ={})
    assert (s.region, s.deadline, s.server_token) == ("US", 4.0, None)
    assert s.server_max_connections == Settings().server_max_connections
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "none.toml", environ={})


@pytest.mark.parametrize(("text", "key", "why"), BAD_FILES, ids=[b[1] + "-" + b[2].replace(" ", "_") for b in BAD_FILES])
def test_a_bad_config_value_is_refused_naming_key_and_file(tmp_path, text: str, key: str, why: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    message = str(info.value)
    assert "\n" not in message
    assert f"config file {path}: {key} " in message, message
    assert why in message, message


@pytest.mark.parametrize(("env", "key", "why"), BAD_ENVIRONMENT, ids=[b[1] for b in BAD_ENVIRONMENT])
def test_a_bad_environment_variable_is_refused_naming_it(tmp_path, env: dict, key: str, why: str) -> None:
    path = write(tmp_path, "")
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ=env)
    message = str(info.value)
    assert message.startswith(f"environment: {key} ") and why in message, message


def test_region_option_is_checked_too(tmp_path) -> None:
    with pytest.raises(ConfigError, match="--region must be a two-letter country code"):
        load_settings(write(tmp_path, ""), region="XX", environ={})
    assert load_settings(write(tmp_path, ""), region="de", environ={}).region == "DE"


def test_token_needs_sixteen_characters() -> None:
    with pytest.raises(ConfigError, match="--token must be at least 16 characters"):
        check_token("a")
    with pytest.raises(ConfigError):
        check_token(" " * 20)
    assert check_token("0123456789abcdef") == "0123456789abcdef"


def test_not_a_number_is_never_a_threshold(tmp_path) -> None:
    """nan compares false with everything: a nan threshold would make every verdict 'unknown'."""
    for text in ("[thresholds]\nsuspicious = nan", "[thresholds]\nlikely_ok = -inf"):
        with pytest.raises(ConfigError, match="finite"):
            load_settings(write(tmp_path, text), environ={})
    assert not math.isnan(load_settings(write(tmp_path, ""), environ={}).thresholds.suspicious)


# ---------------------------------------------------------------- through the CLI

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "args", "key"),
    [
        ("[thresholds]\nlikly_spam = 50\n", ("lists",), "thresholds.likly_spam"),
        ('region = "United Kingdom"\n', ("lookup", "--offline", "+12025550143"), "region"),
        ("deadline = nan\n", ("serve", "--port", "1"), "deadline"),
        ('[server]\ntoken = "a"\n', ("serve", "--port", "1"), "server.token"),
    ],
    ids=["lists", "lookup", "serve-deadline", "serve-token"],
)
def test_cli_refuses_a_bad_config_in_one_line_with_exit_2(tmp_path, text: str, args: tuple, key: str) -> None:
    path = write(tmp_path, text)
    db = tmp_path / "w.db"
    result = runner.invoke(app, [*args, "--config", str(path), "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{path}: {key} " in lines[0], lines
    assert not db.exists(), "nothing may be done before the config is accepted"


def test_serve_refuses_a_short_token_option(tmp_path) -> None:
    result = runner.invoke(app, ["serve", "--token", "a", "--port", "1", "--config", str(write(tmp_path, "")),
                                 "--db", str(tmp_path / "w.db")])
    assert result.exit_code == 2
    assert result.stderr.strip() == "whocalled: --token must be at least 16 characters (try: openssl rand -hex 16)"


def test_cli_refuses_a_bad_environment_variable(tmp_path) -> None:
    result = runner.invoke(app, ["lists", "--config", str(write(tmp_path, "")), "--db", str(tmp_path / "w.db")],
                           env={"WHOCALLED_SOURCE_TELLOWS_ENABLED": "maybe"})
    assert result.exit_code == 2
    assert "WHOCALLED_SOURCE_TELLOWS_ENABLED must be true or false" in result.stderr
