"""The app pointed at a Ray cluster (PLAYGROUND_RAY_ADDRESS): Build & Train and the 2-D Playground train
in Ray actors, the live boards move, and the run says which machine it used.

The cluster is one `ray start --head` on this machine with two CPUs and no dashboard, started for this
module and stopped after it; the server is a second `streamlit run` of its own.
"""

import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.e2e.conftest import Server, _free_port, assert_no_exception

RAY = str(Path(sys.executable).with_name("ray"))


@pytest.fixture(scope="module")
def ray_server(tmp_path_factory):
    """A Ray head node (`ray start --head --block`, ended with it) and a server pointed at it."""
    folder = tmp_path_factory.mktemp("ray")
    port = _free_port()
    head = subprocess.Popen(
        [RAY, "start", "--head", "--block", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
         "--disable-usage-stats"],
        stdout=open(folder / "ray.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    server = None
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("PLAYGROUND_RAY_ADDRESS", f"127.0.0.1:{port}")
            server = Server(folder / "streamlit.log")
        yield server
    finally:
        if server is not None:
            server.stop()
        head.terminate()  # --block: the head ends the processes it started
        try:
            head.wait(30)
        except subprocess.TimeoutExpired:
            head.kill()


def _local_workers(server: Server) -> list[psutil.Process]:
    return [p for p in psutil.Process(server.process.pid).children(recursive=True)
            if any("playground.jobs.worker" in part for part in p.cmdline())]


def test_build_and_train_trains_on_the_cluster_and_names_the_machine(page, ray_server):
    page.goto(ray_server.url + "/build_train?preset=mlp&epochs=30")
    page.get_by_text(re.compile(r"[\d,]+ parameters")).first.wait_for()
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"epoch \d+ of 30")).first.wait_for()
    # The status line names the device and the machine: "device: cpu on host (ip)".
    page.get_by_text(re.compile(r"device: cpu on \S+ \([\d.]+\)")).first.wait_for()
    deadline = time.time() + 120
    while time.time() < deadline and "Test accuracy" not in page.inner_text("body"):
        time.sleep(0.3)
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Test accuracy")
    assert float(re.search(r"([\d.]+)%", metric.inner_text()).group(1)) >= 90.0, metric.inner_text()
    assert re.search(r"device: cpu on \S+ \([\d.]+\)", page.inner_text("body"))
    assert _local_workers(ray_server) == []  # no worker process of this machine's pool trained it
    assert_no_exception(page)


def test_the_2d_playground_trains_live_on_the_cluster(page, ray_server):
    page.goto(ray_server.url + "/playground2d?data=spiral&n1=8&n2=8")
    page.get_by_text("Test loss").first.wait_for()
    page.get_by_role("button", name="Play", exact=False).click()
    page.get_by_role("button", name="Pause", exact=False).wait_for()
    epoch = page.locator('[data-testid="npLiveMetric"]').filter(has_text="Epoch").locator(".np-metric-value")
    page.wait_for_function("e => parseInt(e.innerText.replace(/,/g, '')) > 50", arg=epoch.element_handle())
    page.get_by_role("button", name="Pause", exact=False).click()
    page.get_by_role("button", name="Play", exact=False).wait_for()
    assert _local_workers(ray_server) == []
    assert_no_exception(page)
