"""Docker cannot build here and skaffold cannot run: the Dockerfile's and skaffold.yaml's structure is
checked instead, and every values file skaffold deploys renders into valid objects."""

import pathlib
import re
import shlex

import yaml

from tests.deploy import chart

ROOT = chart.ROOT
COMPILERS = re.compile(r"\b(gcc|g\+\+|build-essential|clang|make|cc)\b")


def stages() -> list[dict]:
    """[{name, base, lines}] for each FROM of the Dockerfile, ARG defaults substituted."""
    text = (ROOT / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", text)  # join continued lines
    args, out = {}, []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "ARG" and not out and "=" in rest:
            k, v = rest.split("=", 1)
            args[k.strip()] = v.strip()
        elif word == "FROM":
            parts = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), parts[0])
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            out.append({"name": name, "base": base, "lines": []})
        elif out:
            out[-1]["lines"].append((word, rest))
    return out


def test_the_dockerfile_is_multi_stage_with_pinned_bases():
    s = stages()
    assert [x["name"] for x in s] == ["builder", "ui", "runtime"]
    for stage in s:
        base = stage["base"]
        assert "latest" not in base
        assert "@sha256:" in base or re.search(r":\d+\.\d+\.\d+", base), f"{base} is not pinned to an exact version"
    python_bases = {x["base"] for x in s if x["name"] != "ui"}
    assert len(python_bases) == 1 and next(iter(python_bases)).startswith("python:3.11.")


def test_the_builder_installs_the_lock_and_generates_protos():
    (builder,) = [x for x in stages() if x["name"] == "builder"]
    runs = " ".join(rest for word, rest in builder["lines"] if word == "RUN")
    assert "requirements.lock" in runs and "scripts/gen_proto.py" in runs


def test_the_ui_is_built_from_its_lockfile_and_lands_where_the_gateway_serves_it():
    (ui,) = [x for x in stages() if x["name"] == "ui"]
    copies = [rest for word, rest in ui["lines"] if word == "COPY"]
    runs = [rest for word, rest in ui["lines"] if word == "RUN"]
    # the dependency layer (package files, npm ci) comes before the sources, so it stays cached
    assert copies[0].startswith("gateway/ui/package.json gateway/ui/package-lock.json")
    assert "npm ci" in runs[0] and "npm run build" in runs[-1]
    (runtime,) = [x for x in stages() if x["name"] == "runtime"]
    assert ("COPY", "--from=ui /out/ gateway/") in runtime["lines"]


def test_the_runtime_stage_is_small_non_root_and_has_one_entry_point():
    (runtime,) = [x for x in stages() if x["name"] == "runtime"]
    lines = runtime["lines"]
    users = [rest for word, rest in lines if word == "USER"]
    assert users, "the runtime stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root user (runAsNonRoot checks it)"
    assert str(chart._chart().values["podSecurityContext"]["runAsUser"]) == uid
    for word, rest in lines:
        assert not (word == "RUN" and COMPILERS.search(rest)), f"no compilers in the final stage: {rest}"
    copies = [rest for word, rest in lines if word == "COPY"]
    assert any(c.startswith("--from=builder /opt/venv") for c in copies)
    assert any("gen" in c for c in copies)
    env = " ".join(rest for word, rest in lines if word == "ENV")
    assert "PYTHONPATH=/app/gen:/app" in env, "gen/ must be importable (loyalty.*_pb2)"
    (entrypoint,) = [rest for word, rest in lines if word == "ENTRYPOINT"]
    assert yaml.safe_load(entrypoint) == ["python", "-m"]
    (cmd,) = [rest for word, rest in lines if word == "CMD"]
    assert yaml.safe_load(cmd) == ["gateway"]
    assert any(word == "HEALTHCHECK" for word, _ in lines), "say explicitly what checks health"


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git/", ".venv/", ".data/", "gen/", "**/tests/", "**/node_modules/"} <= ignored
    for needed in ("services/", "gateway/", "proto/"):
        assert needed not in ignored


def test_every_entry_point_the_chart_runs_exists():
    """Each `python -m X` of a Deployment or the migrations Job names a module in the checkout."""
    docs = chart.render({"operator": {"enabled": True}, "migrations": {"enabled": True}})
    for d in docs:
        if d["kind"] not in ("Deployment", "Job"):
            continue
        for c in d["spec"]["template"]["spec"]["containers"]:
            if c["command"][:2] != ["python", "-m"]:
                continue
            module = pathlib.Path(*c["command"][2].split("."))
            assert (ROOT / module.with_suffix(".py")).exists() or (ROOT / module / "__main__.py").exists(), \
                f"{d['kind']}/{d['metadata']['name']}: {shlex.join(c['command'])}"


def skaffold() -> dict:
    return yaml.safe_load((ROOT / "skaffold.yaml").read_text())


def test_skaffold_builds_the_image_and_deploys_the_chart_with_helm():
    config = skaffold()
    assert re.fullmatch(r"skaffold/v4beta\d+", config["apiVersion"]) and config["kind"] == "Config"
    (artifact,) = config["build"]["artifacts"]
    assert artifact["image"] == chart._chart().values["image"]["repository"]
    assert (ROOT / artifact.get("context", ".") / artifact["docker"]["dockerfile"]).exists()
    releases = [config["deploy"]["helm"]["releases"]] + [
        p["deploy"]["helm"]["releases"] for p in config["profiles"]]
    for group in releases:
        for release in group:
            assert (ROOT / release["chartPath"] / "Chart.yaml").exists()
            for f in release.get("valuesFiles", []):
                assert (ROOT / f).exists(), f
            assert release["setValueTemplates"]["image.repository"] == "{{.IMAGE_REPO_loyalty}}"
    assert {p["name"] for p in config["profiles"]} == {"local", "gke"}


def profile_values(name: str) -> dict:
    (profile,) = [p for p in skaffold()["profiles"] if p["name"] == name]
    (release,) = profile["deploy"]["helm"]["releases"]
    values: dict = {}
    for f in release.get("valuesFiles", []):
        values = chart.merge(values, yaml.safe_load((ROOT / f).read_text()))
    return values


def test_the_local_profile_renders_valid_without_mesh_or_ignite():
    values = profile_values("local")
    docs = chart.render(values)
    kinds = {d["kind"] for d in docs}
    assert "StatefulSet" not in kinds and "AuthorizationPolicy" not in kinds
    for d in docs:
        chart.validate(d)


def test_the_gke_profile_renders_valid_with_cloud_sql_and_istio():
    values = chart.merge(profile_values("gke"), {"database": {"host": "10.20.0.3"},
                                                 "istio": {"ingress": {"hosts": ["loyalty.example.com"]}}})
    docs = chart.render(values)
    kinds = {d["kind"] for d in docs}
    assert {"AuthorizationPolicy", "PeerAuthentication", "Gateway", "NetworkPolicy"} <= kinds
    for d in docs:
        chart.validate(d)
