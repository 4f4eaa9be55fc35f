"""Run a real Kubernetes control plane (etcd + kube-apiserver + kube-controller-manager) for tests.

The binaries come from ``scripts/kube/build-apiserver.sh``, which builds Kubernetes 1.20.2 from
Debian's source package once and caches it outside the checkout
(``${LOYALTY_CACHE:-~/.cache/loyalty}/kube-1.20.2/bin``). Set ``LOYALTY_KUBE_BIN_DIR`` to use
binaries from somewhere else.

Usage::

    with running_apiserver(tmp_path) as kube:
        kube.kubeconfig  # path to a kubeconfig with an admin (system:masters) token
        kube.server      # "https://127.0.0.1:<port>"
        kube.token       # bearer token
        status, body = kube.request("GET", "/api/v1/namespaces")

No kubelet runs: pods are stored but never scheduled or started.
Stdlib only (plus the ``openssl`` and ``etcd`` executables).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pathlib
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Iterator

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO_ROOT / "scripts" / "kube" / "build-apiserver.sh"

_INSECURE_TLS = ssl.create_default_context()
_INSECURE_TLS.check_hostname = False
_INSECURE_TLS.verify_mode = ssl.CERT_NONE


class KubeStartError(RuntimeError):
    """The control plane did not come up; the message carries the relevant log tail."""


@dataclass
class KubeApiServer:
    server: str
    token: str
    kubeconfig: pathlib.Path
    workdir: pathlib.Path
    bin_dir: pathlib.Path
    etcd_url: str
    logs: dict[str, pathlib.Path] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        timeout: float = 30.0,
    ) -> tuple[int, Any]:
        """Call the API server; returns (HTTP status, decoded JSON body or text). Never raises on 4xx/5xx."""
        data = None
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        req = urllib.request.Request(self.server + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, context=_INSECURE_TLS, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        text = raw.decode("utf-8", "replace")
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def log_tail(self, name: str, lines: int = 40) -> str:
        return _tail(self.logs[name], lines)


# --------------------------------------------------------------------------- helpers


def find_binaries(timeout: float = 1800.0) -> pathlib.Path:
    """Return the dir holding kube-apiserver and kube-controller-manager, building them if needed."""
    override = os.environ.get("LOYALTY_KUBE_BIN_DIR")
    if override:
        return pathlib.Path(override)
    proc = subprocess.run(
        ["bash", str(BUILD_SCRIPT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise KubeStartError(
            f"{BUILD_SCRIPT} failed with exit code {proc.returncode}:\n"
            + "\n".join(proc.stderr.splitlines()[-60:])
        )
    bin_dir = pathlib.Path(proc.stdout.strip().splitlines()[-1])
    for name in ("kube-apiserver", "kube-controller-manager"):
        if not (bin_dir / name).is_file():
            raise KubeStartError(f"{BUILD_SCRIPT} reported {bin_dir} but {name} is missing there")
    return bin_dir


def _free_port() -> int:
    from tests.fixtures.postgres import free_port  # below the ephemeral range: see there

    return free_port()


def _tail(path: pathlib.Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"<no log: {exc}>"


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    """Ask Linux to SIGKILL the child if the test process dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:  # pragma: no cover - best effort
        pass


def _start(argv: list[str], log: pathlib.Path) -> subprocess.Popen:
    fh = open(log, "ab")
    # setpriv (util-linux) asks Linux to kill the child with the test process, without running
    # Python between fork and exec: gRPC threads live in this process and their fork handlers
    # made a child abort once.
    setpriv = shutil.which("setpriv") if sys.platform.startswith("linux") else None
    try:
        return subprocess.Popen(
            [setpriv, "--pdeathsig", "KILL", *argv] if setpriv else argv,
            stdin=subprocess.DEVNULL,
            stdout=fh,
            stderr=subprocess.STDOUT,
            preexec_fn=None if setpriv or not sys.platform.startswith("linux") else _die_with_parent,
        )
    finally:
        fh.close()


def _stop(procs: list[subprocess.Popen], grace: float = 5.0) -> None:
    """Stop one after the other (SIGTERM, then SIGKILL after `grace` seconds each)."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


def _wait_until(what: str, check, timeout: float, procs: dict[str, tuple[subprocess.Popen, pathlib.Path]], log_of: str) -> None:
    deadline = time.monotonic() + timeout
    last = "not tried"
    while time.monotonic() < deadline:
        for name, (p, log) in procs.items():
            if p.poll() is not None:
                raise KubeStartError(
                    f"{name} exited with code {p.returncode} while waiting for {what}; "
                    f"last lines of {log}:\n{_tail(log)}"
                )
        try:
            ok, last = check()
            if ok:
                return
        except (OSError, urllib.error.URLError) as exc:
            last = repr(exc)
        time.sleep(0.25)
    log = procs[log_of][1]
    raise KubeStartError(
        f"timed out after {timeout:.0f}s waiting for {what} (last result: {last}); "
        f"last lines of {log}:\n{_tail(log)}"
    )


def _http_get(url: str, token: str | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, context=_INSECURE_TLS, timeout=5) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _write_kubeconfig(path: pathlib.Path, server: str, token: str) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "admin", "namespace": "default"}}],
        "current-context": "test",
    }
    # JSON is valid YAML, so every kubeconfig reader (client-go, kubectl, python clients) accepts it.
    path.write_text(json.dumps(config, indent=2) + "\n")
    path.chmod(0o600)


# --------------------------------------------------------------------------- main entry


@contextlib.contextmanager
def running_apiserver(workdir: pathlib.Path, *, ready_timeout: float = 90.0) -> Iterator[KubeApiServer]:
    """Start etcd, kube-apiserver and kube-controller-manager on loopback; stop them on exit."""
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    bin_dir = find_binaries()
    etcd_bin = os.environ.get("LOYALTY_ETCD") or "etcd"

    pki = workdir / "pki"
    pki.mkdir(exist_ok=True)
    _openssl("genrsa", "-out", str(pki / "sa.key"), "2048")
    _openssl("rsa", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub"))
    _openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        "-keyout", str(pki / "serving.key"), "-out", str(pki / "serving.crt"),
        "-subj", "/CN=kube-apiserver",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc",
    )  # fmt: skip
    token = secrets.token_hex(24)
    token_file = pki / "tokens.csv"
    token_file.write_text(f'{token},admin,admin,"system:masters"\n')
    token_file.chmod(0o600)

    etcd_port, etcd_peer, api_port = _free_port(), _free_port(), _free_port()
    etcd_url = f"http://127.0.0.1:{etcd_port}"
    server = f"https://127.0.0.1:{api_port}"
    kubeconfig = workdir / "kubeconfig"
    _write_kubeconfig(kubeconfig, server, token)
    logs = {name: workdir / f"{name}.log" for name in ("etcd", "kube-apiserver", "kube-controller-manager")}

    procs: dict[str, tuple[subprocess.Popen, pathlib.Path]] = {}
    try:
        # ---- etcd
        peer = f"http://127.0.0.1:{etcd_peer}"
        procs["etcd"] = (
            _start(
                [
                    etcd_bin,
                    "--name=test",
                    f"--data-dir={workdir / 'etcd'}",
                    f"--listen-client-urls={etcd_url}",
                    f"--advertise-client-urls={etcd_url}",
                    f"--listen-peer-urls={peer}",
                    f"--initial-advertise-peer-urls={peer}",
                    f"--initial-cluster=test={peer}",
                    "--initial-cluster-state=new",
                    "--logger=zap",
                    "--log-level=warn",
                ],
                logs["etcd"],
            ),
            logs["etcd"],
        )
        _wait_until(
            "etcd /health",
            lambda: (lambda s: (s[0] == 200 and '"true"' in s[1], s))(_http_get(etcd_url + "/health")),
            30,
            procs,
            "etcd",
        )

        # ---- kube-apiserver
        procs["kube-apiserver"] = (
            _start(
                [
                    str(bin_dir / "kube-apiserver"),
                    f"--etcd-servers={etcd_url}",
                    "--bind-address=127.0.0.1",
                    "--advertise-address=127.0.0.1",
                    f"--secure-port={api_port}",
                    "--insecure-port=0",
                    f"--cert-dir={pki}",
                    f"--tls-cert-file={pki / 'serving.crt'}",
                    f"--tls-private-key-file={pki / 'serving.key'}",
                    f"--token-auth-file={token_file}",
                    "--authorization-mode=RBAC",
                    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                    f"--service-account-key-file={pki / 'sa.pub'}",
                    f"--service-account-signing-key-file={pki / 'sa.key'}",
                    "--service-cluster-ip-range=10.96.0.0/16",
                    "--endpoint-reconciler-type=none",
                    "--allow-privileged=true",
                    "--profiling=false",
                    "--v=1",
                ],
                logs["kube-apiserver"],
            ),
            logs["kube-apiserver"],
        )
        _wait_until(
            "kube-apiserver /readyz",
            lambda: (lambda s: (s[0] == 200, f"HTTP {s[0]}: {s[1][-300:]}"))(_http_get(server + "/readyz", token)),
            ready_timeout,
            procs,
            "kube-apiserver",
        )

        # ---- kube-controller-manager (garbage collection, namespace deletion, service accounts)
        procs["kube-controller-manager"] = (
            _start(
                [
                    str(bin_dir / "kube-controller-manager"),
                    f"--kubeconfig={kubeconfig}",
                    "--controllers=garbagecollector,namespace,serviceaccount,serviceaccount-token",
                    f"--service-account-private-key-file={pki / 'sa.key'}",
                    f"--root-ca-file={pki / 'serving.crt'}",
                    "--leader-elect=false",
                    "--secure-port=0",
                    "--port=0",
                    f"--cert-dir={pki}",
                    "--profiling=false",
                    "--v=1",
                ],
                logs["kube-controller-manager"],
            ),
            logs["kube-controller-manager"],
        )

        api = KubeApiServer(
            server=server,
            token=token,
            kubeconfig=kubeconfig,
            workdir=workdir,
            bin_dir=bin_dir,
            etcd_url=etcd_url,
            logs=logs,
        )

        def default_sa_exists() -> tuple[bool, str]:
            status, _ = api.request("GET", "/api/v1/namespaces/default/serviceaccounts/default", timeout=5)
            return status == 200, f"HTTP {status}"

        # The serviceaccount controller creating "default/default" shows the controller manager is working.
        _wait_until("kube-controller-manager (default service account)", default_sa_exists, ready_timeout, procs,
                    "kube-controller-manager")  # fmt: skip
        yield api
    finally:
        # Stop in reverse start order: controller manager, apiserver, etcd.
        _stop([p for p, _ in reversed(list(procs.values()))])
