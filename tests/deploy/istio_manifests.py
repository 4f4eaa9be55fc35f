"""The plain manifests in istio/: the chart's Istio resources rendered for a release named `loyalty`
in namespace `loyalty`, for clusters that apply manifests without Helm. Generated, never edited:
`.venv/bin/python -m scripts.grpc_calls --write` rewrites them with the gRPC call map."""

import pathlib

from tests.deploy import chart

ISTIO_DIR = chart.ROOT / "istio"
VALUES = {
    "istio": {
        "enabled": True,
        "ingress": {"hosts": ["loyalty.example.com"], "tlsCredentialName": "loyalty-tls"},
        "requestAuthentication": {"enabled": True, "issuer": "https://auth.example.com/",
                                  "jwksUri": "https://auth.example.com/.well-known/jwks.json"},
    },
    "authorizationPolicies": {"create": True},
    "ignite": {"enabled": True},  # its policy too (it selects nothing where Ignite is not deployed)
}
# istio/<file> <- kinds
FILES = {
    "ingress.yaml": ("Gateway", "VirtualService"),
    "mtls.yaml": ("PeerAuthentication", "DestinationRule"),
    "authorization-policies.yaml": ("AuthorizationPolicy",),
    "request-authentication.yaml": ("RequestAuthentication",),
}
HEADER = """\
# GENERATED from charts/loyalty (release "loyalty", namespace "loyalty"); do not edit by hand.
# Regenerate: .venv/bin/python -m scripts.grpc_calls --write
# Prefer the chart (istio.enabled=true); these are for `kubectl apply -n loyalty -f istio/`.
"""


def contents() -> dict[str, str]:
    import yaml

    docs = chart.render(VALUES)
    out = {}
    for name, kinds in FILES.items():
        chosen = [d for d in docs if d["kind"] in kinds]
        chosen.sort(key=lambda d: (kinds.index(d["kind"]), d["metadata"]["name"]))
        for d in chosen:  # Helm bookkeeping labels mean nothing outside a release
            for key in ("helm.sh/chart", "app.kubernetes.io/managed-by"):
                d["metadata"].get("labels", {}).pop(key, None)
        out[name] = HEADER + "".join("---\n" + yaml.safe_dump(d, sort_keys=False) for d in chosen)
    return out


def write() -> list[pathlib.Path]:
    written = []
    for name, text in contents().items():
        path = ISTIO_DIR / name
        path.write_text(text)
        written.append(path)
    return written
