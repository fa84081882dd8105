"""A real browser: JupyterLab serves the student notebook, headless Chromium runs its
first cells the way a student does (Shift+Enter), and the outputs must appear.

Needs the Debian package `chromium` (/usr/bin/chromium); skipped without it. Set
NER_BROWSER_SCREENSHOT=PATH to keep the screenshot (otherwise it stays in the
test's temporary folder). About 30 s.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from test_notebook_support import kernel_environment, make_project, register_kernel

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TOKEN = "ner-browser-test"
#: Cells run with Shift+Enter from the top: the badge, the collaboration statement,
#: the markdown cells, then the Colab/local setup cell, the imports and the settings.
CELLS_TO_RUN = 1 + [cell.get("id") for cell in nbformat.read(
    Path(__file__).resolve().parents[1] / "notebooks" / "assignment.ipynb",
    as_version=4).cells].index("settings")
EXPECTED_OUTPUTS = ("running in a local Python (not Colab): nothing changed",
                    "device: cpu",
                    "quick mode: off")
SERVER_START_SECONDS = 90
OUTPUT_WAIT_MS = 120_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="no /usr/bin/chromium: install it with `apt-get install -y "
                              "chromium` to run the real-browser test"),
]


@contextlib.contextmanager
def offline_page(requested: list[str]) -> Iterator:
    """A page of headless Chromium (1280 x 900) that loads ``file:`` and ``data:``
    addresses only: any other address it asks for is refused and added to
    ``requested``, so a test can show a report opens offline."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})

            def refuse_network(route) -> None:
                if route.request.url.startswith(("file:", "data:")):
                    route.continue_()
                    return
                requested.append(route.request.url)
                route.abort()

            context.route("**/*", refuse_network)
            yield context.new_page()
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def student_notebook(source: Path, target: Path) -> None:
    """The student version of ``source``, as nbgrader's release step clears it."""
    from nbgrader.preprocessors import ClearOutput, ClearSolutions

    notebook = nbformat.read(source, as_version=4)
    notebook, _ = ClearSolutions().preprocess(notebook, {})
    notebook, _ = ClearOutput().preprocess(notebook, {})
    nbformat.write(notebook, target)


def wait_for_server(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_SECONDS} s:\n"
                f"{log.read_text()[-3000:]}")


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on a free port, rooted in a project folder holding the
    student notebook; yields (base URL, project folder)."""
    project = make_project(tmp_path / "project")
    student_notebook(project / "notebooks" / "assignment.ipynb",
                     project / "notebooks" / "assignment.ipynb")
    jupyter = register_kernel(tmp_path / "jupyter")
    port = free_port()
    env = {**os.environ, **kernel_environment(jupyter),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "HOME": str(tmp_path / "home")}
    log = tmp_path / "jupyterlab.log"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--allow-root", "--no-browser",
             "--ip=127.0.0.1", f"--port={port}", f"--ServerApp.token={TOKEN}",
             f"--ServerApp.root_dir={project}", "--ServerApp.port_retries=0",
             "--LabApp.news_url=", "--LabApp.check_for_updates_class="
             "jupyterlab.NeverCheckForUpdate"],
            cwd=project, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(f"{base}/api/status?token={TOKEN}", process, log)
        yield base, project
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_student_runs_the_first_cells_in_jupyterlab(jupyterlab, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    base, _ = jupyterlab
    screenshot = tmp_path / "assignment-first-cells.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/lab/tree/notebooks/assignment.ipynb?token={TOKEN}")
            first_cell = page.locator(".jp-NotebookPanel .jp-Cell").first
            expect(first_cell).to_be_visible(timeout=OUTPUT_WAIT_MS)
            expect(page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
                   ).to_have_count(1, timeout=OUTPUT_WAIT_MS)
            first_cell.click()
            page.keyboard.press("Escape")  # command mode: Shift+Enter runs and moves on
            for _ in range(CELLS_TO_RUN):
                page.keyboard.press("Shift+Enter")
                time.sleep(0.2)
            outputs = page.locator(".jp-NotebookPanel .jp-OutputArea-output")
            for text in EXPECTED_OUTPUTS:
                expect(outputs.filter(has_text=text)).to_have_count(1, timeout=OUTPUT_WAIT_MS)
            expect(page.locator(".jp-NotebookPanel .jp-OutputArea-output[data-mime-type="
                                "'application/vnd.jupyter.stderr']").filter(
                has_text="Error")).to_have_count(0)
            news = page.locator(".jp-toast-button", has_text="No")
            if news.count():
                news.first.click()  # JupyterLab's question about news notifications
                expect(news).to_have_count(0, timeout=10_000)
            page.locator(".jp-NotebookPanel .jp-Cell").nth(4).scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot), full_page=False)
            badge = page.locator(".jp-NotebookPanel a[href*='colab.research.google.com/github']")
            expect(badge).to_have_count(1)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000
    keep = os.environ.get("NER_BROWSER_SCREENSHOT")
    if keep:
        Path(keep).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, keep)
