"""Screening proven on a real SIP server (issue 17): Debian's Kamailio runs the README's
``examples/kamailio.cfg`` on 127.0.0.1 in front of a real ``whocalled serve``; INVITEs go in over
UDP and the test plays both the caller and the next hop the config routes calls on to.

Kamailio is installed by ``.ci/run``; without it the module skips with one line saying so.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from scrapers.registry import source_names

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "examples" / "kamailio.cfg"
BLOCKED = "+12025550143"
REPORTED = "+12025550177"
UNKNOWN = "+12025550188"
TIMEOUT = 2  # WHOCALLED_TIMEOUT given to Kamailio in these tests
# An Identity header as a SHAKEN carrier sends it: RFC 8588's example claims, a made-up signature
IDENTITY = (
    "eyJhbGciOiJFUzI1NiIsInBwdCI6InNoYWtlbiIsInR5cCI6InBhc3Nwb3J0IiwieDV1IjoiaHR0cHM6Ly9jZXJ0LmV4YW1wbGUub3JnL3Bhc3Nwb3J0LmNlciJ9"
    ".eyJhdHRlc3QiOiJBIiwiZGVzdCI6eyJ0biI6WyIxMjE1NTU1MTIxMyJdfSwiaWF0IjoxNDQzMjA4MzQ1LCJvcmlnIjp7InRuIjoiMTIxNTU1NTEyMTIifSwib3JpZ2lkIjoiMTIzZTQ1NjctZTg5Yi0xMmQzLWE0NTYtNDI2NjU1NDQwMDAwIn0"
    ".cmFuZG9tLXNpZ25hdHVyZS1ieXRlcw;info=<https://cert.example.org/passport.cer>;alg=ES256;ppt=shaken"
)

if shutil.which("kamailio") is None:
    pytest.skip("kamailio not installed: apt-get install kamailio (.ci/run does)", allow_module_level=True)


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, config: Path, db: Path) -> None:
    subprocess.run([sys.executable, "-c", "from lookup.cli import main; main()", *args,
                    "--config", str(config), "--db", str(db)], check=True, capture_output=True, timeout=60)


def invite_message(to_port: int, via_port: int, user: str, call_id: str, extra: str = "", display: str = "") -> bytes:
    """A new INVITE from ``user`` (the From user part, as a trunk sends it) to 127.0.0.1;
    ``display`` is the From display name (the caller name the trunk sent), quoted as given."""
    return (
        f"INVITE sip:home@127.0.0.1:{to_port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{via_port};branch=z9hG4bK{call_id[:12]};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: {display + ' ' if display else ''}<sip:{user}@trunk.example>;tag=caller\r\n"
        "To: <sip:home@127.0.0.1>\r\n"
        f"Call-ID: {call_id}\r\n"
        "CSeq: 1 INVITE\r\n"
        f"Contact: <sip:{user.split(';')[0]}@127.0.0.1:{via_port}>\r\n"
        + extra
        + "Content-Length: 0\r\n\r\n"
    ).encode()


class Peer:
    """One UDP SIP endpoint on 127.0.0.1: sends requests and keeps every message it receives."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]

    def invite(self, to_port: int, user: str, call_id: str, extra: str = "", display: str = "") -> bytes:
        return invite_message(to_port, self.port, user, call_id, extra, display)

    def send(self, data: bytes, port: int) -> None:
        self.sock.sendto(data, ("127.0.0.1", port))

    def wait_for(self, call_id: str, want: str, within: float) -> str | None:
        """The first message of this call starting with ``want`` within ``within`` seconds."""
        end = time.monotonic() + within
        while time.monotonic() < end:
            try:
                data, _ = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            text = data.decode(errors="replace")
            if f"Call-ID: {call_id}" in text and text.startswith(want):
                return text
        return None

    def close(self) -> None:
        self.sock.close()


def start_kamailio(tmp: Path, whocalled_port: int, next_hop: int) -> tuple[subprocess.Popen, int]:
    tmp.mkdir(parents=True, exist_ok=True)
    sip_port = free_port(socket.SOCK_DGRAM)
    command = [
        "kamailio", "-f", str(CONFIG), "-DD", "-E", "-Y", str(tmp), "-P", str(tmp / "kamailio.pid"),
        "-A", f"SIP_LISTEN=udp:127.0.0.1:{sip_port}",
        "-A", f'WHOCALLED_URL="http://127.0.0.1:{whocalled_port}"',
        "-A", f"WHOCALLED_TIMEOUT={TIMEOUT}",
        "-A", f'NEXT_HOP="sip:127.0.0.1:{next_hop}"',
    ]
    with open(tmp / "kamailio.log", "wb") as log:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    return proc, sip_port


def wait_ready(proc: subprocess.Popen, sip_port: int, callee: Peer, log: Path) -> None:
    """Kamailio is up once it routes a probe call on to the next hop."""
    probe = Peer()
    try:
        for _ in range(50):
            if proc.poll() is not None:
                pytest.fail("kamailio exited: " + log.read_text(errors="replace")[-2000:])
            call_id = uuid.uuid4().hex
            probe.send(probe.invite(sip_port, "probe", call_id), sip_port)
            if callee.wait_for(call_id, "INVITE", 0.2):
                return
        pytest.fail("kamailio never routed a call: " + log.read_text(errors="replace")[-2000:])
    finally:
        probe.close()


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def whocalled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``whocalled serve`` in its own process, offline, with one blocked and one reported number."""
    tmp = tmp_path_factory.mktemp("whocalled")
    config, db = tmp / "config.toml", tmp / "w.db"
    config.write_text("screen_deadline = 1.0\n" + "".join(f"[sources.{n}]\nenabled = false\n" for n in source_names()))
    run_cli("block", BLOCKED, "--reason", "kamailio test", config=config, db=db)
    run_cli("report", REPORTED, "--category", "robocall", config=config, db=db)
    run_cli("block", "--name", "*WARRANTY*", config=config, db=db)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from lookup.cli import main; main()", "serve", "--port", str(port),
         "--config", str(config), "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert b"serving on" in proc.stdout.readline()
        yield port
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def pbx(whocalled: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Peer]]:
    """Kamailio screening with whocalled; yields its SIP port and the next hop's endpoint."""
    tmp = tmp_path_factory.mktemp("kamailio")
    callee = Peer()
    proc, sip_port = start_kamailio(tmp, whocalled, callee.port)
    try:
        wait_ready(proc, sip_port, callee, tmp / "kamailio.log")
        yield sip_port, callee
    finally:
        stop(proc)
        callee.close()


@pytest.fixture
def caller() -> Iterator[Peer]:
    peer = Peer()
    yield peer
    peer.close()


def test_config_passes_kamailio_check() -> None:
    out = subprocess.run(["kamailio", "-c", "-f", str(CONFIG)], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "config file ok" in out.stdout + out.stderr


def test_readme_prints_the_tested_config() -> None:
    readme = (ROOT / "README.md").read_text()
    assert CONFIG.read_text().strip() in readme
    for module in ("tm", "sl", "pv", "textops", "siputils", "xlog", "http_client", "async"):
        assert f'loadmodule "{module}.so"' in readme


@pytest.mark.parametrize("user", [BLOCKED, f"{BLOCKED};verstat=TN-Validation-Passed"])
def test_blocked_caller_gets_603_within_2s(pbx, caller, user) -> None:
    sip_port, callee = pbx
    call_id = uuid.uuid4().hex
    started = time.monotonic()
    caller.send(caller.invite(sip_port, user, call_id), sip_port)
    reply = caller.wait_for(call_id, "SIP/2.0 603", 2.0)
    assert reply is not None, "no 603 Decline within 2 s"
    assert time.monotonic() - started < 2.0
    assert callee.wait_for(call_id, "INVITE", 0.3) is None  # the call never reached the next hop


def test_ack_to_the_decline_ends_the_call_there(pbx, caller) -> None:
    """The caller's ACK to the 603 is absorbed by the transaction: the 603 is not sent again and
    nothing reaches the next hop."""
    sip_port, callee = pbx
    call_id = uuid.uuid4().hex
    invite = caller.invite(sip_port, BLOCKED, call_id).decode()
    caller.send(invite.encode(), sip_port)
    reply = caller.wait_for(call_id, "SIP/2.0 603", 2.0)
    assert reply is not None
    to = next(line for line in reply.split("\r\n") if line.lower().startswith("to:"))
    head = invite.split("\r\n")
    ack = [line.replace("INVITE", "ACK") if line.startswith(("INVITE ", "CSeq:")) else line for line in head]
    ack = [to if line.startswith("To:") else line for line in ack]
    caller.send("\r\n".join(ack).encode(), sip_port)
    assert caller.wait_for(call_id, "SIP/2.0 603", 1.2) is None  # T1 = 0.5 s: a resend would have come
    assert callee.wait_for(call_id, "", 0.3) is None


def test_unknown_caller_is_routed_on_untouched(pbx, caller) -> None:
    sip_port, callee = pbx
    call_id = uuid.uuid4().hex
    caller.send(caller.invite(sip_port, UNKNOWN, call_id), sip_port)
    forwarded = callee.wait_for(call_id, "INVITE", 3.0)
    assert forwarded is not None, "the unknown caller was not routed on"
    assert f"sip:{UNKNOWN}@trunk.example" in forwarded
    assert "X-Whocalled" not in forwarded


def test_reported_caller_is_routed_on_with_a_warning(pbx, caller) -> None:
    sip_port, callee = pbx
    call_id = uuid.uuid4().hex
    caller.send(caller.invite(sip_port, REPORTED, call_id), sip_port)
    forwarded = callee.wait_for(call_id, "INVITE", 3.0)
    assert forwarded is not None, "the reported caller was not routed on"
    assert "X-Whocalled: warn" in forwarded


@pytest.mark.parametrize(
    ("user", "extra"),
    [
        pytest.param(f"{UNKNOWN};verstat=TN-Validation-Failed", "", id="from-user-part"),
        pytest.param(UNKNOWN, f"P-Asserted-Identity: <sip:{UNKNOWN}@ims.example.net;verstat=TN-Validation-Failed>\r\n",
                     id="pai-uri-parameter"),
    ],
)
def test_failed_stir_shaken_check_is_passed_on_and_warns(pbx, caller, user, extra) -> None:
    """The config sends P-Asserted-Identity (else From) along; whocalled finds its verstat."""
    sip_port, callee = pbx
    call_id = uuid.uuid4().hex
    caller.send(caller.invite(sip_port, user, call_id, extra), sip_port)
    forwarded = callee.wait_for(call_id, "INVITE", 3.0)
    assert forwarded is not None, "the caller was not routed on"
    assert "X-Whocalled: warn" in forwarded


@pytest.mark.parametrize("display", ['"CAR WARRANTY"', "Auto Warranty"])
def test_caller_name_on_the_block_list_gets_603(pbx, caller, display) -> None:
    """The config passes the From display name on (URL-encoded): a name pattern blocks an
    unknown number; with an Identity header in the URL too (a refused URL would fail open)."""
    sip_port, callee = pbx
    call_id = uuid.uuid4().hex
    extra = f"Identity: {IDENTITY}\r\n"
    caller.send(caller.invite(sip_port, UNKNOWN, call_id, extra, display=display), sip_port)
    assert caller.wait_for(call_id, "SIP/2.0 603", 2.0) is not None, "no 603 Decline for a blocked caller name"
    assert callee.wait_for(call_id, "INVITE", 0.3) is None


def test_carrier_spam_label_in_the_name_warns(pbx, caller) -> None:
    sip_port, callee = pbx
    call_id = uuid.uuid4().hex
    caller.send(caller.invite(sip_port, UNKNOWN, call_id, display='"SCAM LIKELY"'), sip_port)
    forwarded = callee.wait_for(call_id, "INVITE", 3.0)
    assert forwarded is not None and "X-Whocalled: warn" in forwarded


def test_sipsak_invite_from_blocked_number_gets_603(pbx, tmp_path) -> None:
    """The same check with sipsak, the tool a PBX owner would try the config with."""
    if shutil.which("sipsak") is None:
        pytest.skip("sipsak not installed: apt-get install sipsak (.ci/run does)")
    sip_port, callee = pbx
    call_id = uuid.uuid4().hex
    message = tmp_path / "invite.sip"
    message.write_bytes(invite_message(sip_port, free_port(socket.SOCK_DGRAM), BLOCKED, call_id))  # sipsak adds its own Via on top
    out = subprocess.run(["sipsak", "-vv", "-f", str(message), "-s", f"sip:home@127.0.0.1:{sip_port}"],
                         capture_output=True, text=True, timeout=15)
    assert "SIP/2.0 603 Decline" in out.stdout, out.stdout[-2000:] + out.stderr[-500:]
    assert callee.wait_for(call_id, "INVITE", 0.3) is None


class Stalled:
    """A listener that accepts every connection and never answers; counts the connections."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.sock.settimeout(0.1)
        self.running = True
        self.thread = threading.Thread(target=self.accept_all, daemon=True)
        self.thread.start()

    def accept_all(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted.append(conn)

    def close(self) -> None:
        self.running = False
        self.thread.join()
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.mark.parametrize("backend", ["stopped", "stalled"])
def test_call_goes_on_when_whocalled_is_down_or_stalled(tmp_path, caller, backend) -> None:
    """Fail open: the call reaches the next hop within the configured timeout, and the INVITE's
    retransmissions start no second lookup (the stalled listener sees one connection)."""
    stalled = Stalled() if backend == "stalled" else None
    port = stalled.port if stalled else free_port()  # nothing listens there: whocalled is stopped
    callee = Peer()
    proc, sip_port = start_kamailio(tmp_path / "kamailio", port, callee.port)
    try:
        if stalled is None:
            wait_ready(proc, sip_port, callee, tmp_path / "kamailio" / "kamailio.log")
        time.sleep(0.5 if stalled is None else 1.0)  # Kamailio up (with a stalled backend no probe can pass quickly)
        call_id = uuid.uuid4().hex
        invite = caller.invite(sip_port, UNKNOWN, call_id)
        before = len(stalled.accepted) if stalled else 0
        started = time.monotonic()
        caller.send(invite, sip_port)
        for _ in range(3):  # UDP retransmissions of the same INVITE (T1 = 0.5 s)
            time.sleep(0.5)
            caller.send(invite, sip_port)
        forwarded = callee.wait_for(call_id, "INVITE", TIMEOUT + 2.0)
        assert forwarded is not None, f"the call did not go on with whocalled {backend}"
        waited = time.monotonic() - started
        assert waited < TIMEOUT + 1.5
        if stalled:
            assert waited > TIMEOUT - 0.5  # it did wait for the stalled lookup, then gave up
            assert len(stalled.accepted) - before == 1, f"{len(stalled.accepted) - before} lookups for one call"
    finally:
        stop(proc)
        callee.close()
        if stalled:
            stalled.close()


def test_cancel_during_a_slow_lookup_stops_the_call(tmp_path, caller) -> None:
    """The caller hangs up while whocalled is still thinking: once the lookup gives up, the
    CANCEL gets 200, the INVITE ends with 487 and the call never reaches the next hop."""
    stalled = Stalled()
    callee = Peer()
    proc, sip_port = start_kamailio(tmp_path / "kamailio", stalled.port, callee.port)
    try:
        time.sleep(1.0)
        call_id = uuid.uuid4().hex
        invite = caller.invite(sip_port, UNKNOWN, call_id).decode()
        caller.send(invite.encode(), sip_port)
        time.sleep(0.5)
        cancel = [line.replace("INVITE", "CANCEL") if line.startswith(("INVITE ", "CSeq:")) else line
                  for line in invite.split("\r\n") if not line.startswith("Contact:")]
        caller.send("\r\n".join(cancel).encode(), sip_port)
        answers = [caller.wait_for(call_id, "SIP/2.0", TIMEOUT + 1.0) for _ in range(3)]
        statuses = {a.split(" ", 2)[1] for a in answers if a}
        assert {"200", "487"} <= statuses, f"answers after the CANCEL: {sorted(statuses)}"
        assert callee.wait_for(call_id, "INVITE", 1.0) is None
    finally:
        stop(proc)
        callee.close()
        stalled.close()
