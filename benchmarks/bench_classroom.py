"""A classroom on one server: many browser sessions training at once against one `streamlit run`.

Run from the repository root:  .venv/bin/python benchmarks/bench_classroom.py [scenario ...]

Scenarios: `playground2d` (each session trains spiral on the 2-D Playground with Play) and
`build_train` (each session trains an MLP on digits on Build & Train). Default: both, one after the
other, each on a fresh server. PLAYGROUND_SESSIONS sets the number of sessions (default 30),
PLAYGROUND_WINDOW the seconds measured once every session runs (default 30).

Each session is its own Playwright context (a separate Streamlit session) in one headless
Chromium on this machine, so the browser's drawing shares the cores with the server. In every page
a small script records each moment the page's shown progress changes. Printed:

- per session: the epochs per second the page showed, and how often it refreshed;
- refresh intervals across all sessions (p50, p95, max): the time between two updates a student sees;
- CPU (share of one core) and memory of the server and of the workers;
- PASS/FAIL: every session's run moving, refresh p95 <= 1 s, total memory <= 3 GB (RSS; PSS shown).
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from benchmarks.bench_server import _end_leftover, _full_mb, _workers, seen_workers  # noqa: E402
from benchmarks.report import finish, load, table, verdict  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402

SESSIONS = int(os.environ.get("PLAYGROUND_SESSIONS", 30))
WINDOW_S = float(os.environ.get("PLAYGROUND_WINDOW", 30))
REFRESH_P95_TARGET_S = 1.0
MEMORY_TARGET_MB = 3000
VIEWPORT = {"width": 1280, "height": 1000}

# Records, every 100 ms, whether what `window.__shown()` returns has changed, with the time and the
# epoch `window.__epoch()` reads; the benchmark reads `window.__changes` at the end.
RECORDER = """
() => {
  window.__changes = [];
  window.__trips = [];
  const plain = window.fetch;
  window.fetch = async (...args) => {
    const began = performance.now();
    const response = await plain(...args);
    if (String(args[0]).includes('/api/live/')) window.__trips.push(performance.now() - began);
    return response;
  };
  let last = null;
  setInterval(() => {
    const value = window.__shown();
    if (value !== last) { last = value; window.__changes.push([performance.now() / 1000, window.__epoch()]); }
  }, 100);
}
"""


@dataclasses.dataclass
class Scenario:
    name: str
    path: str
    ready: str  # a regular expression for text the page shows once it is ready
    start: Callable  # (page) -> None: starts this session's training
    shown_js: str  # defines window.__shown (what changes when the page refreshes) and window.__epoch


def _click(name: str) -> Callable:
    def start(page) -> None:
        page.get_by_role("button", name=name, exact=True).first.click()
    return start


# What each page shows is read from the one element that holds it (textContent, which needs no
# layout): reading the whole page's text ten times a second in 30 pages cost the browser more than
# the pages' own drawing did.
EPOCH_FROM = r"""
window.__text = () => {
  const el = document.querySelector('%s');
  return el ? el.textContent : '';
};
window.__epoch = () => {
  const m = window.__text().match(/%s/);
  return m ? parseInt(m[1].replace(/,/g, '')) : null;
};
"""

SCENARIOS = {
    "playground2d": Scenario(
        name="2-D Playground, spiral, 2-8-8-1 tanh, batch 10, lr 0.03",
        path="/playground2d?data=spiral&n1=8&n2=8",
        ready=r"Test loss",
        start=_click("Play"),
        shown_js=EPOCH_FROM % ('[data-testid="npLiveMetric"]', r"Epoch\s*([\d,]+)")
        + "window.__shown = () => String(window.__epoch());",
    ),
    "build_train": Scenario(
        name="Build & Train, digits, MLP, 500 epochs",
        path="/build_train?preset=mlp&epochs=500",
        ready=r"[\d,]+ parameters",
        start=_click("Train"),
        shown_js=EPOCH_FROM % (".np-status", r"epoch (\d+) of \d+") + """
window.__shown = () => {
  const bar = document.querySelector('[data-testid="npLiveProgress"]');
  return window.__text() + '/' + (bar ? bar.getAttribute('aria-valuenow') : '');
};""",
    ),
}


def _cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    seconds = {}
    for p in processes:
        try:
            t = p.cpu_times()
            seconds[p.pid] = t.user + t.system
        except psutil.Error:
            pass
    return seconds


def _driver_processes() -> list[psutil.Process]:
    """Playwright's driver (a Node.js process that receives every page's browser events): it is part
    of the benchmark, not of a classroom, but it takes CPU from the same two cores."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.name().lower().startswith("node"):
                found.append(child)
        except psutil.Error:
            pass
    return found


def _browser_processes() -> list[psutil.Process]:
    """Chromium's processes (browser, renderers, GPU and utility): this script's descendants that are
    not the server or its workers."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name().lower():
                found.append(child)
        except psutil.Error:
            pass
    return found


def run(scenario: Scenario, server: Server, browser, *, sessions: int = SESSIONS,
        during: Callable[[float], None] = time.sleep) -> None:
    """`sessions` sessions train `scenario`; `during(seconds)` fills the measured window (another
    benchmark's load on the server, e.g. `bench_hostile.py`'s uploads)."""
    SESSIONS = sessions  # noqa: N806 - the module's default, for this call
    process = psutil.Process(server.process.pid)
    print(f"\n=== {scenario.name}: {SESSIONS} sessions, {WINDOW_S:.0f} s window ===")
    pages, contexts = [], []
    began = time.perf_counter()
    try:
        for _ in range(SESSIONS):
            context = browser.new_context(viewport=VIEWPORT)
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(120_000)
            page.goto(server.url + scenario.path)
            page.get_by_text(re.compile(scenario.ready)).first.wait_for()
            pages.append(page)
        opened = time.perf_counter() - began
        print(f"{SESSIONS} sessions opened in {opened:.1f} s ({opened / SESSIONS:.2f} s each)")
        started = time.perf_counter()
        for page in pages:
            scenario.start(page)
        print(f"all started in {time.perf_counter() - started:.1f} s")
        for page in pages:
            page.evaluate("() => {" + scenario.shown_js + "}")
            page.evaluate(RECORDER)
        # Chromium slows timers in pages it thinks hidden (setInterval at most once a second), and the
        # page's timed refresh is such a timer: every page must count as visible for the figures to hold.
        shown = [page.evaluate("() => document.visibilityState") for page in pages]
        print(f"pages visible: {shown.count('visible')} of {len(shown)}")
        time.sleep(3)  # the last sessions' first refreshes
        for page in pages:  # the window starts now for everyone
            page.evaluate("() => { window.__changes = []; window.__trips = []; window.__npPictures = 0; }")
        watched = [process, *_workers(process)]
        browser_processes, drivers = _browser_processes(), _driver_processes()
        cpu_before, wall_before = _cpu_seconds(watched + browser_processes + drivers), time.perf_counter()
        during(WINDOW_S)
        cpu_after, wall = _cpu_seconds(watched + browser_processes + drivers), time.perf_counter() - wall_before
        memory = [(f"server (pid {process.pid})", *_full_mb(process))]
        memory += [(f"worker {i} (pid {w.pid})", *_full_mb(w)) for i, w in enumerate(_workers(process))]
        changes = [page.evaluate("() => window.__changes") for page in pages]
        trips = np.array([t for page in pages for t in page.evaluate("() => window.__trips")]) / 1000
        pictures = np.array([page.evaluate("() => window.__npPictures || 0") for page in pages]) / WINDOW_S
    finally:
        for context in contexts:
            context.close()

    rows, intervals, moving = [], [], 0
    for i, seen in enumerate(changes):
        times = [t for t, _ in seen]
        epochs = [e for _, e in seen if e is not None]
        gaps = np.diff(times) if len(times) > 1 else np.array([])
        intervals.extend(gaps.tolist())
        rate = (epochs[-1] - epochs[0]) / (times[-1] - times[0]) if len(epochs) > 1 and times[-1] > times[0] else 0.0
        moved = len(times) >= 3
        moving += moved
        rows.append([f"session {i + 1}", float(rate), len(times), float(np.median(gaps)) if len(gaps) else float("nan"),
                     float(gaps.max()) if len(gaps) else float("nan"), "yes" if moved else "NO"])
    table("Per session (what each page showed during the window)",
          ["session", "epochs/s shown", "refreshes", "median gap s", "max gap s", "moving"], rows, float_format=".2f")
    rates = np.array([r[1] for r in rows])
    gaps = np.array(intervals) if intervals else np.array([float("inf")])
    p50, p95 = np.percentile(gaps, 50), np.percentile(gaps, 95)
    cpu = [(name, (cpu_after.get(p.pid, 0) - cpu_before.get(p.pid, 0)) / wall)
           for name, p in [("server", process)] + [(f"worker {i}", w) for i, w in enumerate(watched[1:])]]
    browser_cpu = sum(cpu_after.get(p.pid, 0) - cpu_before.get(p.pid, 0) for p in browser_processes) / wall
    cpu.append((f"browser ({len(browser_processes)} Chromium processes)", browser_cpu))
    cpu.append(("benchmark's Playwright driver", sum(cpu_after.get(p.pid, 0) - cpu_before.get(p.pid, 0)
                                                     for p in drivers) / wall))
    table("CPU during the window (1.0 = one full core)", ["process", "cores"], [[n, c] for n, c in cpu],
          float_format=".2f")
    print(f"load average at the end of the window: {load()}")
    total = ("total", *(sum(r[k] for r in memory) for k in (1, 2, 3)))
    table("Memory at the end of the window (MB)", ["process", "RSS", "USS", "PSS"], [list(r) for r in memory + [total]],
          float_format=".0f")
    table(f"Summary: {scenario.name}", ["measure", "value", "target", "verdict"], [
        ["sessions whose run kept moving", f"{moving} of {SESSIONS}", f"{SESSIONS} of {SESSIONS}",
         verdict(f"{scenario.name}: every run moving", moving == SESSIONS)],
        ["epochs/s shown per session (min / median)", f"{rates.min():.1f} / {np.median(rates):.1f}", "", "(no target)"],
        ["refresh interval p50", f"{p50:.2f} s", "", "(no target)"],
        ["refresh interval p95", f"{p95:.2f} s", f"<= {REFRESH_P95_TARGET_S} s",
         verdict(f"{scenario.name}: refresh p95", p95 <= REFRESH_P95_TARGET_S)],
        ["refresh interval max", f"{gaps.max():.2f} s", "", "(no target)"],
        ["pictures redrawn per second per session (min / median)",
         f"{pictures.min():.2f} / {np.median(pictures):.2f}", "", "(no target)"],
        ["live feed round trip p50 / p95 (request to answer)",
         f"{np.percentile(trips, 50):.2f} / {np.percentile(trips, 95):.2f} s" if len(trips) else "none", "",
         "(no target)"],
        ["total memory (RSS)", f"{total[1]:.0f} MB", f"<= {MEMORY_TARGET_MB} MB",
         verdict(f"{scenario.name}: memory", total[1] <= MEMORY_TARGET_MB)],
    ])


def start(parts: dict, kind: str = "scenario") -> list[str] | None:
    """The parts named on the command line (all by default), after checking for Chromium and printing
    the machine's state; None (after printing a FAIL) when Chromium is missing."""
    names = sys.argv[1:] or list(parts)
    unknown = [n for n in names if n not in parts]
    if unknown:
        sys.exit(f"unknown {kind} {', '.join(unknown)}; known: {', '.join(parts)}")
    if not Path(CHROMIUM).exists():
        print(f"Chromium is not installed at {CHROMIUM}\nRESULT: FAIL")
        return None
    os.environ.setdefault("PLAYGROUND_WORKERS", "2")
    print(f"{os.environ['PLAYGROUND_WORKERS']} workers; {psutil.cpu_count()} cores; load average {load()}")
    return names


def main() -> None:
    began = time.perf_counter()
    names = start(SCENARIOS)
    if names is None:
        return
    for name in names:
        log = Path(tempfile.mkdtemp(prefix=f"bench_classroom_{name}_")) / "streamlit.log"
        server = Server(log)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                try:
                    run(SCENARIOS[name], server, browser)
                finally:
                    browser.close()
        finally:
            server.stop()
            _end_leftover(seen_workers)
        print(f"server log: {log}")
    finish(began)


if __name__ == "__main__":
    main()
