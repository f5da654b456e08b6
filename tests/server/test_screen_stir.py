"""STIR/SHAKEN on ``/api/v1/screen`` and ``/cnam`` (issue 17): the carrier's verstat wherever it
arrives, the attestation level, their weight in the verdict and their JSON reason. Real aiohttp
client and server on 127.0.0.1, a real SQLite store, the real engine with no sources."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from lookup.models import Category, ListEntry, ListKind, Report
from tests.server.test_server import SPAM, client, engine, get_json, settings, store  # noqa: F401

STRANGER = "+13125550142"  # nothing known, not a neighbour of the own number: score 0

FAILED_REASON = "The carrier's caller ID check failed"


@pytest.mark.parametrize(
    ("query", "verstat", "attest"),
    [
        pytest.param("verstat=TN-Validation-Failed", "TN-Validation-Failed", None, id="verstat"),
        pytest.param("verstat=tn-validation-failed-b", "TN-Validation-Failed", "B", id="verstat-any-case-with-level"),
        pytest.param("pai=" + quote("<sip:+19195550123@sip.example.com;verstat=TN-Validation-Failed>"),
                     "TN-Validation-Failed", None, id="pai-uri-parameter"),
        pytest.param("pai=" + quote("<sip:+16315550123;verstat=TN-Validation-Failed@ims.example.net>;tag=x"),
                     "TN-Validation-Failed", None, id="pai-user-part"),
    ],
)
async def test_failed_validation_warns_with_its_reason(client, query, verstat, attest) -> None:
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?{query}")
    assert body["action"] == "warn" and body["verdict"] == "suspicious"
    assert body["reason"].startswith(FAILED_REASON)
    assert body["attestation"] == {"verstat": verstat, "attest": attest}


@pytest.mark.parametrize(
    ("query", "verstat", "attest", "words"),
    [
        pytest.param("verstat=TN-Validation-Passed-A", "TN-Validation-Passed", "A", "verified", id="passed-A"),
        pytest.param("verstat=TN-Validation-Passed&attest=a", "TN-Validation-Passed", "A", "verified", id="passed-attest-A"),
        pytest.param("pai=" + quote("<sip:+19195550123@sip.example.com;verstat=TN-Validation-Passed-C>"),
                     "TN-Validation-Passed", "C", "did not vouch", id="pai-passed-C"),
        pytest.param("pai=" + quote("<sip:+16315550123;verstat=TN-Validation-Passed@ims.example.net>"),
                     "TN-Validation-Passed", None, "did not vouch", id="pai-user-part-passed"),
        pytest.param("verstat=No-TN-Validation", "No-TN-Validation", None, "not verified", id="no-validation"),
        pytest.param("attest=C", None, "C", "not verified", id="attest-alone"),
    ],
)
async def test_other_attestations_are_shown_and_weigh_nothing(client, query, verstat, attest, words) -> None:
    """Passed-A is not a clean bill: an unknown number stays unknown (and a spammer's stays blocked)."""
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?{query}")
    assert body["action"] == "allow" and body["verdict"] == "unknown"
    assert body["attestation"] == {"verstat": verstat, "attest": attest}
    looked = await get_json(client, f"/api/v1/screen/{SPAM}?{query}")
    assert looked["action"] == "block" and looked["verdict"] == "likely_spam"


async def test_without_attestation_nothing_changes(client) -> None:
    body = await get_json(client, f"/api/v1/screen/{STRANGER}")
    assert body["action"] == "allow" and "attestation" not in body


async def test_your_allowlist_wins_over_a_failed_validation(client, store) -> None:
    store.add_list_entry(ListEntry(STRANGER, ListKind.ALLOW, reason="the school"))
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?verstat=TN-Validation-Failed")
    assert body["action"] == "allow" and body["verdict"] == "allowed"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        pytest.param("verstat=TN-Validation-Maybe", "verstat must be one of", id="unknown-verstat"),
        pytest.param("verstat=TN-Validation-Passed-D", "verstat must be one of", id="unknown-level"),
        pytest.param("attest=D", "attest must be A, B or C", id="unknown-attest"),
    ],
)
async def test_bad_attestation_is_refused_in_one_line(client, query, words) -> None:
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?{query}", status=400)
    assert words in body["error"] and "\n" not in body["error"]
    resp = await client.get(f"/api/v1/screen/{STRANGER}?{query}&format=text")
    assert resp.status == 400 and (await resp.text()).startswith(f"error: {words}")
    resp = await client.get(f"/cnam/{STRANGER}?{query}")
    assert resp.status == 400 and await resp.text() == ""


async def test_cnam_takes_the_attestation_into_account(client, store) -> None:
    """A number that is suspicious on its own (the user's report) becomes likely spam when the
    carrier says its caller ID check failed, and /cnam marks it."""
    store.add_report(Report(STRANGER, Category.ROBOCALL))
    plain = await client.get(f"/cnam/{STRANGER}")
    assert plain.status == 200 and not (await plain.text()).startswith("SPAM")
    failed = await client.get(f"/cnam/{STRANGER}?verstat=TN-Validation-Failed")
    assert failed.status == 200 and (await failed.text()).startswith("SPAM ")


ASTERISK_CALLS = {
    "${URIENCODE(${CALLERID(num)})}": quote(STRANGER),
    "${STIR_SHAKEN(0,attestation)}": "A",
    "${URIENCODE(${STIR_SHAKEN(0,verify_result)})}": quote("Verification passed"),
    "${URIENCODE(${CALLERID(name)})}": quote("CAR WARRANTY"),
}


def asterisk_urls(readme: str, context: str = "[from-trunk-screened]") -> list[str]:
    """The paths a dialplan snippet of the README (Asterisk's, FreePBX's) asks whocalled for,
    with the dialplan's functions replaced by what Asterisk would put there and its ``WC_ASK``
    variable expanded."""
    start = readme.index(context)
    snippet = readme[start:readme.index("```", start)]
    for call, value in ASTERISK_CALLS.items():
        snippet = snippet.replace(call, value)
    for name, value in re.findall(r"Set\((WC_ASK)=([^)]*)\)\n", snippet):
        snippet = snippet.replace("${" + name + "}", value)
    return re.findall(r"\$\{CURL\(\$\{WC\}([^)]*)\)\}", snippet)


@pytest.mark.parametrize(("context", "attest"), [("[from-trunk-screened]", True), ("[whocalled-screen]", False)])
async def test_the_readme_dialplan_snippets_ask_what_the_api_accepts(client, context, attest) -> None:
    """Asterisk is not packaged in Debian: the Asterisk and FreePBX snippets are at least
    checked against the API: every URL answers 200, and the caller name they pass on arrives."""
    urls = asterisk_urls((Path(__file__).resolve().parents[2] / "README.md").read_text(), context)
    screens = [u for u in urls if u.startswith("/api/v1/screen/")]
    assert screens and any(u.startswith("/cnam/") for u in urls)
    assert all("format=text" in u and "name=CAR%20WARRANTY" in u and ("attest=A" in u) is attest for u in screens)
    for url in urls:
        assert "$" not in url, f"a dialplan call the test does not know: {url}"
        resp = await client.get(url)
        assert resp.status == 200, (url, await resp.text())
        if url.startswith("/api/v1/screen/"):
            assert await resp.text() == "allow"
        else:
            assert await resp.text() == "CAR WARRANTY"  # the trunk's name, given back


# The verify_result strings are Asterisk's own: stir_shaken_verification_result_to_string() in the
# first res_stir_shaken (16.15 to 20.6) and vs_rc_map in res/res_stir_shaken/verification.c of the
# rewritten module (18.22, 20.7, 21.2 on), read in the asterisk/asterisk repository.
@pytest.mark.parametrize(("verify", "signal", "verstat"), [
    ("Verification passed", "stir_passed", "TN-Validation-Passed"),  # Asterisk 16.15 to 20.6
    ("Signature failed", "stir_failed", "TN-Validation-Failed"),
    ("Verification mismatch", "stir_failed", "TN-Validation-Failed"),
    ("success", "stir_passed", "TN-Validation-Passed"),  # the rewritten module, 18.22 / 20.7 / 21.2 on
    ("signature_validation", "stir_failed", "TN-Validation-Failed"),
    ("cid_orig_tn_mismatch", "stir_failed", "TN-Validation-Failed"),
    ("missing_identity_hdr", None, "No-TN-Validation"),
    ("cert_retrieval_failure", None, "No-TN-Validation"),  # the PBX could not check: nothing said
])
async def test_asterisks_verify_result_counts_as_the_verstat_it_amounts_to(client, verify, signal, verstat) -> None:
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?attest=A&verify={quote(verify)}")
    assert body["attestation"] == {"verstat": verstat, "attest": "A"}
    signals = {r["signal"] for r in body["reasons"]}
    assert (signal in signals) if signal else not signals & {"stir_passed", "stir_failed"}
    assert (body["action"] != "allow") is (signal == "stir_failed")


async def test_the_carriers_verstat_outranks_asterisks_verify_result(client) -> None:
    body = await get_json(client, f"/api/v1/screen/{STRANGER}?verstat=TN-Validation-Passed-A&verify=signature_validation")
    assert body["attestation"]["verstat"] == "TN-Validation-Passed" and body["action"] == "allow"


async def test_an_unknown_verify_result_is_a_one_line_400(client) -> None:
    resp = await client.get(f"/api/v1/screen/{STRANGER}?verify=looks%20fine")
    assert resp.status == 400
    assert "verify is not a result" in (await resp.json())["error"]
