"""Benchmark of the running app: the memory of the server and its workers, and how soon training shows progress.

Run from the repository root:  .venv/bin/python benchmarks/bench_server.py

It starts one `streamlit run app.py` (the e2e tests' `Server`) and drives it with headless Chromium, measuring
the resident memory of the server process and of each worker at three moments:

  1. one browser session has opened Home (which starts the worker pool) and the workers have settled;
  2. that session has trained digits with the default preset for 10 epochs on Build & Train;
  3. five more sessions (separate browser contexts) have each opened Build & Train.

It also times the click on Train until the page first shows an epoch count above 0.

Prints a table per moment, PASS or FAIL for each target, and `RESULT: PASS` or `RESULT: FAIL` last.
The exit code is 0 either way: this reports figures, it is not a test.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from benchmarks.report import finish, load, results, table, verdict  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402

WORKERS = 2  # the pool size the server is started with, unless PLAYGROUND_WORKERS says otherwise
EPOCHS = 10
SESSIONS = 5  # extra browser sessions that open Build & Train for moment 3
MEMORY_TARGET_MB = 3000  # total RSS of the server and its workers at moment 3 (classroom target)
SETTLE_QUIET_S = 2.0  # memory counts as settled when no process's RSS moved more than SETTLE_MB for this long
SETTLE_MB = 2.0
VIEWPORT = {"width": 1400, "height": 1600}

seen_workers: set[int] = set()  # every worker pid seen, to end any that outlive the server





# ----------------------------------------------------------------------------------------------
# Processes and their memory


def _workers(server: psutil.Process) -> list[psutil.Process]:
    """The server's child processes that run `playground.jobs.worker`, by pid."""
    found = []
    for child in server.children(recursive=True):
        try:
            if any("playground.jobs.worker" in part for part in child.cmdline()):
                found.append(child)
        except psutil.Error:
            pass
    seen_workers.update(p.pid for p in found)
    return sorted(found, key=lambda p: p.pid)


def _processes(server: psutil.Process) -> list[tuple[str, psutil.Process]]:
    named = [(f"server (pid {server.pid})", server)]
    named += [(f"worker {i} (pid {w.pid})", w) for i, w in enumerate(_workers(server))]
    return named


def _rss_mb(process: psutil.Process) -> float:
    try:
        return process.memory_info().rss / 2**20
    except psutil.Error:
        return float("nan")


def _full_mb(process: psutil.Process) -> tuple[float, float, float]:
    """RSS, USS and PSS in MB (NaN where the system does not report one)."""
    try:
        info = process.memory_full_info()
    except psutil.Error:
        return _rss_mb(process), float("nan"), float("nan")
    mb = lambda name: getattr(info, name, float("nan")) / 2**20
    return mb("rss"), mb("uss"), mb("pss")


def settle(server: psutil.Process, workers: int, timeout: float = 90) -> float:
    """Wait until `workers` workers exist and no process's RSS has moved for a while; seconds waited."""
    began = time.perf_counter()
    last: dict[int, float] = {}
    quiet_since = time.perf_counter()
    while time.perf_counter() - began < timeout:
        procs = [p for _, p in _processes(server)]
        now = {p.pid: _rss_mb(p) for p in procs}
        moved = (set(now) != set(last)
                 or any(not abs(now[pid] - last[pid]) <= SETTLE_MB for pid in now))
        if moved:
            last, quiet_since = now, time.perf_counter()
        elif len(procs) - 1 >= workers and time.perf_counter() - quiet_since >= SETTLE_QUIET_S:
            return time.perf_counter() - began
        time.sleep(0.25)
    print(f"  (memory had not settled after {timeout:.0f} s; measuring anyway)")
    return time.perf_counter() - began


def measure(server: psutil.Process) -> list[tuple[str, float, float, float]]:
    rows = [(name, *_full_mb(p)) for name, p in _processes(server)]
    return rows + [("total", *(sum(r[i] for r in rows) for i in (1, 2, 3)))]


def show(title: str, rows: list[tuple[str, float, float, float]]) -> None:
    table(title, ["process", "RSS MB", "USS MB", "PSS MB"], [list(r) for r in rows], float_format=".0f")


# ----------------------------------------------------------------------------------------------
# The browser


def open_build_train(context, url: str):
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url + "/build_train")
    page.get_by_text(re.compile(r"[\d,]+ parameters")).first.wait_for()
    return page


def train(page) -> tuple[float, float, float, str]:
    """Train with the page's defaults for EPOCHS epochs: seconds from the click to the progress line shown,
    to the first epoch above 0 shown and to "Test accuracy", and the accuracy shown."""
    epochs = page.get_by_role("spinbutton", name="Epochs")
    try:  # the default; the field can show another value for a moment while the page first renders
        expect(epochs).to_have_value(str(EPOCHS), timeout=5_000)
    except AssertionError:
        epochs.fill(str(EPOCHS))
        epochs.press("Enter")
        expect(epochs).to_have_value(str(EPOCHS))
    button = page.get_by_role("button", name="Train", exact=True)
    began = time.perf_counter()
    button.click()
    page.wait_for_function(rf"() => /epoch \d+ of {EPOCHS}/.test(document.body.innerText)", timeout=120_000)
    progress = time.perf_counter() - began
    page.wait_for_function(rf"() => /epoch [1-9]\d* of {EPOCHS}/.test(document.body.innerText)", timeout=120_000)
    first_epoch = time.perf_counter() - began
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Test accuracy")
    metric.first.wait_for(timeout=120_000)
    done = time.perf_counter() - began
    accuracy = re.search(r"[\d.]+%", metric.first.inner_text())
    return progress, first_epoch, done, accuracy.group(0) if accuracy else "?"


# ----------------------------------------------------------------------------------------------


def run(server: Server, browser, workers: int) -> None:
    process = psutil.Process(server.process.pid)
    moments = []

    # 1. One session opens Home; the pool starts with the first page view.
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(60_000)
    began = time.perf_counter()
    page.goto(server.url)
    page.locator('[data-testid="stSidebarNav"]').wait_for()
    waited = settle(process, workers)
    print(f"Home shown and {len(_workers(process))} workers settled {time.perf_counter() - began:.1f} s "
          f"after the first page view (settle wait {waited:.1f} s)")
    rows = measure(process)
    moments.append(("1. Home opened, pool warm", rows))
    show("1. One session has opened Home; the pool is started and its workers have imported torch", rows)

    # 2. That session goes to Build & Train by the app's navigation (a reload would start a new session) and
    #    trains digits with the default preset.
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Build & Train").click()
    page.get_by_text(re.compile(r"[\d,]+ parameters")).first.wait_for()
    progress, first_epoch, done, accuracy = train(page)
    settle(process, workers, timeout=30)
    rows = measure(process)
    moments.append((f"2. after training {EPOCHS} epochs", rows))
    show(f"2. After training digits, default preset (lenet5), {EPOCHS} epochs, until \"Test accuracy\" "
         f"showed ({accuracy})", rows)

    # 3. More sessions open Build & Train; the training session stays open.
    contexts = []
    try:
        for _ in range(SESSIONS):
            contexts.append(browser.new_context(viewport=VIEWPORT))
            open_build_train(contexts[-1], server.url)
        settle(process, workers, timeout=30)
        rows = measure(process)
    finally:
        for c in contexts:
            c.close()
        context.close()
    moments.append((f"3. {SESSIONS} more sessions on Build & Train", rows))
    show(f"3. After {SESSIONS} more browser sessions (separate contexts) have each opened Build & Train "
         f"(the training session is still open: {SESSIONS + 1} sessions)", rows)
    print("  RSS counts pages shared between processes (torch's libraries, mapped by every worker) once per\n"
          "  process, so the RSS total overstates what the processes use together. USS: memory only that\n"
          "  process uses. PSS: USS plus an even share of each shared page; the PSS total is the fairest sum,\n"
          "  though other programs that map the same files (another Python with torch) take shares too.")

    total_rss = rows[-1][1]
    table("Summary: totals of the server and its workers (MB)", ["moment", "RSS", "USS", "PSS"],
           [[label, *r[-1][1:]] for label, r in moments], float_format=".0f")
    table("Targets", ["measure", "value", "target", "verdict"], [
        ["total RSS at moment 3 (classroom memory target)", f"{total_rss:.0f} MB", f"<= {MEMORY_TARGET_MB} MB",
         verdict("total RSS at moment 3", total_rss <= MEMORY_TARGET_MB)],
        ["click on Train to the progress line shown (epoch 0)", f"{progress:.2f} s", "", "(no target)"],
        ["click on Train to first epoch > 0 shown", f"{first_epoch:.2f} s", "", "(no target)"],
        [f"click on Train to \"Test accuracy\" shown ({EPOCHS} epochs)", f"{done:.2f} s", "", "(no target)"],
    ])
    print("  The page polls its run every 0.5 s, so the time to the first epoch includes up to 0.5 s of\n"
          "  waiting for the next poll, and the browser's own rendering.")


def _end_leftover(pids: set[int]) -> None:
    """Workers normally exit with the server; end any of ours that did not, by pid."""
    def running(pid: int) -> psutil.Process | None:
        try:
            process = psutil.Process(pid)
            return process if process.status() != psutil.STATUS_ZOMBIE else None
        except psutil.Error:
            return None

    deadline = time.time() + 10
    alive = sorted(pids)
    while alive and time.time() < deadline:
        alive = [pid for pid in alive if running(pid)]
        time.sleep(0.2)
    for pid in alive:
        process = running(pid)
        if process is not None:
            print(f"note: worker {pid} outlived the server; killing it")
            process.kill()


def main() -> None:
    os.environ.setdefault("PLAYGROUND_WORKERS", str(WORKERS))
    workers = int(os.environ["PLAYGROUND_WORKERS"])
    if not Path(CHROMIUM).exists():
        print(f"Chromium is not installed at {CHROMIUM}\nRESULT: FAIL")
        return
    log = Path(tempfile.mkdtemp(prefix="bench_server_")) / "streamlit.log"
    began = time.perf_counter()
    print(f"{workers} workers (PLAYGROUND_WORKERS); {psutil.cpu_count()} cores; "
          f"{psutil.virtual_memory().total / 2**30:.1f} GiB memory; load average {load()}; server log {log}")
    server = None
    try:
        server = Server(log)
        print(f"server answered its health check {time.perf_counter() - began:.1f} s after starting")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                run(server, browser, workers)
            finally:
                browser.close()
    except Exception as e:  # report and still print a result line
        print(f"\nbenchmark failed: {type(e).__name__}: {e}")
        results.append(("benchmark ran", False))
    finally:
        if server is not None:
            server.stop()
        _end_leftover(seen_workers)
    finish(began)


if __name__ == "__main__":
    main()
