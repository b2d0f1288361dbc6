"""A real browser for the black-box tests: headless Chromium driven over the
DevTools protocol by tests/browser/open_page.mjs (Node, chrome-remote-interface).

    chrome = browser.Chromium.start()      # one per test class
    page = chrome.open(url, 390)           # a dict: open_page.mjs's JSON
    chrome.stop()

Chromium (Debian's `chromium`) and the pinned npm packages
(tests/browser/node_modules) come from scripts/setup; when either is missing,
start() raises AssertionError saying so: a browser test never skips.

Every Chromium started here runs in a process group of its own, is stopped by
that group's id (stop(); the test classes call it as a class cleanup) and, as
a last resort, killed at exit; its profile is a fresh temp dir, removed after.
Every wait is bounded.

The checks a test makes of a page are plain functions returning what is wrong
(an empty list when nothing is), so a negative control can assert that they
do report a violating page: csp_violations(), foreign_requests(),
layout_problems().
"""

import atexit
import http.server
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER_DIR = os.path.normpath(os.path.join(HERE, "..", "browser"))
OPEN_PAGE = os.path.join(BROWSER_DIR, "open_page.mjs")
FLAGS_FILE = os.path.join(BROWSER_DIR, "chromium.flags")
NODE_MODULES = os.path.join(BROWSER_DIR, "node_modules")
CHROMIUM = os.environ.get("REPORTSHARE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
NODE = shutil.which("node") or "/usr/bin/node"

STARTUP_TIMEOUT = 20.0   # until DevToolsActivePort names the port
OPEN_TIMEOUT = 30.0      # one open_page.mjs run (it gives up by itself a little earlier)

MOBILE = 390             # the phone width of issue 11
DESKTOP = 1280

_live_groups = set()
_live_lock = threading.Lock()


def _kill_leftovers():
    with _live_lock:
        groups = list(_live_groups)
    for pgid in groups:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass


atexit.register(_kill_leftovers)


def chromium_flags():
    """The flags of tests/browser/chromium.flags (shared with tests/browser/shoot)."""
    with open(FLAGS_FILE) as f:
        return [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]


def check_prerequisites():
    """Raises AssertionError naming what is missing and how to get it."""
    missing = []
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        missing.append("Chromium (%s; Debian package chromium)" % CHROMIUM)
    if not (os.path.isfile(NODE) and os.access(NODE, os.X_OK)):
        missing.append("Node.js (node)")
    if not os.path.isfile(os.path.join(NODE_MODULES, "chrome-remote-interface", "package.json")):
        missing.append("the npm packages of tests/browser (%s)" % NODE_MODULES)
    if missing:
        raise AssertionError("the browser tests need %s: run scripts/setup" % "; ".join(missing))


class Chromium:
    """One headless Chromium with a DevTools port; open() runs open_page.mjs against it."""

    def __init__(self):
        self.proc = None
        self.port = None
        self.profile = None
        self._log = None

    @classmethod
    def start(cls):
        check_prerequisites()
        self = cls()
        self.profile = tempfile.mkdtemp(prefix="rs-chromium-")
        self._log = open(os.path.join(self.profile, "chromium.log"), "w+b")
        args = [CHROMIUM] + chromium_flags() + [
            "--remote-debugging-port=0", "--user-data-dir=" + os.path.join(self.profile, "profile"),
            "about:blank"]
        # Its own process group: Chromium's zygote and renderers go with it on
        # stop(). Its crash handlers (groups of their own) end with the browser;
        # XDG_CONFIG_HOME keeps their database in the temp dir, not in ~/.config.
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(self.profile, "config"))
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True, env=env)
        with _live_lock:
            _live_groups.add(self.proc.pid)
        try:
            self.port = self._wait_for_port()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_port(self):
        path = os.path.join(self.profile, "profile", "DevToolsActivePort")
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("chromium exited with %s before opening its DevTools port:\n%s"
                                     % (self.proc.returncode, self.log_tail()))
            try:
                with open(path) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[0].strip().isdigit():   # the port, then the browser's path
                    return int(lines[0])
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("chromium wrote no DevToolsActivePort within %ss:\n%s"
                             % (STARTUP_TIMEOUT, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, limit=3000):
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-limit:]

    def open(self, url, width, height=None, mobile=None, screenshot=None, evals=None, inject=(),
             timeout=OPEN_TIMEOUT):
        """Opens url at `width` CSS px in a fresh browser context and returns
        open_page.mjs's JSON as a dict (see that file for the keys). evals:
        {name: JS expression}, results under ["evals"]. Raises AssertionError
        when the page could not be opened or open_page.mjs failed."""
        if not self.alive():
            raise AssertionError("chromium is not running:\n" + self.log_tail())
        args = [NODE, OPEN_PAGE, "--port", str(self.port), "--url", url, "--width", str(width),
                "--timeout", str(int((timeout - 5) * 1000))]
        if height is not None:
            args += ["--height", str(height)]
        if mobile is not None:
            args.append("--mobile" if mobile else "--desktop")
        if screenshot:
            args += ["--screenshot", screenshot]
        for path in inject:
            args += ["--inject", path]
        for name, expression in (evals or {}).items():
            args += ["--eval", "%s=%s" % (name, expression)]
        try:
            proc = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=timeout, cwd=BROWSER_DIR)
        except subprocess.TimeoutExpired:
            raise AssertionError("open_page.mjs did not finish within %ss for %s" % (timeout, url))
        stderr = proc.stderr.decode("utf-8", "replace")
        try:
            result = json.loads(proc.stdout.decode("utf-8"))
        except ValueError:
            raise AssertionError("open_page.mjs (exit %s) printed no JSON for %s; stderr:\n%s"
                                 % (proc.returncode, url, stderr[-3000:]))
        if proc.returncode != 0 or "error" in result:
            raise AssertionError("open_page.mjs could not open %s at %d px (exit %s): %s\n%s"
                                 % (url, width, proc.returncode, result.get("error"), stderr[-3000:]))
        return result

    def stop(self):
        """SIGTERM to the process group, SIGKILL after 5 s; removes the profile."""
        if self.proc is not None:
            pgid = self.proc.pid
            try:
                os.killpg(pgid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            try:   # whatever of the group outlived the browser process
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            with _live_lock:
                _live_groups.discard(pgid)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.profile is not None:
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None


# --------------------------------------------------------------------------
# What a test checks of a page (each returns what is wrong; [] when nothing)
# --------------------------------------------------------------------------


class _ControlPagesHandler(http.server.BaseHTTPRequestHandler):
    pages = {}  # path → (Content-Security-Policy or None, HTML text); set per server

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path not in self.pages:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        csp, body = self.pages[path]
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if csp:
            self.send_header("Content-Security-Policy", csp)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def serve_control_pages(test_class, pages):
    """Serves `pages` ({path: (CSP header or None, HTML text)}) from a small
    local HTTP server for the negative controls of `test_class`, stopped as a
    class cleanup; returns its base URL ("http://127.0.0.1:PORT")."""
    handler = type("ControlPages", (_ControlPagesHandler,), {"pages": dict(pages)})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.timeout = 5
    test_class.addClassCleanup(httpd.server_close)
    test_class.addClassCleanup(httpd.shutdown)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return "http://127.0.0.1:%d" % httpd.server_address[1]

def origin_of(url):
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme, parts.hostname, port)


def csp_violations(result):
    """Every CSP violation Chromium reported (DevTools issue, log, console,
    securitypolicyviolation event)."""
    return list(result["csp_violations"])


def foreign_requests(result, page_url=None):
    """URLs of requests to another origin than page_url's (default: the page
    opened). data: URLs are the page's own bytes, not a request anywhere."""
    origin = origin_of(page_url or result["url"])
    return [r["url"] for r in result["requests"]
            if not r["url"].startswith("data:") and origin_of(r["url"]) != origin]


def layout_problems(result, width):
    """Horizontal scrolling, and a layout viewport that is not `width` wide
    (a page without a working meta viewport is laid out 980 px wide on a
    phone, where it would fit vacuously; a page too wide for it makes
    Chromium zoom out, so innerWidth grows)."""
    layout = result["layout"]
    problems = []
    if layout["scroll_width"] > layout["client_width"]:
        problems.append("horizontal scrolling: scrollWidth %d > clientWidth %d"
                        % (layout["scroll_width"], layout["client_width"]))
    if layout["client_width"] != width:
        problems.append("layout viewport %d px wide, not %d" % (layout["client_width"], width))
    if layout["inner_width"] != width:
        problems.append("window.innerWidth %d, not %d (zoomed out to fit)" % (layout["inner_width"], width))
    return problems


def describe(result, limit=3000):
    """A short account of a page run for a failure message."""
    keep = {k: result.get(k) for k in ("url", "status", "viewport", "lang", "dir", "computed_direction", "layout",
                                       "overflowing", "download_links", "pdf_links", "lang_links", "requests",
                                       "csp_violations", "exceptions", "warnings")}
    keep["log"] = result.get("log", [])[:10]
    text = json.dumps(keep, indent=1, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."
