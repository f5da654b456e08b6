"""The household page in a real browser: Debian's headless Chromium driven over the Chrome
DevTools Protocol (a WebSocket, through aiohttp: no extra packages).

The server is the real app on 127.0.0.1 in the test's event loop. The browser types a
number, submits, reads the verdict and reasons, clicks Block, and shows a scraped
comment holding ``<script>`` as text without running it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from db.store import Store
from lookup.engine import Engine
from lookup.models import Comment, Finding, ListKind, Status
from lookup.server.app import create_app
from lookup.settings import Settings

pytestmark = pytest.mark.browser

SPAM = "+12025550143"
SCRIPT_COMMENT = "<script>document.title='pwned'</script> rang twice, nobody there"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--remote-debugging-port=0",
]
WAIT = 15.0


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class DevTools:
    """A minimal CDP client: commands by id over the browser's WebSocket, flat sessions."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future] = {}
        self.reader = asyncio.ensure_future(self._read())
        self.session: str | None = None

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            future = self.waiting.pop(data.get("id", -1), None)
            if future is not None and not future.done():
                future.set_result(data)
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(ConnectionError("the browser closed the DevTools connection"))

    async def send(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False) -> dict[str, Any]:
        msg_id = next(self.ids)
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if self.session and not browser:
            message["sessionId"] = self.session
        future = asyncio.get_running_loop().create_future()
        self.waiting[msg_id] = future
        await self.ws.send_str(json.dumps(message))
        data = await asyncio.wait_for(future, WAIT)
        if "error" in data:
            raise RuntimeError(f"{method}: {data['error'].get('message')}")
        return data.get("result", {})

    async def open_page(self) -> None:
        target = await self.send("Target.createTarget", {"url": "about:blank"}, browser=True)
        attached = await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}, browser=True)
        self.session = attached["sessionId"]
        await self.send("Page.enable")

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    async def wait_for(self, expression: str) -> Any:
        """Poll ``expression`` until it is truthy (navigations destroy contexts: retry through them)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while True:
            try:
                value = await self.evaluate(f"document.readyState === 'complete' && ({expression})")
                if value:
                    return value
            except RuntimeError as exc:
                last = str(exc)
            else:
                last = f"{expression} stayed false"
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting: {last}")
            await asyncio.sleep(0.05)

    async def click(self, selector: str) -> None:
        box = await self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)}); el.scrollIntoView({{block: 'center'}});"
            " const r = el.getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"], "button": "left", "clickCount": 1})

    async def type_text(self, text: str) -> None:
        await self.send("Input.insertText", {"text": text})

    async def press_enter(self) -> None:
        key = {"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13}
        await self.send("Input.dispatchKeyEvent", {"type": "keyDown", "text": "\r", **key})
        await self.send("Input.dispatchKeyEvent", {"type": "keyUp", **key})

    async def close(self) -> None:
        try:
            await self.send("Browser.close", browser=True)
        except (RuntimeError, ConnectionError, asyncio.TimeoutError):
            pass  # the browser may be gone already; the process is killed below in any case
        self.reader.cancel()


async def start_chromium(binary: str, profile: Path) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    seen = []
    try:
        async with asyncio.timeout(30):
            while line := (await proc.stderr.readline()).decode(errors="replace"):
                seen.append(line)
                if line.startswith("DevTools listening on "):
                    asyncio.ensure_future(proc.stderr.read())  # keep draining so Chromium never blocks on a full pipe
                    return proc, line.split(" on ", 1)[1].strip()
    except TimeoutError:
        pass
    proc.kill()
    await proc.wait()
    raise AssertionError("Chromium did not start:\n" + "".join(seen[-20:]))


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "w.db") as s:
        s.save_findings(
            [
                Finding("shouldianswer_com", SPAM, Status.FOUND, spam=1.0, reports=80, comments=(Comment(SCRIPT_COMMENT, at="2026-01-05"),)),
                Finding("tellows", SPAM, Status.FOUND, spam=1.0, reports=40),
            ],
            lambda f: 30,
        )
        s.db["calls"].insert({"key": "c1", "e164": SPAM, "at": "2026-01-04T10:00:00+00:00", "direction": "incoming", "status": "missed", "silent": 1})
        yield s


async def test_browser_looks_up_blocks_and_never_runs_scraped_script(aiohttp_server, store, tmp_path) -> None:
    binary = find_chromium()
    if binary is None:
        pytest.skip("chromium not installed: apt-get install chromium chromium-driver")
    settings = Settings(region="US", deadline=2.0)
    server = await aiohttp_server(create_app(settings, store, Engine(store=store, settings=settings)), host="127.0.0.1")
    proc, ws_url = await start_chromium(binary, tmp_path / "profile")
    try:
        async with aiohttp.ClientSession() as session, session.ws_connect(ws_url, max_msg_size=0) as ws:
            tab = DevTools(ws)
            try:
                await tab.open_page()
                await tab.send("Page.navigate", {"url": str(server.make_url("/"))})
                await tab.wait_for("!!document.getElementById('n')")
                assert await tab.evaluate("document.title") == "whocalled"

                await tab.click("#n")
                await tab.type_text("(202) 555-0143")
                await tab.press_enter()
                await tab.wait_for("location.search.includes('n=') && !!document.getElementById('verdict')")
                verdict = await tab.evaluate("document.getElementById('verdict').innerText")
                assert verdict.startswith("likely spam")
                reasons = await tab.evaluate("[...document.querySelectorAll('#sources li')].map(li => li.innerText)")
                assert reasons == ["shouldianswer.com: 80 reports", "tellows: 40 reports"]  # site names, not ids
                assert "Do not call back" in await tab.evaluate("document.getElementById('callback').innerText")

                comments = await tab.evaluate("document.getElementById('comments').innerText")
                assert SCRIPT_COMMENT in comments  # shown as text, tags and all
                assert await tab.evaluate("document.scripts.length") == 0
                assert await tab.evaluate("document.title") == "whocalled"  # the script never ran

                await tab.click("#block")
                await tab.wait_for("location.search.includes('done=block')")
                assert await tab.evaluate("document.getElementById('notice').innerText") == f"Blocked {SPAM}."
                assert (await tab.evaluate("document.getElementById('verdict').innerText")).startswith("blocked (your block list)")
                assert store.get_list_entry(SPAM).kind is ListKind.BLOCK
            finally:
                await tab.close()
    finally:
        if proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), 5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
