"""Tests for scripts/check_architecture.py: the layering rules hold for the repository, and the
checker finds each kind of violation in a small made-up tree."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("check_architecture", ROOT / "scripts" / "check_architecture.py")
check = importlib.util.module_from_spec(_SPEC)
sys.modules["check_architecture"] = check  # dataclasses look their module up there
_SPEC.loader.exec_module(check)


@pytest.fixture(scope="module")
def project():
    return check.load_project(ROOT)


# ----------------------------------------------------------------------------------------------
# The repository


def test_no_library_module_outside_ui_imports_streamlit(project):
    assert check.check_streamlit(project) == []


def test_no_import_cycle_among_playground_modules(project):
    assert check.check_cycles(project) == []


def test_figures_import_no_job_module(project):
    assert check.check_figures(project) == []


def test_the_job_system_imports_and_names_no_lab_module(project):
    assert check.check_jobs(project) == []


def test_layers_only_look_down(project):
    assert check.check_direction(project) == []


def test_every_page_is_at_most_150_lines():
    offenders = check.check_pages(ROOT)
    assert offenders == [], "pages over 150 lines:\n" + "\n".join(offenders)


# ----------------------------------------------------------------------------------------------
# The checker, on a made-up tree


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_cycle_through_an_import_inside_a_function_is_found_with_its_path(tmp_path):
    root = _tree(tmp_path, {
        "playground/__init__.py": "",
        "playground/models.py": "from playground import checkpoints\n",
        "playground/checkpoints.py": "def load():\n    from playground.models import build\n",
        "playground/data.py": "import playground.settings\n",
        "playground/settings.py": "",
    })
    project = check.load_project(root)
    assert check.find_cycles(project) == [["playground.checkpoints", "playground.models", "playground.checkpoints"]]
    [message] = check.check_cycles(project)
    assert "playground/checkpoints.py:2" in message and "playground/models.py:1" in message


def test_importing_a_submodule_runs_its_package(tmp_path):
    """figures.training -> live -> figures (its __init__ imports figures.training): a cycle."""
    root = _tree(tmp_path, {
        "playground/__init__.py": "",
        "playground/figures/__init__.py": "from playground.figures.training import curves\n",
        "playground/figures/training.py": "from playground.figures.style import x\ndef f():\n"
                                          "    from playground.jobs.live import series\n",
        "playground/figures/style.py": "",
        "playground/jobs/live.py": "def g():\n    from playground.figures.training import curve_series\n",
    })
    cycles = check.find_cycles(check.load_project(root))
    assert ["playground.figures.training", "playground.jobs.live", "playground.figures.training"] in cycles
    assert ["playground.figures", "playground.figures.training", "playground.jobs.live", "playground.figures"] in cycles
    # A package's own modules importing each other while it loads is no cycle.
    assert not any("playground.figures.style" in c for c in cycles)


def test_each_rule_reports_its_violations(tmp_path):
    root = _tree(tmp_path, {
        "playground/__init__.py": "",
        "playground/basics/neuron.py": "import streamlit as st\n",
        "playground/ui/__init__.py": "",
        "playground/ui/jobs.py": "import streamlit\nfrom pages import home\n",
        "playground/figures/__init__.py": "",
        "playground/figures/latent_space/gan2d.py": "def f():\n    from playground.jobs.live import picture\n",
        "playground/jobs/live.py": "",
        "playground/jobs/train.py": "import importlib\nMODULES = ('playground.latent_space.gan2d',)\n"
                               "def f():\n    importlib.import_module('playground.training_lab.regularization')\n",
        "playground/latent_space/gan2d.py": "from playground import train\n",
        "playground/training_lab/regularization.py": "",
        "playground/models.py": "from playground.ui import jobs\n",
        "pages/home.py": "from playground import models\n" + "x = 1\n" * 150,
        "pages/short.py": "import playground.ui.jobs\n",
    })
    found = check.violations(root)
    assert found["a streamlit"] == ["playground/basics/neuron.py:1: playground.basics.neuron imports streamlit "
                                    "(Streamlit belongs in playground/ui/)"]
    assert found["c figures"] == [  # the job package's __init__ runs too, so it is named as well
        "playground/figures/latent_space/gan2d.py:2: figure module playground.figures.latent_space.gan2d imports "
        "job module playground.jobs",
        "playground/figures/latent_space/gan2d.py:2: figure module playground.figures.latent_space.gan2d imports "
        "job module playground.jobs.live"]
    assert sorted(found["d jobs"]) == sorted([
        "playground/jobs/train.py:4: job module playground.jobs.train imports playground.training_lab "
        "(training_lab lab module)",
        "playground/jobs/train.py:4: job module playground.jobs.train imports playground.training_lab.regularization "
        "(training_lab lab module)",
        "playground/jobs/train.py:2: job module playground.jobs.train names lab module "
        "'playground.latent_space.gan2d' (latent_space)",
        "playground/jobs/train.py:4: job module playground.jobs.train names lab module "
        "'playground.training_lab.regularization' (training_lab)"])
    assert found["e pages"] == ["pages/home.py: 151 lines (at most 150)"]
    assert sorted(found["f direction"]) == [
        "playground/models.py:1: library module playground.models imports playground.ui",
        "playground/models.py:1: library module playground.models imports playground.ui.jobs",
        "playground/ui/jobs.py:2: UI helper playground.ui.jobs imports page pages",
        "playground/ui/jobs.py:2: UI helper playground.ui.jobs imports page pages.home",
    ]
    assert check.main(["check", str(root)]) == 1


def test_the_rules_follow_modules_into_their_section_packages(tmp_path):
    """Inside the section packages (playground/jobs, playground/latent_space, ...) the rules apply to every module."""
    root = _tree(tmp_path, {
        "playground/__init__.py": "",
        "playground/jobs/__init__.py": "",
        "playground/jobs/pool.py": "from playground.latent_space import gan2d\n",
        "playground/latent_space/__init__.py": "",
        "playground/latent_space/gan2d.py": "from playground.jobs import pool\n",
        "playground/figures/__init__.py": "",
        "playground/figures/latent_space/gan2d.py": "from playground.jobs.pool import x\n",
    })
    found = check.violations(root)
    assert any("playground.jobs.pool imports playground.latent_space.gan2d (latent_space lab module)" in v
               for v in found["d jobs"])
    assert any("figure module playground.figures.latent_space.gan2d imports job module playground.jobs.pool" in v
               for v in found["c figures"])
    assert len(found["b cycles"]) == 1
    assert check.lab_section("playground.basics.neuron") == "basics"
    assert check.lab_section("playground.explain_attack.explain") == "explain_attack"
    assert check.lab_section("playground.explain") == "explain_attack"  # a flat module of a section's name
    assert check.lab_section("playground.models") is None
    assert check.is_job("playground.jobs.sweep") and check.is_job("playground.jobs.train")


def test_a_clean_tree_passes_and_the_script_exits_0(tmp_path):
    root = _tree(tmp_path, {
        "playground/__init__.py": "",
        "playground/models.py": "from playground import layers\n",
        "playground/layers.py": "",
        "pages/home.py": "from playground import models\n",
    })
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_architecture.py"), str(root)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout
    assert "all rules hold" in result.stdout
