"""Render charts/loyalty in-process (helm-python-sdk: Helm's own library, no cluster, no CLI) and
validate what comes out: core kinds against the Kubernetes OpenAPI schemas (strict, offline,
kubernetes-validate), Istio kinds against cloudcoil's pydantic models (unknown fields refused)."""

import copy
import functools
import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "loyalty"
RELEASE, NAMESPACE = "loyalty", "loyalty"
KUBE_VERSION = "1.30.0"  # the oldest Kubernetes the chart supports on GKE's stable channel
# The one value without a usable default: where PostgreSQL is.
REQUIRED = {"database": {"host": "10.1.2.3"}}


class _StrictLoader(yaml.SafeLoader):
    """YAML that refuses duplicate keys (Kubernetes would keep the last one silently)."""


def _mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in override.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


@functools.lru_cache(maxsize=1)
def _chart():
    import helm_python

    return helm_python.Chart.load(str(CHART))


def render_files(values: dict | None = None, *, release: str = RELEASE, namespace: str = NAMESPACE) -> dict[str, str]:
    """Template path -> rendered text, with REQUIRED under `values`."""
    return _chart().render(merge(REQUIRED, values or {}), name=release, namespace=namespace,
                           is_install=True)


def documents(text: str) -> list[dict]:
    return [d for d in yaml.load_all(text, Loader=_StrictLoader) if d]


def render(values: dict | None = None, **kw) -> list[dict]:
    """Every rendered Kubernetes object (the chart's templates; crds/ are installed as they are)."""
    docs = []
    for name, text in sorted(render_files(values, **kw).items()):
        docs.extend(documents(text))
    return docs


def crds() -> list[dict]:
    return [d for f in sorted((CHART / "crds").glob("*.yaml")) for d in documents(f.read_text())]


ISTIO_KINDS = {
    ("networking.istio.io/v1", "Gateway"): ("cloudcoil.models.istio.networking.v1", "Gateway"),
    ("networking.istio.io/v1", "VirtualService"): ("cloudcoil.models.istio.networking.v1", "VirtualService"),
    ("networking.istio.io/v1", "DestinationRule"): ("cloudcoil.models.istio.networking.v1", "DestinationRule"),
    ("security.istio.io/v1", "PeerAuthentication"): ("cloudcoil.models.istio.security.v1", "PeerAuthentication"),
    ("security.istio.io/v1", "AuthorizationPolicy"): ("cloudcoil.models.istio.security.v1", "AuthorizationPolicy"),
    ("security.istio.io/v1", "RequestAuthentication"): ("cloudcoil.models.istio.security.v1", "RequestAuthentication"),
}


def _istio_model(api_version: str, kind: str):
    import importlib

    module, name = ISTIO_KINDS[(api_version, kind)]
    return getattr(importlib.import_module(module), name)


def validate(doc: dict) -> None:
    """Raise if the object is not valid for its kind: strict schemas, no unknown fields."""
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key in ISTIO_KINDS:
        model = _istio_model(*key)
        parsed = model.model_validate(doc)  # wrong types and enum values raise here
        back = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
        # The models drop fields they do not know: a round trip that loses anything means a typo.
        if _normalise(back) != _normalise(doc):
            raise ValueError(f"{key[1]} {doc['metadata']['name']}: fields the Istio schema does not know:\n"
                             f"  rendered: {doc}\n  parsed:   {back}")
        return
    import kubernetes_validate

    kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)


def _normalise(value):
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value
