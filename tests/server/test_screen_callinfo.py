"""The caller name and the SIP Identity header on ``/api/v1/screen`` and ``/cnam`` (issue 17):
blocked name patterns, carrier spam labels, names that disagree with a contact, and the
PASSporT's claims. Real aiohttp client and server on 127.0.0.1, a real SQLite store, the real
engine with no sources."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from urllib.parse import quote

import pytest

from db.store import Store
from lookup.callinfo import NameBlock
from lookup.models import ListEntry, ListKind
from lookup.server.app import create_app
from tests.server.test_server import NAMED, SPAM, engine, get_json, settings, store  # noqa: F401

STRANGER = "+13125550142"  # nothing known: score 0, allowed
CONTACT = "+13125550177"  # imported from the address book as "Dr Smith Dental"


@pytest.fixture
async def client(store, settings, engine, aiohttp_client):
    """The server, started after a name pattern and a contact were stored."""
    store.add_name_block(NameBlock("*WARRANTY*", reason="car warranty calls"))
    store.add_list_entry(ListEntry(CONTACT, ListKind.ALLOW, reason="Dr Smith Dental", origin="contacts"))
    return await aiohttp_client(create_app(settings, store, engine))


def reasons(body: dict, prefix: str = "") -> dict[str, dict]:
    return {r["signal"]: r for r in body["reasons"] if r["signal"].startswith(prefix)}


# ---------------------------------------------------------------- caller name


@pytest.mark.parametrize("name", ["CAR WARRANTY", "Auto warranty dept", '"VEHICLE WARRANTY"'])
async def test_a_blocked_name_pattern_blocks_the_call(client, name) -> None:
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?name={quote(name)}")
    assert body["action"] == "block" and body["verdict"] == "likely_spam"
    assert "matches your blocked name *WARRANTY* (car warranty calls)" in body["reason"]
    assert reasons(body)["name_blocked"]["weight"] == 70
    assert body["name_sent"] == name.strip('"')
    cnam = await client.get(f"/cnam/{STRANGER}?name={quote(name)}")
    assert (await cnam.text()).startswith("SPAM ")


async def test_without_the_name_or_with_another_the_call_goes_through(client) -> None:
    plain = await get_json(client, f"/api/v1/screen/{STRANGER}")
    assert plain["action"] == "allow" and "name_sent" not in plain
    other = await get_json(client, f"/api/v1/screen/{STRANGER}?name=JANE%20DOE")
    assert other["action"] == "allow" and not reasons(other, "name_")


async def test_your_allowlist_wins_over_a_blocked_name(client) -> None:
    body = await get_json(client, f"/api/v1/screen/{CONTACT}?name=WARRANTY%20DEPT")
    assert body["action"] == "allow" and body["verdict"] == "allowed"
    assert "name_blocked" in reasons(body)  # shown, but the allowlist decides


@pytest.mark.parametrize(
    ("name", "signal", "points", "action"),
    [
        pytest.param("SCAM LIKELY", "name_label_fraud", 45, "warn", id="scam-likely"),
        pytest.param("Spam Risk", "name_label_spam", 35, "warn", id="spam-risk-any-case"),
        pytest.param("POTENTIAL SPAM 3125550142", "name_label_spam", 35, "warn", id="label-then-number"),
        pytest.param("Telemarketer", "name_label_nuisance", 20, "allow", id="telemarketer-weak"),
    ],
)
async def test_carrier_spam_labels_weigh_as_documented(client, name, signal, points, action) -> None:
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?name={quote(name)}")
    assert body["action"] == action
    assert reasons(body)[signal]["weight"] == points and body["score"] == points


async def test_a_label_adds_to_what_is_known(client) -> None:
    """A suspicious name on a number sources already call spam keeps it blocked, and the name
    "SPAMALOT" is no label (the whole word must match)."""
    body = await get_json(client, f"/api/v1/screen/{SPAM}?name=SCAM%20LIKELY")
    assert body["action"] == "block" and "name_label_fraud" in reasons(body)
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?name=SPAMALOT%20THEATRE")
    assert body["action"] == "allow" and not reasons(body, "name_label")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        pytest.param("JOHN DOE", True, id="another-name"),
        pytest.param("DR SMITH", False, id="same-name-cut-short"),
        pytest.param("SMITH DENTAL CLINIC", False, id="shares-a-word"),
        pytest.param("WIRELESS CALLER", False, id="generic"),
        pytest.param("CHICAGO IL", False, id="city-and-state"),
    ],
)
async def test_a_name_that_disagrees_with_your_contact_is_shown(client, name, shown) -> None:
    body = await get_json(client, f"/api/v1/screen/{CONTACT}?name={quote(name)}")
    assert body["action"] == "allow"
    mismatch = reasons(body).get("name_mismatch")
    assert (mismatch is not None) is shown
    if shown:
        assert mismatch["weight"] == 0
        assert mismatch["detail"] == f'The caller\'s name "{name}" is not your contact "Dr Smith Dental" for this number.'


async def test_the_name_is_cleaned_and_cut(client) -> None:
    raw = "ACME\x1b[31m\u202eSALES\n" + "X" * 200
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?name={quote(raw)}")
    sent = body["name_sent"]
    assert sent.startswith("ACME [31m SALES X") and len(sent) <= 60
    assert not any(ch in sent for ch in "\x1b\u202e\n")


async def test_cnam_keeps_the_trunks_name_when_nothing_better_is_known(client) -> None:
    resp = await client.get(f"/cnam/{STRANGER}?name={quote('Jane Doe')}")
    assert resp.status == 200 and await resp.text() == "Jane Doe"
    unnamed = await client.get(f"/cnam/{STRANGER}")
    assert await unnamed.text() != "Jane Doe"  # where the number is from, as before
    known = await client.get(f"/cnam/{NAMED}?name={quote('Someone Else')}")  # a source names it
    assert "Dr Smith" in await known.text()


async def test_a_pattern_blocked_while_the_server_runs_applies(client, settings, tmp_path) -> None:
    """Another connection (the command line) blocks a name: screens apply it within a few seconds."""
    with Store(tmp_path / "w.db") as other:
        other.add_name_block(NameBlock("*SOLAR*"))
    ends = time.monotonic() + 5
    while True:
        body = await get_json(client, f"/api/v1/screen/{STRANGER}?name=SOLAR%20SAVINGS")
        if body["action"] == "block" or time.monotonic() > ends:
            break
        await asyncio.sleep(0.2)
    assert body["action"] == "block"


# ---------------------------------------------------------------- Identity header (RFC 8224)


def b64(obj: object) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


PASSPORT_HEADER = {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": "https://cert.example.org/passport.cer"}


def identity(attest: str = "A", orig: str = STRANGER.lstrip("+"), **extra) -> str:
    """An Identity header as a SHAKEN carrier sends it (RFC 8588's claims; the signature is
    random bytes: whocalled never checks it)."""
    payload = {"attest": attest, "dest": {"tn": ["13125550100"]}, "iat": 1794795240, "orig": {"tn": orig},
               "origid": "123e4567-e89b-12d3-a456-426655440000", **extra}
    token = f"{b64(PASSPORT_HEADER)}.{b64(payload)}.{b64(os.urandom(64))}"
    return f"{token};info=<https://cert.example.org/passport.cer>;alg=ES256;ppt=shaken"


async def test_identity_attestation_is_shown_and_weighs_nothing(client) -> None:
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?identity={quote(identity('A'))}")
    assert body["action"] == "allow" and body["score"] == 0
    assert body["identity"] == {"attest": "A", "orig_tn": STRANGER.lstrip("+"), "error": None}
    shown = reasons(body, "identity")
    assert set(shown) == {"identity_attest"}  # orig.tn is the screened number
    assert "attestation A" in shown["identity_attest"]["detail"] and "signature not checked" in shown["identity_attest"]["detail"]


async def test_a_verstat_from_the_carrier_outranks_the_identity_header(client) -> None:
    query = f"verstat=TN-Validation-Failed&identity={quote(identity('A'))}"
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?{query}")
    assert body["action"] == "warn" and body["attestation"]["verstat"] == "TN-Validation-Failed"
    assert "the carrier's verstat decides" in reasons(body)["identity_attest"]["detail"]


async def test_identity_signed_for_another_number_is_shown(client) -> None:
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?identity={quote(identity('C', orig='12025550188'))}")
    other = reasons(body)["identity_other_number"]
    assert other["weight"] == 0 and other["detail"] == f"The call's Identity header was signed for +12025550188, not for {STRANGER}."


@pytest.mark.parametrize(
    ("header", "why"),
    [
        pytest.param("garbage", "not a PASSporT", id="not-a-jwt"),
        pytest.param(f"{b64(PASSPORT_HEADER)}..{b64(b'sig')};info=<https://x.example/c.cer>", "compact form", id="compact"),
        pytest.param(f"{b64(PASSPORT_HEADER)}.%%%not-base64%%%.{b64(b'sig')}", "not base64url JSON", id="bad-base64"),
        pytest.param(f"{b64(PASSPORT_HEADER)}.{b64([1, 2])}.{b64(b'sig')}", "not base64url JSON", id="payload-not-object"),
        pytest.param(f"{b64(PASSPORT_HEADER)}.{b64({'attest': 'Z', 'orig': {'tn': 'x'}})}.{b64(b'sig')}",
                     "neither an attestation", id="claims-of-no-use"),
        pytest.param(identity() + "A" * 5000, "longer than 4096", id="huge"),
    ],
)
async def test_an_unreadable_identity_header_is_shown_and_ignored(client, header, why) -> None:
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?identity={quote(header)}")
    assert body["action"] == "allow" and body["score"] == 0
    assert why in body["identity"]["error"]
    assert why in reasons(body)["identity_unread"]["detail"]
    resp = await client.get(f"/cnam/{STRANGER}?identity={quote(header)}")
    assert resp.status == 200 and await resp.text()


async def test_name_and_identity_reach_cnam_together(client) -> None:
    query = f"name={quote('CAR WARRANTY')}&identity={quote(identity('B'))}&attest=B"
    resp = await client.get(f"/cnam/{STRANGER}?{query}")
    assert resp.status == 200 and await resp.text() == "SPAM CAR WARRANTY"
