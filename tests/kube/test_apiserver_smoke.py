"""Smoke test: the real kube-apiserver enforces CRD schemas and garbage-collects owned objects."""

from __future__ import annotations

import time
import uuid

import pytest

from .apiserver import KubeApiServer

pytestmark = pytest.mark.kube

GROUP = "smoke.loyalty.test"
PLURAL = "widgets"


def _crd() -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{PLURAL}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": PLURAL, "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "required": ["size"],
                                    "properties": {"size": {"type": "integer", "minimum": 1, "maximum": 10}},
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


def _poll(what: str, check, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def test_crd_schema_and_garbage_collection(kube_apiserver: KubeApiServer) -> None:
    api = kube_apiserver
    ns = f"smoke-{uuid.uuid4().hex[:8]}"

    status, body = api.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    assert status == 201, body

    # --- CRD with a schema: valid objects are stored, invalid ones rejected with 422
    status, body = api.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", _crd())
    assert status in (201, 409), body

    def established() -> bool:
        s, crd = api.request("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{PLURAL}.{GROUP}")
        # a CRD just created may report "conditions": null until the controller has looked at it
        conds = ((crd or {}).get("status") or {}).get("conditions") or [] if s == 200 else []
        return any(c["type"] == "Established" and c["status"] == "True" for c in conds)

    _poll("the CRD to be established", established)
    widgets = f"/apis/{GROUP}/v1/namespaces/{ns}/{PLURAL}"

    def widget(name: str, spec: dict) -> dict:
        return {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec}

    # Discovery for a fresh CRD can lag "Established" briefly; retry on 404.
    for _ in range(40):
        status, body = api.request("POST", widgets, widget("good", {"size": 3}))
        if status != 404:
            break
        time.sleep(0.25)
    assert status == 201, body

    status, body = api.request("POST", widgets, widget("bad", {"size": "huge"}))
    assert status == 422, body
    assert body["reason"] == "Invalid", body
    status, body = api.request("POST", widgets, widget("too-big", {"size": 11}))
    assert status == 422, body

    # --- garbage collection: a ConfigMap owned by a deleted ConfigMap disappears
    cms = f"/api/v1/namespaces/{ns}/configmaps"
    status, owner = api.request("POST", cms, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "owner"}})
    assert status == 201, owner
    child = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "child",
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
            ],
        },
        "data": {"k": "v"},
    }
    status, body = api.request("POST", cms, child)
    assert status == 201, body

    status, body = api.request("DELETE", f"{cms}/owner")
    assert status == 200, body

    _poll(
        "the garbage collector to delete the owned ConfigMap",
        lambda: api.request("GET", f"{cms}/child")[0] == 404,
        timeout=60,
    )
