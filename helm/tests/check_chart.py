#!/usr/bin/env python3
"""Checks of the provisioner Helm chart, run by scripts/check-helm.sh.

For the default values and for each examples/*.yaml of the chart, three stages:

  lint      `helm lint --strict` (templates, Chart.yaml, values.schema.json);
  validate  `helm template`, then `kubernetes-validate --strict` for the oldest and the
            newest Kubernetes version the chart supports. A kind without a known schema
            only warns in kubernetes-validate; here that fails, except for the CRD kinds
            in CRD_KINDS (the ServiceMonitor), which the next stage checks instead;
  mounts    the rendered objects fit together and fit the provisioner: the Deployment
            runs `provisioner serve --config /etc/provisioner/provisioner.toml`, mounts
            the ConfigMap at /etc/provisioner and the Secret at /var/run/secrets/provisioner
            read-only, and every path the provisioner reads (the config file, the policy
            it names, PROVISIONER_CREDS, PROVISIONER_NKEYS_PATH with each signing key the
            policy names, PROVISIONER_ACCOUNT_JWT) lands on a file those mounts project.
            Option and variable names are checked against the provisioner's source.
            With portal.enabled, the portal's Deployment too (portal_checks.py).

With --regions DIR (helm/regions), the three stages also run for each
examples/region-<region>-values.yaml layered on an estate's values (--region-estate, as
the documentation installs it), and a fourth stage:

  regions   the values of one release per region: helm/regions' values of the official
            `nats` chart and the provisioner's region examples fit together (names, tags,
            gateways, the one registry's home region, the leaf node's remotes), and each
            nats release renders with the copy of the chart in --nats-chart into objects
            kubernetes-validate takes and a nats.conf that says the same and passes
            `nats-server -t` (regions_checks.py).

With --broken DIR, each fixture DIR/*.yaml (a list of text edits to a copy of the chart
and of the regions folder beside it, `../regions/…`) must make these checks fail, at the
stage and with the message the fixture expects; the run fails if a broken chart passes.

Exit status: 0 when everything expected held, 1 otherwise. Needs PyYAML (it comes with
kubernetes-validate in .tools/venv).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from types import SimpleNamespace
from pathlib import Path

import yaml

from portal_checks import portal_checks
from regions_checks import rendered_checks, values_checks

# What the provisioner reads by default in the image; the chart must mount accordingly.
CONFIG_DIR = "/etc/provisioner"
CONFIG_FILE = f"{CONFIG_DIR}/provisioner.toml"
SECRET_DIR = "/var/run/secrets/provisioner"
NKEYS_DIR = f"{SECRET_DIR}/nkeys"
AGENT_SECRET_DIR = "/var/run/secrets/agent"
# Kinds whose schema kubernetes-validate does not have (CRDs); checked here instead.
CRD_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}
# Oldest (Chart.yaml kubeVersion) and newest Kubernetes versions validated against.
KUBERNETES_VERSIONS = ("1.25.0", "1.37.0")
RELEASE = "prov"
NAMESPACE = "provisioner-test"
PUBLIC_ACCOUNT_KEY = re.compile(r"public_key\s*=\s*\"(A[A-Z2-7]{55})\"")
STAGES = ("lint", "validate", "mounts", "regions")


class StageFailure(Exception):
    """A stage failed; the message says why."""

    def __init__(self, stage: str, message: str):
        super().__init__(f"{stage}: {message}")
        self.stage = stage
        self.message = message


@dataclass
class Tools:
    helm: str
    kubernetes_validate: str
    source_root: Path
    # For the regions stage: the nats chart's copy, nats-server, the estate's values.
    nats_chart: Path | None = None
    nats_server: str | None = None
    region_estate: Path | None = None


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0

    def ok(self, what: str) -> None:
        self.passed += 1
        print(f"ok    {what}")

    def fail(self, what: str, why: str) -> None:
        self.failed += 1
        print(f"FAIL  {what}\n      {why}")


def run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


# --- what the provisioner accepts, read from its source -----------------------------


def provisioner_names(source_root: Path) -> tuple[set[str], set[str]]:
    """The PROVISIONER_* variables `provisioner serve` reads and the config file keys it
    accepts: the `env = "PROVISIONER_…"` of `struct ServeArgs`, the logging variables,
    and the fields of `struct FileConfig` (the file's shape; unknown keys are refused)."""
    env: set[str] = set()
    serve_args = callout_args = file_config = None
    for path in sorted((source_root / "provisioner/src").rglob("*.rs")):
        text = path.read_text()
        if path.name == "logging.rs":
            env |= set(re.findall(r'"(PROVISIONER_LOG[A-Z_]*)"', text))
        serve_args = serve_args or re.search(r"struct ServeArgs \{(.*?)\n\}", text, re.S)
        # The callout flags are flattened into ServeArgs.
        callout_args = callout_args or re.search(r"struct CalloutArgs \{(.*?)\n\}", text, re.S)
        file_config = file_config or re.search(r"struct FileConfig \{(.*?)\n\}", text, re.S)
    if serve_args is None or callout_args is None or file_config is None:
        raise SystemExit("check_chart: no struct ServeArgs, CalloutArgs or FileConfig in provisioner/src")
    for args in (serve_args, callout_args):
        env |= set(re.findall(r'env = "(PROVISIONER_[A-Z_]+)"', args.group(1)))
    # Fields may carry a visibility (`pub(crate) subject: …`).
    keys = set(
        re.findall(r"^\s+(?:pub(?:\([^)]*\))?\s+)?([a-z_]+):", file_config.group(1), re.M)
    )
    return env, keys


def parse_toml(text: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11: the chart writes only `key = value` lines
        out = {}
        for line in text.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                out[key.strip()] = json.loads(value.strip())
        return out
    return tomllib.loads(text)


# --- stages -------------------------------------------------------------------------


def value_sets(chart: Path, tools: Tools | None = None) -> list[tuple[str, list[str]]]:
    sets = [("default values", [])]
    for example in sorted((chart / "examples").glob("*.yaml")):
        sets.append((f"examples/{example.name}", ["-f", str(example)]))
    # A region's release as installed: the estate's values, then the region's.
    if tools is not None and tools.region_estate is not None:
        estate = tools.region_estate / "provisioner-values.yaml"
        for example in sorted((chart / "examples").glob("region-*-values.yaml")):
            sets.append((f"estate + examples/{example.name}", ["-f", str(estate), "-f", str(example)]))
    return sets


def stage_lint(tools: Tools, chart: Path, args: list[str]) -> None:
    result = run([tools.helm, "lint", "--strict", str(chart), *args])
    if result.returncode != 0:
        raise StageFailure("lint", (result.stdout + result.stderr).strip())


def render(tools: Tools, chart: Path, args: list[str]) -> str:
    result = run(
        [tools.helm, "template", RELEASE, str(chart), "--namespace", NAMESPACE, *args]
    )
    if result.returncode != 0:
        raise StageFailure("validate", "helm template: " + result.stderr.strip())
    return result.stdout


def stage_validate(tools: Tools, manifest: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(manifest)
        f.flush()
        cmd = [tools.kubernetes_validate, "--strict", "--quiet"]
        for version in KUBERNETES_VERSIONS:
            cmd += ["--kubernetes-version", version]
        result = run([*cmd, f.name])
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise StageFailure("validate", output)
    for line in output.splitlines():
        m = re.search(r"Couldn't find schema for kind (\S+) with api version (\S+)", line)
        if m and (m.group(2), m.group(1)) not in CRD_KINDS:
            raise StageFailure("validate", f"unknown kind or apiVersion: {line.strip()}")
        if m is None and line.strip():
            raise StageFailure("validate", f"unexpected output: {line.strip()}")


# --- the mounts stage: the rendered objects against each other and the provisioner ----


class Objects:
    def __init__(self, manifest: str):
        self.docs = [d for d in yaml.safe_load_all(manifest) if d]

    def all(self, kind: str, component: str | None = None) -> list[dict]:
        return [
            d
            for d in self.docs
            if d.get("kind") == kind
            and (
                component is None
                or d["metadata"].get("labels", {}).get("app.kubernetes.io/component")
                == component
            )
        ]

    def one(self, kind: str, component: str | None = None) -> dict:
        found = self.all(kind, component)
        if len(found) != 1:
            raise AssertionError(f"expected one {kind} ({component}), found {len(found)}")
        return found[0]

    def maybe(self, kind: str, component: str | None = None) -> dict | None:
        found = self.all(kind, component)
        return found[0] if found else None


class Pod:
    """A pod template with its mounts, to find which file a container path is."""

    def __init__(self, objects: Objects, deployment: dict, container: str):
        self.objects = objects
        self.spec = deployment["spec"]["template"]["spec"]
        self.labels = deployment["spec"]["template"]["metadata"].get("labels", {})
        containers = {c["name"]: c for c in self.spec["containers"]}
        if container not in containers:
            raise AssertionError(f"no container `{container}`")
        self.container = containers[container]
        self.volumes = {v["name"]: v for v in self.spec.get("volumes", [])}
        self.mounts = {m["mountPath"]: m for m in self.container.get("volumeMounts", [])}
        self.env = {
            e["name"]: e.get("value") for e in self.container.get("env", []) if "name" in e
        }

    def mount_at(self, path: str, source: str) -> dict:
        """The volume of type `source` mounted read-only exactly at `path`."""
        mount = self.mounts.get(path)
        if mount is None:
            raise AssertionError(
                f"nothing is mounted at {path} (mounts: {sorted(self.mounts)})"
            )
        if mount.get("readOnly") is not True:
            raise AssertionError(f"the mount at {path} is not readOnly")
        if "subPath" in mount:
            raise AssertionError(f"the mount at {path} uses subPath (no updates, no reload)")
        volume = self.volumes.get(mount["name"])
        if volume is None or source not in volume:
            raise AssertionError(f"the volume mounted at {path} is not a {source} volume")
        return volume

    def resolve(self, path: str) -> tuple[dict, str]:
        """The volume and the relative path a container path falls on."""
        best = None
        for mount_path, mount in self.mounts.items():
            if path == mount_path or path.startswith(mount_path.rstrip("/") + "/"):
                if best is None or len(mount_path) > len(best[0]):
                    best = (mount_path, mount)
        if best is None:
            raise AssertionError(f"{path} is on no mounted volume")
        volume = self.volumes.get(best[1]["name"])
        if volume is None:
            raise AssertionError(f"the mount at {best[0]} names no volume")
        return volume, posixpath.relpath(path, best[0])

    def projected_files(self, volume: dict) -> dict[str, str] | None:
        """Relative path -> key for a ConfigMap or Secret volume; None if not knowable."""
        source = volume.get("configMap") or volume.get("secret")
        if source is None:
            return None
        if "items" in source:
            return {item["path"]: item["key"] for item in source["items"]}
        if "configMap" in volume:
            cm = self.configmap(volume["configMap"]["name"])
            return {key: key for key in cm.get("data", {})}
        return None  # an existing Secret without items: its keys are not in the chart

    def configmap(self, name: str) -> dict:
        for cm in self.objects.all("ConfigMap"):
            if cm["metadata"]["name"] == name:
                return cm
        raise AssertionError(f"the ConfigMap `{name}` is not rendered by the chart")

    def file(self, path: str, kind: str) -> tuple[dict, str]:
        """The volume and key of the file at `path`, which must be projected."""
        volume, rel = self.resolve(path)
        files = self.projected_files(volume)
        if files is not None and rel not in files:
            raise AssertionError(
                f"{path} ({kind}) is not a file of the volume `{volume['name']}` "
                f"(it projects {sorted(files)})"
            )
        return volume, files[rel] if files is not None else rel

    def directory_files(self, path: str) -> tuple[dict, dict[str, str] | None]:
        volume, rel = self.resolve(path)
        files = self.projected_files(volume)
        if files is None:
            return volume, None
        prefix = "" if rel == "." else rel + "/"
        return volume, {p[len(prefix):]: k for p, k in files.items() if p.startswith(prefix)}


def check_hardened(pod: Pod, what: str) -> None:
    pod_sc = pod.spec.get("securityContext", {})
    sc = pod.container.get("securityContext", {})
    if sc.get("readOnlyRootFilesystem") is not True:
        raise AssertionError(f"{what}: readOnlyRootFilesystem is not true")
    if sc.get("allowPrivilegeEscalation") is not False:
        raise AssertionError(f"{what}: allowPrivilegeEscalation is not false")
    if True not in (sc.get("runAsNonRoot"), pod_sc.get("runAsNonRoot")):
        raise AssertionError(f"{what}: runAsNonRoot is not true")
    if sc.get("runAsUser", pod_sc.get("runAsUser")) in (None, 0):
        raise AssertionError(f"{what}: no non-root runAsUser")
    if "ALL" not in sc.get("capabilities", {}).get("drop", []):
        raise AssertionError(f"{what}: capabilities are not all dropped")
    resources = pod.container.get("resources", {})
    if not resources.get("requests") or not resources.get("limits"):
        raise AssertionError(f"{what}: resources need requests and limits")


def check_secret_volume(volume: dict, what: str) -> None:
    mode = volume["secret"].get("defaultMode")
    if mode is None or mode & ~0o440:
        raise AssertionError(f"{what}: Secret defaultMode {mode} is not within 0440")


def subset(small: dict, big: dict) -> bool:
    return all(big.get(k) == v for k, v in small.items())


def mounts_checks(
    objects: Objects, env_names: set[str], file_keys: set[str], source_root: Path
) -> list:
    """(name, check) pairs; each check raises AssertionError."""
    deployment = objects.one("Deployment", "provisioner")
    pod = Pod(objects, deployment, "provisioner")
    # The provisioner's ConfigMap: the one not labelled as the portal's.
    configmaps = [c for c in objects.all("ConfigMap") if c not in objects.all("ConfigMap", "portal")]
    if len(configmaps) != 1:
        raise AssertionError(f"expected one provisioner ConfigMap, found {len(configmaps)}")
    configmap = configmaps[0]
    checks = []

    def command():
        assert pod.container.get("args") == ["serve", "--config", CONFIG_FILE], (
            f"args are {pod.container.get('args')}, "
            f"not serve --config {CONFIG_FILE}"
        )
        assert "command" not in pod.container, "command overrides the image's entrypoint"

    def config_mount():
        volume = pod.mount_at(CONFIG_DIR, "configMap")
        name = volume["configMap"]["name"]
        assert name == configmap["metadata"]["name"], (
            f"the volume at {CONFIG_DIR} is ConfigMap `{name}`, "
            f"the chart renders `{configmap['metadata']['name']}`"
        )
        _, key = pod.file(CONFIG_FILE, "--config")
        assert key in configmap["data"], f"the ConfigMap has no key `{key}`"

    def secret_mount():
        volume = pod.mount_at(SECRET_DIR, "secret")
        check_secret_volume(volume, SECRET_DIR)
        made = objects.all("Secret")
        if made:
            names = [s["metadata"]["name"] for s in made]
            assert volume["secret"]["secretName"] in names, (
                f"mounts Secret `{volume['secret']['secretName']}`, the chart makes {names}"
            )

    def config_file():
        _, key = pod.file(CONFIG_FILE, "--config")
        config = parse_toml(configmap["data"][key])
        unknown = set(config) - file_keys
        assert not unknown, f"provisioner.toml has keys serve refuses: {sorted(unknown)}"
        policy = config.get("policy")
        assert policy, "provisioner.toml names no policy"
        path = posixpath.normpath(posixpath.join(CONFIG_DIR, policy))
        _, policy_key = pod.file(path, "policy")
        assert policy_key in configmap["data"], f"the ConfigMap has no `{policy_key}`"

    def env_names_known():
        unknown = {n for n in pod.env if n.startswith("PROVISIONER_")} - env_names
        assert not unknown, f"variables the provisioner does not read: {sorted(unknown)}"

    def creds():
        path = pod.env.get("PROVISIONER_CREDS")
        assert path, "PROVISIONER_CREDS is not set"
        assert path.startswith(SECRET_DIR + "/"), f"PROVISIONER_CREDS={path} is not in {SECRET_DIR}"
        volume, _ = pod.file(path, "PROVISIONER_CREDS")
        assert "secret" in volume, f"PROVISIONER_CREDS={path} is not on the Secret"

    def signing_keys():
        nkeys = pod.env.get("PROVISIONER_NKEYS_PATH")
        assert nkeys == NKEYS_DIR, f"PROVISIONER_NKEYS_PATH={nkeys}, not {NKEYS_DIR}"
        volume, files = pod.directory_files(nkeys)
        assert "secret" in volume, "PROVISIONER_NKEYS_PATH is not on the Secret"
        if files is None:
            return
        for rel, key in files.items():
            m = re.fullmatch(r"keys/A/([A-Z2-7]{2})/(A[A-Z2-7]{55})\.nk", rel)
            assert m and m.group(1) == m.group(2)[1:3], f"nkeys/{rel} is not nsc's layout"
            assert key == f"{m.group(2)}.nk", f"nkeys/{rel} comes from key `{key}`"
        policy = configmap["data"].get("policy.toml", "")
        for public_key in PUBLIC_ACCOUNT_KEY.findall(policy):
            rel = f"keys/A/{public_key[1:3]}/{public_key}.nk"
            assert rel in files, f"the policy's signing key {public_key} is not at nkeys/{rel}"

    def account_jwts():
        listed = [p for p in (pod.env.get("PROVISIONER_ACCOUNT_JWT") or "").split(",") if p]
        in_configmap = [k for k in configmap.get("data", {}) if k.startswith("account-")]
        assert len(listed) == len(in_configmap), (
            f"PROVISIONER_ACCOUNT_JWT lists {len(listed)} files, "
            f"the ConfigMap has {len(in_configmap)} account JWTs"
        )
        for path in listed:
            volume, key = pod.file(path, "PROVISIONER_ACCOUNT_JWT")
            assert "configMap" in volume and key in configmap["data"], f"{path} is not a JWT of the ConfigMap"

    def admin_and_probes():
        addr = pod.env.get("PROVISIONER_ADMIN_ADDR", "")
        host, _, port = addr.rpartition(":")
        assert host == "0.0.0.0", f"PROVISIONER_ADMIN_ADDR={addr} does not listen on all addresses"
        ports = {p.get("name"): p["containerPort"] for p in pod.container.get("ports", [])}
        assert ports.get("admin") == int(port), f"container port `admin` is not {port}"
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = pod.container.get(probe, {}).get("httpGet", {})
            assert get.get("path") == path, f"{probe} does not get {path}"
            assert get.get("port") in ("admin", int(port)), f"{probe} is not on the admin port"
        assert pod.env.get("PROVISIONER_LOG_FORMAT") in ("json", "plain")
        assert pod.env.get("PROVISIONER_NATS_URL"), "PROVISIONER_NATS_URL is not set"

    def tls():
        for name in ("PROVISIONER_TLS_CA", "PROVISIONER_TLS_CERT", "PROVISIONER_TLS_KEY"):
            if pod.env.get(name):
                volume, _ = pod.file(pod.env[name], name)
                assert "secret" in volume, f"{name} is not on a Secret"
                check_secret_volume(volume, name)

    def callout():
        issuer = pod.env.get("PROVISIONER_CALLOUT_ISSUER_KEY")
        xkey = pod.env.get("PROVISIONER_CALLOUT_XKEY")
        assert issuer or not xkey, "PROVISIONER_CALLOUT_XKEY without PROVISIONER_CALLOUT_ISSUER_KEY"
        for name, path in (("PROVISIONER_CALLOUT_ISSUER_KEY", issuer), ("PROVISIONER_CALLOUT_XKEY", xkey)):
            if path:
                volume, _ = pod.file(path, name)
                assert "secret" in volume, f"{name}={path} is not on a Secret"
                check_secret_volume(volume, name)

    def hardened():
        check_hardened(pod, "provisioner")
        annotation = deployment["spec"]["template"]["metadata"].get("annotations", {})
        assert re.fullmatch(r"[0-9a-f]{64}", annotation.get("checksum/config", "")), (
            "the pod template has no checksum/config annotation"
        )

    def service_and_monitor():
        service = objects.one("Service", "provisioner")
        assert subset(service["spec"]["selector"], pod.labels), "the Service selects no provisioner pod"
        ports = {p.get("name"): p for p in pod.container.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports or port["targetPort"] in [
                p["containerPort"] for p in ports.values()
            ], f"Service port {port.get('name')} targets no container port"
        monitor = objects.maybe("ServiceMonitor")
        if monitor:
            assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
            labels = service["metadata"].get("labels", {})
            assert subset(monitor["spec"]["selector"]["matchLabels"], labels), (
                "the ServiceMonitor selects no Service"
            )
            names = {p.get("name") for p in service["spec"]["ports"]}
            for endpoint in monitor["spec"]["endpoints"]:
                assert endpoint.get("port") in names, f"ServiceMonitor port {endpoint.get('port')} is not on the Service"
                assert endpoint.get("path") == "/metrics"
            namespaces = monitor["spec"].get("namespaceSelector", {}).get("matchNames", [])
            assert service["metadata"]["namespace"] in namespaces, "the ServiceMonitor looks in another namespace"

    def disruption_and_network():
        pdb = objects.maybe("PodDisruptionBudget")
        if pdb:
            assert subset(pdb["spec"]["selector"]["matchLabels"], pod.labels), "the PDB selects no pod"
        for policy in objects.all("NetworkPolicy", "provisioner"):
            assert subset(policy["spec"]["podSelector"]["matchLabels"], pod.labels), "the NetworkPolicy selects no pod"
            ports = [p.get("port") for rule in policy["spec"].get("ingress", []) for p in rule.get("ports", [])]
            assert "admin" in ports, "the NetworkPolicy does not let Prometheus reach the admin port"

    def agent():
        agent_deployment = objects.maybe("Deployment", "agent")
        if agent_deployment is None:
            return
        agent_pod = Pod(objects, agent_deployment, "agent")
        assert agent_pod.container.get("command") == ["agent"], "the agent container does not run `agent`"
        assert agent_pod.container["image"] == pod.container["image"], "the agent uses another image"
        volume = agent_pod.mount_at(AGENT_SECRET_DIR, "secret")
        check_secret_volume(volume, AGENT_SECRET_DIR)
        check_hardened(agent_pod, "agent")

    checks += [
        ("runs provisioner serve --config " + CONFIG_FILE, command),
        ("mounts the ConfigMap at " + CONFIG_DIR, config_mount),
        ("mounts the Secret at " + SECRET_DIR + " read-only, mode within 0440", secret_mount),
        ("provisioner.toml has only known keys and its policy is mounted", config_file),
        ("PROVISIONER_* names are the provisioner's", env_names_known),
        ("PROVISIONER_CREDS is a file of the Secret", creds),
        ("PROVISIONER_NKEYS_PATH holds the policy's signing keys in nsc layout", signing_keys),
        ("PROVISIONER_ACCOUNT_JWT files are in the ConfigMap", account_jwts),
        ("admin address, container port and /healthz, /readyz probes agree", admin_and_probes),
        ("TLS files are on a Secret", tls),
        ("callout seeds are files of the Secret", callout),
        ("non-root, read-only root, resources, checksum annotation", hardened),
        ("metrics Service and ServiceMonitor select the pods", service_and_monitor),
        ("PDB and NetworkPolicy select the pods", disruption_and_network),
        ("agent runs `agent` from the same image with its creds mounted", agent),
    ]
    checks += portal_checks(SimpleNamespace(
        objects=objects, pod=pod, configmap=configmap, Pod=Pod, parse_toml=parse_toml,
        check_hardened=check_hardened, subset=subset, source_root=source_root,
        config_dir=CONFIG_DIR,
    ))
    return checks


def stage_mounts(objects: Objects, tools: Tools) -> list[tuple[str, str | None]]:
    """Runs every mount check; (name, None) or (name, why it failed)."""
    env_names, file_keys = provisioner_names(tools.source_root)
    try:
        checks = mounts_checks(objects, env_names, file_keys, tools.source_root)
    except AssertionError as e:
        return [("the provisioner Deployment and its ConfigMap are rendered", str(e))]
    results = []
    for name, check in checks:
        try:
            check()
            results.append((name, None))
        except (AssertionError, KeyError, TypeError, ValueError) as e:
            results.append((name, str(e) or f"{type(e).__name__}"))
    return results


def default_behaviour(tools: Tools, chart: Path) -> list[tuple[str, str | None]]:
    """Checks of the defaults themselves, beyond what fits every example."""
    results = []
    objects = Objects(render(tools, chart, []))
    deployment = objects.one("Deployment", "provisioner")
    spec = deployment["spec"]["template"]["spec"]

    def check(name, ok, why):
        results.append((name, None if ok else why))

    check("2 replicas by default", deployment["spec"].get("replicas") == 2,
          f"replicas: {deployment['spec'].get('replicas')}")
    anti = spec.get("affinity", {}).get("podAntiAffinity")
    check("pod anti-affinity by default", bool(anti), "no podAntiAffinity")
    check("a PodDisruptionBudget by default", objects.maybe("PodDisruptionBudget") is not None, "none")
    check("no ServiceMonitor, NetworkPolicy, agent or portal by default",
          not objects.all("ServiceMonitor") and not objects.all("NetworkPolicy")
          and objects.maybe("Deployment", "agent") is None
          and objects.maybe("Deployment", "portal") is None, "found one")
    env = {e["name"]: e.get("value") for e in spec["containers"][0].get("env", [])}
    check("JSON logs by default", env.get("PROVISIONER_LOG_FORMAT") == "json", str(env))

    def checksum(extra):
        d = Objects(render(tools, chart, extra)).one("Deployment", "provisioner")
        return d["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

    try:
        render(tools, chart, ["--set", "portal.enabled=true"])
        check("portal.enabled without callout.enabled is refused", False, "it rendered")
    except StageFailure as e:
        check("portal.enabled without callout.enabled is refused",
              "needs callout.enabled" in e.message, e.message)

    base = checksum([])
    configmap_doc = next(
        doc for doc in render(tools, chart, []).split("\n---\n")
        if "# Source: provisioner/templates/configmap.yaml" in doc
    )
    body = configmap_doc.split("\n", 1)[1]
    check("checksum/config is the SHA-256 of the rendered ConfigMap",
          hashlib.sha256(body.encode()).hexdigest() == base
          or hashlib.sha256((body + "\n").encode()).hexdigest() == base,
          "it differs from the ConfigMap's hash")
    check("a policy change changes checksum/config (rolls the pods)",
          checksum(["--set", "policy=version = 1\n# changed"]) != base, "unchanged")
    check("a config change changes checksum/config",
          checksum(["--set", "config.max_in_flight=7"]) != base, "unchanged")
    check("an unrelated change keeps checksum/config",
          checksum(["--set", "replicaCount=3"]) == base, "changed")
    return results


# --- driving ------------------------------------------------------------------------


def check_regions(checks, failed, tally: Tally | None) -> None:
    for name, check in checks:
        try:
            check()
            if tally:
                tally.ok(name)
        except (AssertionError, KeyError, TypeError, ValueError, StopIteration) as e:
            failed("regions", name, str(e) or type(e).__name__)


def check_chart(tools: Tools, chart: Path, tally: Tally | None, regions: Path | None = None) -> None:
    """Runs every stage on every value set. With a tally, records each result and goes
    on; without one, raises StageFailure at the first failure (for broken fixtures).
    With `regions`, the regions stage too: the files' own checks first, the renders with
    the nats chart last."""

    def failed(stage: str, what: str, why: str) -> None:
        if tally is None:
            raise StageFailure(stage, why)
        tally.fail(what, why)

    if regions is not None:
        try:
            check_regions(values_checks(regions, chart), failed, tally)
        except AssertionError as e:
            failed("regions", f"the region files in {regions} parse", str(e))

    for label, args in value_sets(chart, tools if regions is not None else None):
        try:
            stage_lint(tools, chart, args)
            if tally:
                tally.ok(f"{label}: helm lint --strict")
        except StageFailure as e:
            failed("lint", f"{label}: helm lint --strict", e.message)
            continue
        try:
            manifest = render(tools, chart, args)
            stage_validate(tools, manifest)
            if tally:
                tally.ok(f"{label}: helm template | kubernetes-validate --strict "
                         f"(Kubernetes {', '.join(KUBERNETES_VERSIONS)})")
        except StageFailure as e:
            failed("validate", f"{label}: helm template | kubernetes-validate --strict", e.message)
            continue
        for name, why in stage_mounts(Objects(manifest), tools):
            if why is None:
                if tally:
                    tally.ok(f"{label}: {name}")
            else:
                failed("mounts", f"{label}: {name}", why)
    if regions is not None and tools.nats_chart is not None:

        def validate(manifest: str) -> None:
            try:
                stage_validate(tools, manifest)
            except StageFailure as e:
                raise AssertionError(f"kubernetes-validate: {e.message}") from None

        try:
            check_regions(rendered_checks(tools, regions, chart, validate), failed, tally)
        except AssertionError as e:
            failed("regions", f"the region files in {regions} parse", str(e))

    if tally is not None:
        for name, why in default_behaviour(tools, chart):
            if why is None:
                tally.ok(f"default values: {name}")
            else:
                tally.fail(f"default values: {name}", why)


def apply_fixture(fixture: dict, chart: Path) -> None:
    for edit in fixture["edits"]:
        path = chart / edit["file"]
        text = path.read_text()
        count = text.count(edit["find"])
        if count != 1:
            raise SystemExit(
                f"check_chart: fixture edit of {edit['file']}: `{edit['find']}` occurs "
                f"{count} times (the fixture is stale: update it to the chart)"
            )
        path.write_text(text.replace(edit["find"], edit["replace"]))


def check_broken(
    tools: Tools, chart: Path, fixtures: Path, tally: Tally, regions: Path | None = None
) -> None:
    paths = sorted(fixtures.glob("*.yaml"))
    if not paths:
        tally.fail(f"broken fixtures in {fixtures}", "none found")
    for path in paths:
        fixture = yaml.safe_load(path.read_text())
        expect = fixture["expect"]
        what = f"broken fixture {path.name} fails at {expect['stage']}: {fixture['description']}"
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / chart.name
            shutil.copytree(chart, copy)
            regions_copy = None
            if regions is not None:
                # Beside the chart, as in the repository: fixtures edit `../regions/…`.
                regions_copy = copy.parent / regions.name
                shutil.copytree(regions, regions_copy)
            apply_fixture(fixture, copy)
            try:
                check_chart(tools, copy, None, regions_copy)
            except StageFailure as e:
                if e.stage != expect["stage"]:
                    tally.fail(what, f"it failed at {e.stage} instead: {e.message}")
                elif expect["message"] not in e.message:
                    tally.fail(what, f"its failure does not mention `{expect['message']}`: {e.message}")
                else:
                    first = e.message.strip().splitlines()[0] if e.message.strip() else ""
                    tally.ok(f"{what}\n      ({e.stage}: {first[:160]})")
                continue
            tally.fail(what, "the broken chart passed every check")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chart", type=Path)
    parser.add_argument("--helm", required=True)
    parser.add_argument("--kubernetes-validate", required=True)
    parser.add_argument("--broken", type=Path, help="folder of broken-chart fixtures")
    parser.add_argument("--source-root", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--regions", type=Path, help="folder of the nats chart's values per region")
    parser.add_argument("--nats-chart", type=Path, help="the official nats chart, to render --regions")
    parser.add_argument("--nats-server", help="nats-server, for `nats-server -t` of --regions")
    parser.add_argument("--region-estate", type=Path, help="values-from-estate.sh output of a --region estate")
    args = parser.parse_args()
    if args.regions and not (args.nats_chart and args.nats_server and args.region_estate):
        parser.error("--regions needs --nats-chart, --nats-server and --region-estate")
    tools = Tools(
        args.helm, args.kubernetes_validate, args.source_root,
        nats_chart=args.nats_chart and args.nats_chart.resolve(),
        nats_server=args.nats_server,
        region_estate=args.region_estate and args.region_estate.resolve(),
    )
    chart = args.chart.resolve()
    regions = args.regions and args.regions.resolve()
    tally = Tally()
    check_chart(tools, chart, tally, regions)
    if args.broken:
        check_broken(tools, chart, args.broken, tally, regions)
    print(f"helm: {tally.passed} passed, {tally.failed} failed")
    return 0 if tally.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
