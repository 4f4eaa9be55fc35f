"""The web app's typed operations are generated from the gateway's schema: a schema change that is
not carried into gateway/ui (schema.graphql, src/gql/) fails here."""

import pathlib
import subprocess

import pytest

from gateway.sdl import sdl

UI = pathlib.Path(__file__).resolve().parents[2] / "gateway" / "ui"

pytestmark = pytest.mark.ui


def test_the_apps_schema_file_is_the_gateways_schema():
    committed = (UI / "schema.graphql").read_text()
    assert committed == sdl(), "stale gateway/ui/schema.graphql: run `.venv/bin/python -m gateway.sdl " \
                               "gateway/ui/schema.graphql && npm --prefix gateway/ui run codegen`"


def test_the_generated_operations_are_current():
    done = subprocess.run(["npx", "--no-install", "graphql-codegen", "--config", "codegen.ts", "--check"], cwd=UI,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"stale gateway/ui/src/gql: run `npm --prefix gateway/ui run codegen`\n" \
                                 f"{done.stdout[-2000:]}{done.stderr[-2000:]}"
