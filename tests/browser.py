"""A JupyterLab server and a headless Chromium for the browser tests.

JupyterLab runs from the project environment on loopback with a random token, its runtime, config,
settings and workspace directories in the test's own directory, and two settings that keep a modal
"Select Kernel" dialog from swallowing clicks (start the notebook's kernel automatically; no news toast
over the screenshot), and every cell rendered rather than only those in view. The browser is Debian's
chromium (``/usr/bin/chromium``) driven by Playwright's bundled driver: no browser is ever downloaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
USER_SETTINGS = {
    # every cell rendered (JupyterLab 4 otherwise detaches cells scrolled out of view)
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "autoStartDefaultKernel": True,
        "windowingMode": "none",
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """``jupyter lab`` serving ``root`` on 127.0.0.1, stopped (with its kernels) by :meth:`stop`."""

    def __init__(self, root: Path, state: Path) -> None:
        self.root, self.state = root, state
        self.token, self.port = secrets.token_hex(16), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> JupyterLab:
        settings = self.state / "settings"
        for name, value in USER_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(value))
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(self.state / "runtime"),
            "JUPYTER_CONFIG_DIR": str(self.state / "config"),
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.state / "workspaces"),
        }
        argv = [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            "--no-browser",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            f"--ServerApp.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.open_browser=False",
        ]
        if os.geteuid() == 0:
            argv.append("--allow-root")
        self.log = open(self.state / "jupyter.log", "wb")  # noqa: SIM115 -- open for the server's life
        self.process = subprocess.Popen(
            argv, stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=self.root
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {(self.state / 'jupyter.log').read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                if self.api("GET", "/api/status") is not None:
                    return self
            time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer in {timeout} s")

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(
            f"{self.base}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def close_sessions(self) -> None:
        """Closing the browser leaves the notebook's kernel running: end every session through the API."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def kernels(self) -> list:
        return self.api("GET", "/api/kernels")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server shuts its kernels down
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


def wait_until_idle(page, settle_s: float = 1.0, timeout_s: float = 90) -> None:
    """The kernel is idle and no dialog is open, steadily for ``settle_s`` (a 'Select Kernel' dialog can
    appear after the kernel already shows idle: accept it and wait again)."""
    deadline, steady_since = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        dialog = page.locator(".jp-Dialog")
        if dialog.count():
            accept = page.locator(".jp-Dialog .jp-mod-accept")
            if accept.count():
                accept.first.click()
            steady_since = None
        elif page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count():
            steady_since = steady_since or time.monotonic()
            if time.monotonic() - steady_since >= settle_s:
                return
        else:
            steady_since = None
        time.sleep(0.2)
    raise TimeoutError("the notebook's kernel did not become idle (or a dialog stayed open)")


RUN_ALL = "window.jupyterapp.commands.execute('notebook:run-all-cells')"
PROMPTS = "() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).map(e => e.textContent.trim())"
ERRORS = "[data-mime-type='application/vnd.jupyter.error']"


def run_all_until(page, done_text: str, timeout_s: float = 300, dropped_after_s: float = 20) -> int:
    """Run All, then wait until an output shows ``done_text``; returns how many times Run All was issued.

    A cell that fails ends the wait at once with the error it printed. A Run All sent while the kernel
    was still being connected can be dropped (the kernel then sits idle with cells never run, seen on the
    first notebook of a fresh JupyterLab on a loaded machine): after ``dropped_after_s`` of that, Run All
    is sent again, at most twice more. A timeout says what each cell's prompt showed."""
    deadline, issued, idle_unrun_since = time.monotonic() + timeout_s, 1, None
    page.evaluate(RUN_ALL)
    while time.monotonic() < deadline:
        if page.locator(f".jp-OutputArea-output:has-text({json.dumps(done_text)})").count():
            return issued
        if page.locator(ERRORS).count():
            raise AssertionError(f"a cell failed: {page.locator(ERRORS).first.inner_text()[-3000:]}")
        prompts = page.evaluate(PROMPTS)
        idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count() > 0
        if idle and "[*]:" not in prompts and "[ ]:" in prompts:
            idle_unrun_since = idle_unrun_since or time.monotonic()
            if time.monotonic() - idle_unrun_since >= dropped_after_s and issued < 3:
                page.evaluate(RUN_ALL)
                issued, idle_unrun_since = issued + 1, None
        else:
            idle_unrun_since = None
        time.sleep(0.5)
    status = page.locator(".jp-Notebook-ExecutionIndicator").first.get_attribute("data-status")
    raise AssertionError(
        f"no output showed {done_text!r} in {timeout_s:.0f} s (Run All sent {issued}x); kernel {status}; "
        f"prompts {page.evaluate(PROMPTS)}"
    )
