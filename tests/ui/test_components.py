"""The web app's component tests (Vitest in gateway/ui), run by `make test` through pytest."""

import pathlib
import subprocess

import pytest

UI = pathlib.Path(__file__).resolve().parents[2] / "gateway" / "ui"

pytestmark = pytest.mark.ui


def test_vitest_component_tests_pass():
    done = subprocess.run(["npx", "--no-install", "vitest", "run"], cwd=UI, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{done.stdout[-4000:]}{done.stderr[-2000:]}"
