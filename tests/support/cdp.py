"""A headless Chromium driven over the DevTools protocol through a pipe
(``--remote-debugging-pipe``: JSON messages ended by NUL on fds 3 and 4), so a test can
load pages, evaluate script, move the mouse, and see every console error, uncaught
exception and network request, with no WebSocket library and no port.

Every name resolves to nothing (``--host-resolver-rules``), and every request the page
makes is recorded: a test asserts there was none to a network address.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any

TIMEOUT_S = 60.0


class CdpError(RuntimeError):
    pass


class Browser:
    """One Chromium, one page (a target attached in flat mode)."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # out of the way of 3 and 4, the numbers the child gets them as (every other fd
        # of ours is close-on-exec, so close_fds=False passes these two only)
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_child_r, from_child_w)]
        for fd in (to_child_r, from_child_w):
            os.close(fd)

        def child() -> None:
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-default-apps",
             "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1280,900",
             f"--user-data-dir={profile}", "about:blank"],
            close_fds=False, preexec_fn=child, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in high:
            os.close(fd)
        self.wfd, self.rfd = to_child_w, from_child_r
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable", session=True)

    # the wire ---------------------------------------------------------------------------
    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                raise CdpError("Chromium did not answer in time")
            chunk = os.read(self.rfd, 1 << 20)
            if not chunk:
                raise CdpError("Chromium closed the pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict[str, Any] | None = None,
             session: bool = False) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self.wfd, json.dumps(message).encode("utf-8") + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            got = self._read(deadline)
            if got.get("id") == self.next_id:
                if "error" in got:
                    raise CdpError(f"{method}: {got['error']}")
                return got.get("result", {})
            if "method" in got:
                self.events.append(got)

    def wait_event(self, method: str) -> dict[str, Any]:
        """The next event ``method`` of the page (already received ones are consumed)."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for i, event in enumerate(self.events):
                if event["method"] == method and event.get("sessionId") == self.session \
                        and not event.get("_seen"):
                    event["_seen"] = True
                    return event
            got = self._read(deadline)
            if "method" in got:
                self.events.append(got)

    # the page ---------------------------------------------------------------------------
    def open(self, url: str, drawn: bool = True) -> None:
        """Load ``url`` afresh (about:blank first, so a new hash is a new load) and wait
        until the page says it has drawn (window.BB.ready), where ``drawn``."""
        for target in ("about:blank", url):
            for e in self.events:
                if e["method"] == "Page.loadEventFired":
                    e["_seen"] = True
            self.call("Page.navigate", {"url": target}, session=True)
            self.wait_event("Page.loadEventFired")
        if drawn:
            self.eval("window.BB.ready.then(() => true)")

    def eval(self, expression: str) -> Any:
        got = self.call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                             "returnByValue": True}, session=True)
        if "exceptionDetails" in got:
            raise CdpError(f"{expression[:80]}: {got['exceptionDetails']}")
        return got["result"].get("value")

    def move_mouse(self, x: float, y: float) -> None:
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y},
                  session=True)

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1},
                      session=True)

    # what the page did ------------------------------------------------------------------
    def errors(self) -> list[str]:
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                out.append(json.dumps(p.get("exceptionDetails", {}))[:300])
            elif e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error",
                                                                                  "assert"):
                out.append(json.dumps(p.get("args", []))[:300])
            elif e["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(p["entry"].get("text", "")[:300])
        return out

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (CdpError, OSError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.wfd, self.rfd):
            os.close(fd)


def screenshot(browser: Browser, path: Path) -> None:
    """The page as it looks now, as a PNG (a test artefact)."""
    import base64

    got = browser.call("Page.captureScreenshot", {"format": "png"}, session=True)
    path.write_bytes(base64.b64decode(got["data"]))
