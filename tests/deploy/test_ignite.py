"""The chart's Ignite is configured for the platform's caches: the same names and lifetimes as the code
and the development node, discovery through the Kubernetes IP finder with a Role for its endpoints only,
persistence off, memory bounded, a disruption budget, every client pointed at it, and the mesh letting in
exactly the ports and callers that need it."""

import re
import xml.etree.ElementTree as ET

from services.common.cache.store import CACHES
from tests.deploy import chart

ON = {"ignite": {"enabled": True}, "istio": {"enabled": True}, "authorizationPolicies": {"create": True},
      "networkPolicies": {"create": True}}
BEANS = "{http://www.springframework.org/schema/beans}"


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def declared_caches(xml_text: str) -> dict[str, int]:
    root = ET.fromstring(xml_text)
    found = {}
    for bean in root.iter(f"{BEANS}bean"):
        if bean.get("class") != "org.apache.ignite.configuration.CacheConfiguration":
            continue
        props = {p.get("name"): p for p in bean.findall(f"{BEANS}property")}
        args = [a.get("value") for a in props["expiryPolicyFactory"].iter(f"{BEANS}constructor-arg") if a.get("value")]
        assert args[0] == "SECONDS"
        found[props["name"].get("value")] = int(args[1])
    return found


def test_the_chart_and_the_dev_node_declare_the_codes_caches():
    expected = {f"loyalty_{name}": int(ttl) for name, ttl in CACHES.items()}
    docs = chart.render(ON)
    config = by_kind(docs, "ConfigMap")["loyalty-ignite"]["data"]["ignite.xml"]
    assert declared_caches(config) == expected
    assert declared_caches((chart.ROOT / "scripts" / "ignite" / "node.xml").read_text()) == expected


def test_kubernetes_discovery_no_persistence_bounded_memory_and_a_budget():
    docs = chart.render(ON)
    config = by_kind(docs, "ConfigMap")["loyalty-ignite"]["data"]["ignite.xml"]
    assert "ipfinder.kubernetes.TcpDiscoveryKubernetesIpFinder" in config
    assert '<property name="serviceName" value="loyalty-ignite-headless"/>' in config
    assert '<property name="persistenceEnabled" value="false"/>' in config
    off_heap = int(re.search(r'name="maxSize" value="#\{(\d+)L \* 1024 \* 1024\}"', config).group(1))
    pod = by_kind(docs, "StatefulSet")["loyalty-ignite"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    heap = int(re.search(r"-Xmx(\d+)m", next(e["value"] for e in container["env"] if e["name"] == "JVM_OPTS")).group(1))
    limit = container["resources"]["limits"]["memory"]
    assert limit.endswith("Mi") and heap + off_heap < int(limit[:-2])
    assert pod["automountServiceAccountToken"] is True and pod["serviceAccountName"] == "loyalty-ignite"
    assert "volumeClaimTemplates" not in by_kind(docs, "StatefulSet")["loyalty-ignite"]["spec"]
    (role,) = [r for r in by_kind(docs, "Role").values() if r["metadata"]["name"] == "loyalty-ignite-discovery"]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["endpoints"],
                              "resourceNames": ["loyalty-ignite-headless"], "verbs": ["get"]}]
    assert by_kind(docs, "PodDisruptionBudget")["loyalty-ignite"]["spec"]["maxUnavailable"] == 1
    assert by_kind(docs, "ConfigMap")["loyalty-config"]["data"]["IGNITE_ADDRESSES"] == "loyalty-ignite:10800"


def test_the_mesh_and_the_network_let_in_exactly_the_cache_clients_and_the_peers():
    docs = chart.render(ON)
    policy = by_kind(docs, "AuthorizationPolicy")["loyalty-ignite"]["spec"]
    rules = {tuple(r["to"][0]["operation"]["ports"]): sorted(r["from"][0]["source"]["principals"])
             for r in policy["rules"]}
    sa = "cluster.local/ns/{}/sa/loyalty-{}".format
    assert rules == {("47500", "47100"): [sa(chart.NAMESPACE, "ignite")],
                     ("10800",): [sa(chart.NAMESPACE, "gateway"), sa(chart.NAMESPACE, "points")]}
    ingress = by_kind(docs, "NetworkPolicy")["loyalty-ignite"]["spec"]["ingress"]
    assert [sorted(p["port"] for p in rule["ports"]) for rule in ingress] == [["communication", "discovery"],
                                                                            ["thin-client"]]
    selectors = [peer["podSelector"]["matchLabels"] for peer in ingress[1]["from"]]
    clients = sorted((s["app.kubernetes.io/name"], s["app.kubernetes.io/component"]) for s in selectors)
    assert clients == [("gateway", "server"), ("points", "job"), ("points", "server")]
    # the points CronJobs' pods (they write the member cards of what they post) are the ones let in
    (job_selector,) = [s for s in selectors if s["app.kubernetes.io/component"] == "job"]
    points_jobs = [c for c in by_kind(docs, "CronJob").values()
                   if c["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
                   == "points"]
    assert points_jobs
    for cron in points_jobs:
        labels = cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
        assert job_selector.items() <= labels.items()


def test_no_ignite_no_address():
    docs = chart.render({"ignite": {"enabled": False}})
    assert "IGNITE_ADDRESSES" not in by_kind(docs, "ConfigMap")["loyalty-config"]["data"]
    assert "loyalty-ignite" not in by_kind(docs, "StatefulSet")
