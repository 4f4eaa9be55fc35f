"""The chart renders with its defaults and with every switch on and off, and every object it renders
is valid for its kind (Kubernetes schemas, strict; Istio models) and follows the platform's rules."""

import pytest

from tests.deploy import chart

GRPC = ("member", "points", "tier", "rewards", "billing")
ALL_ON = {
    "istio": {"enabled": True, "ingress": {"tlsCredentialName": "loyalty-tls"},
              "requestAuthentication": {"enabled": True, "issuer": "https://auth.example.com/",
                                        "jwksUri": "https://auth.example.com/jwks.json"}},
    "authorizationPolicies": {"create": True},
    "networkPolicies": {"create": True, "gatewayFrom": [{"namespaceSelector": {"matchLabels": {"name": "edge"}}}]},
    "ignite": {"enabled": True, "persistence": {"enabled": True, "storageClass": "standard-rwo"}},
    "operator": {"enabled": True, "clusterWide": True, "watchNamespaces": "loyalty-*"},
    "migrations": {"enabled": True},
    "gateway": {"autoscaling": {"enabled": True}},
    "cronJobs": {"jobs": {name: {"enabled": True} for name in ("points-birthday", "importer-partner-files")}},
    "auth": {"existingSecret": "", "jwtSecret": "dev-only"},
    "smtp": {"password": "dev-only", "username": "loyalty"},
    "image": {"digest": "sha256:" + "a" * 64},
}
ALL_OFF = {
    "istio": {"enabled": False}, "authorizationPolicies": {"create": False}, "networkPolicies": {"create": False},
    "ignite": {"enabled": False}, "operator": {"enabled": False}, "migrations": {"enabled": False},
    "gateway": {"autoscaling": {"enabled": False}},
    "cronJobs": {"jobs": {name: {"enabled": False} for name in chart._chart().values["cronJobs"]["jobs"]}},
}
# Each switch flipped alone from the defaults.
SWITCHES = {
    "istio.enabled": {"istio": {"enabled": True}},
    "authorizationPolicies.create=false+istio": {"istio": {"enabled": True}, "authorizationPolicies": {"create": False}},
    "networkPolicies.create": {"networkPolicies": {"create": True}},
    "ignite.enabled": {"ignite": {"enabled": True}},
    "operator.enabled=false": {"operator": {"enabled": False}},
    "operator.clusterWide": {"operator": {"clusterWide": True}},
    "migrations.enabled=false": {"migrations": {"enabled": False}},
    "gateway.autoscaling.enabled=false": {"gateway": {"autoscaling": {"enabled": False}}},
    "istio.requestAuthentication.enabled": {"istio": {"enabled": True, "requestAuthentication": {
        "enabled": True, "issuer": "https://i.example.com/", "jwks": '{"keys": []}'}}},
}
SCENARIOS = {"defaults": {}, "all-on": ALL_ON, "all-off": ALL_OFF, **SWITCHES}


@pytest.fixture(scope="module", params=sorted(SCENARIOS), ids=sorted(SCENARIOS))
def rendered(request) -> list[dict]:
    return chart.render(SCENARIOS[request.param])


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: list[dict]) -> list[tuple[str, dict]]:
    out = []
    for d in docs:
        if d["kind"] in ("Deployment", "StatefulSet", "Job"):
            out.append((d["metadata"]["name"], d["spec"]["template"]["spec"]))
        elif d["kind"] == "CronJob":
            out.append((d["metadata"]["name"], d["spec"]["jobTemplate"]["spec"]["template"]["spec"]))
    return out


def test_every_document_is_valid_for_its_kind(rendered):
    for doc in rendered:
        try:
            chart.validate(doc)
        except Exception as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {exc}")


def test_names_are_unique_per_kind(rendered):
    seen = [(d["kind"], d["metadata"]["name"]) for d in rendered]
    assert len(seen) == len(set(seen))


def test_every_pod_runs_non_root_read_only_without_capabilities(rendered):
    for name, spec in pod_specs(rendered):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] > 0, name
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for c in spec["containers"]:
            sc = c["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert c["resources"]["requests"] and c["resources"]["limits"], name
            assert any(m["mountPath"] == "/tmp" for m in c["volumeMounts"]), name
        assert any(v["name"] == "tmp" and "emptyDir" in v for v in spec["volumes"]), name


def test_each_grpc_service_has_its_account_deployment_service_and_budget(rendered):
    accounts, deployments = by_kind(rendered, "ServiceAccount"), by_kind(rendered, "Deployment")
    services, budgets = by_kind(rendered, "Service"), by_kind(rendered, "PodDisruptionBudget")
    for svc in GRPC:
        name = f"loyalty-{svc}"
        assert name in accounts and name in budgets
        dep = deployments[name]["spec"]["template"]["spec"]
        assert dep["serviceAccountName"] == name
        (container,) = dep["containers"]
        assert container["command"] == ["python", "-m", f"services.{svc}"]
        (port,) = container["ports"]
        assert port["name"] == "grpc"
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == port["containerPort"], (svc, probe)
        env = {e["name"]: e for e in container["env"]}
        assert env["DATABASE_URL"]["value"].startswith(f"postgresql://loyalty_{svc}@10.1.2.3:5432/loyalty")
        assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "loyalty-db", "key": f"{svc}-password"}
        assert [p["name"] for p in services[name]["spec"]["ports"]] == ["grpc"]


def test_the_gateway_serves_http_with_healthz_probes(rendered):
    dep = by_kind(rendered, "Deployment")["loyalty-gateway"]["spec"]["template"]["spec"]
    (container,) = dep["containers"]
    assert container["command"] == ["python", "-m", "gateway"]
    assert [p["name"] for p in container["ports"]] == ["http"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    env = {e["name"]: e for e in container["env"]}
    assert "secretKeyRef" in env["JWT_SECRET"]["valueFrom"] and env["GATEWAY_HOST"]["value"] == "0.0.0.0"
    assert [p["name"] for p in by_kind(rendered, "Service")["loyalty-gateway"]["spec"]["ports"]] == ["http"]


def test_every_setting_a_service_requires_is_provided(rendered):
    """The variables without defaults in the settings classes are set for every component that reads them."""
    config = by_kind(rendered, "ConfigMap")["loyalty-config"]["data"]
    deployments = by_kind(rendered, "Deployment")
    required = {"member": {"DATABASE_URL", "GRPC_PORT", "POINTS_ADDR"}, "gateway": {
        "MEMBER_ADDR", "POINTS_ADDR", "TIER_ADDR", "REWARDS_ADDR", "BILLING_ADDR", "JWT_SECRET"}}
    for svc in GRPC[1:]:
        required[svc] = {"DATABASE_URL", "GRPC_PORT"}
    for component, names in required.items():
        container = deployments[f"loyalty-{component}"]["spec"]["template"]["spec"]["containers"][0]
        present = set(config) | {e["name"] for e in container["env"]}
        assert names <= present, (component, names - present)
    assert config["GRPC_HOST"] == "0.0.0.0" and config["MIGRATE_ON_START"] == "false"
    assert config["POINTS_ADDR"] == "loyalty-points:50052"


def test_image_tag_defaults_to_the_app_version():
    app_version = chart._chart().metadata["appVersion"]
    images = {c["image"] for _, spec in pod_specs(chart.render()) for c in spec["containers"]}
    assert images == {f"loyalty:{app_version}"}


def test_migrations_run_as_a_pre_install_and_pre_upgrade_hook():
    (job,) = by_kind(chart.render(), "Job").values()
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "services.common.dev.migrate_all", "--setup"]
    env = {e["name"] for e in container["env"]}
    assert {"DATABASE_ADMIN_URL", "PGPASSWORD"} <= env
    assert {f"LOYALTY_DB_PASSWORD_{s.upper()}" for s in GRPC} <= env
    assert {f"DATABASE_URL_{s.upper()}" for s in GRPC} <= env
    # Hooks run before the chart's ConfigMap and Secrets exist: nothing may come from them.
    assert "envFrom" not in container


def test_each_enabled_batch_job_is_a_cronjob_running_its_module():
    values = chart._chart().values["cronJobs"]["jobs"]
    cronjobs = by_kind(chart.render(), "CronJob")
    enabled = {n: j for n, j in values.items() if j["enabled"]}
    assert {"points-expire", "points-release-holds", "tier-evaluate", "member-refresh-segments",
            "billing-close-period"} <= set(enabled)
    assert set(cronjobs) == {f"loyalty-{n}" for n in enabled}
    for name, job in enabled.items():
        spec = cronjobs[f"loyalty-{name}"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        assert spec["containers"][0]["command"] == ["python", "-m", f"services.{job['service']}.jobs", *job["args"]]
        assert spec["serviceAccountName"] == f"loyalty-{job['service']}"


def test_batch_jobs_name_commands_their_module_knows():
    """Where services/<svc>/jobs.py exists, each enabled job's command is a job it declares."""
    defined = defined_jobs()
    missing = []
    for name, job in chart._chart().values["cronJobs"]["jobs"].items():
        module = chart.ROOT / "services" / job["service"] / "jobs.py"
        if job["enabled"] and module.exists() and job["args"][0] not in defined[job["service"]]:
            missing.append(f"{name}: {job['args'][0]!r} not a job of {module.relative_to(chart.ROOT)}")
    assert not missing


def defined_jobs() -> dict[str, set[str]]:
    """service -> the job names its jobs.py declares (with services.common.jobs, the runner itself)."""
    import importlib

    return {module.parent.name: set(importlib.import_module(f"services.{module.parent.name}.jobs").jobs.names())
            for module in sorted((chart.ROOT / "services").glob("*/jobs.py")) if module.parent.name != "common"}


def test_every_cronjob_command_line_runs_its_help():
    """Each CronJob's command, enabled or not, is one its module accepts: `<command> --help` exits 0."""
    import subprocess
    import sys

    every = {"cronJobs": {"jobs": {name: {"enabled": True} for name in chart._chart().values["cronJobs"]["jobs"]}}}
    cronjobs = by_kind(chart.render(every), "CronJob")
    assert cronjobs
    running = {}
    for name, cronjob in cronjobs.items():
        command = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
        assert command[:2] == ["python", "-m"], name
        running[name] = subprocess.Popen([sys.executable, *command[1:], "--help"], cwd=chart.ROOT,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    refused = {}
    for name, proc in running.items():
        out, err = proc.communicate(timeout=120)
        if proc.returncode != 0 or "usage:" not in out:
            refused[name] = (proc.returncode, err.strip().splitlines()[-1:] if err else out[:200])
    assert not refused, refused


def test_every_batch_job_the_code_defines_has_a_cronjob_entry():
    """A job added to some services/<svc>/jobs.py needs its entry in values.yaml cronJobs.jobs (enabled or not)."""
    listed = {(j["service"], j["args"][0]) for j in chart._chart().values["cronJobs"]["jobs"].values()}
    defined = {(svc, job) for svc, jobs in defined_jobs().items() for job in jobs}
    assert not defined - listed, f"add to charts/loyalty/values.yaml cronJobs.jobs: {sorted(defined - listed)}"


def test_operator_rbac_covers_its_resources_for_the_crds_group():
    docs = chart.render({"operator": {"enabled": True}})
    (role,) = by_kind(docs, "Role").values()
    granted = {(g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
    groups = {c["spec"]["group"] for c in chart.crds()} or {"loyalty.dev"}
    for group in groups:
        assert (group, "loyaltyprograms") in granted and (group, "loyaltyprograms/status") in granted
    assert {("", "secrets"), ("", "events"), ("security.istio.io", "authorizationpolicies")} <= granted
    dep = by_kind(docs, "Deployment")["loyalty-operator"]["spec"]["template"]["spec"]
    assert dep["containers"][0]["command"] == ["python", "-m", "services.operator"]
    assert dep["serviceAccountName"] == "loyalty-operator"
    assert by_kind(chart.render({"operator": {"clusterWide": True}}), "ClusterRoleBinding")


def test_crds_ship_in_the_chart_and_are_valid():
    for crd in chart.crds():
        chart.validate(crd)


def test_switches_add_and_remove_their_resources():
    off = {d["kind"] for d in chart.render(ALL_OFF)}
    on = {d["kind"] for d in chart.render(ALL_ON)}
    optional = {"HorizontalPodAutoscaler", "NetworkPolicy", "StatefulSet", "Gateway", "VirtualService",
                "PeerAuthentication", "DestinationRule", "AuthorizationPolicy", "RequestAuthentication",
                "ClusterRole", "Job", "CronJob"}
    assert optional <= on
    assert not optional & off


def test_the_validator_refuses_unknown_fields_and_bad_values():
    """The proof above means something only if a typo fails it."""
    docs = chart.render(ALL_ON)
    dep = next(d for d in docs if d["kind"] == "Deployment")
    dep["spec"]["template"]["spec"]["containers"][0]["readinessProb"] = {}
    with pytest.raises(Exception):
        chart.validate(dep)
    policy = next(d for d in docs if d["kind"] == "AuthorizationPolicy")
    policy["spec"]["rules"][0]["to"][0]["operation"]["path"] = ["/x"]
    with pytest.raises(Exception):
        chart.validate(policy)
    peer = next(d for d in docs if d["kind"] == "PeerAuthentication")
    peer["spec"]["mtls"]["mode"] = "STRICTEST"
    with pytest.raises(Exception):
        chart.validate(peer)


def test_helm_lint_passes():
    import helm_python

    report = helm_python.lint(str(chart.CHART), chart.REQUIRED, strict=True, namespace="loyalty")
    problems = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
    assert not problems, problems
    report = helm_python.lint(str(chart.CHART), chart.merge(chart.REQUIRED, ALL_ON), strict=True)
    assert not [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]


def test_every_value_is_documented():
    """Each leaf key of values.yaml (or its parent block) has a `## @param` line."""
    text = (chart.CHART / "values.yaml").read_text()
    documented = {line.split()[2] for line in text.splitlines() if line.strip().startswith("## @param")}

    def leaves(node, prefix=""):
        for k, v in node.items():
            path = f"{prefix}{k}"
            if path in documented:
                continue
            if isinstance(v, dict) and v:
                yield from leaves(v, path + ".")
            else:
                yield path

    assert not list(leaves(chart._chart().values))


def test_a_missing_database_host_stops_the_render_with_its_name():
    import helm_python

    with pytest.raises(helm_python.HelmError, match="database.host"):
        chart._chart().render({}, name="loyalty", namespace="loyalty", is_install=True)
