"""The portal's part of the mounts stage of check_chart.py (portal.enabled): the portal
Deployment runs `portal serve --config /etc/portal/portal.toml` from the chart's image,
its portal.toml has only keys `portal serve` reads and names the provisioner's policy on a
mounted file, every PORTAL_* variable is one the portal reads, the API and admin addresses
match the container ports and probes, it mounts no Secret (it holds no creds), every
`jwks_file` the policy names is a projected file in both the provisioner's and the portal's
pods, and its Service and NetworkPolicy select its pods.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

PORTAL_CONFIG_FILE = "/etc/portal/portal.toml"


def portal_names(source_root: Path) -> tuple[set[str], set[str]]:
    """The PORTAL_* variables `portal serve` reads (`env = "PORTAL_…"` of its sources and
    the logging variables) and the keys of its config file (`struct FileConfig`)."""
    env: set[str] = set()
    file_config = None
    for path in sorted((source_root / "portal/src").rglob("*.rs")):
        text = path.read_text()
        env |= set(re.findall(r'env = "(PORTAL_[A-Z_]+)"', text))
        env |= set(re.findall(r'"(PORTAL_LOG[A-Z_]*)"', text))
        file_config = file_config or re.search(r"struct FileConfig \{(.*?)\n\}", text, re.S)
    if file_config is None:
        raise SystemExit("check_chart: no struct FileConfig in portal/src")
    keys = set(re.findall(r"^\s+(?:pub(?:\([^)]*\))?\s+)?([a-z_]+):", file_config.group(1), re.M))
    return env, keys


def jwks_files(policy_text: str, parse_toml) -> list[str]:
    """The relative `identity.oidc.jwks_file` paths of the policy's tenants."""
    try:
        policy = parse_toml(policy_text)
    except Exception:  # the provisioner checks the policy itself; nothing to resolve here
        return []
    out = []
    for tenant in policy.get("tenants", []):
        path = tenant.get("identity", {}).get("oidc", {}).get("jwks_file")
        if path and not path.startswith("/"):
            out.append(path)
    return out


def portal_checks(ctx) -> list:
    """(name, check) pairs for the portal, or none when it is off. `ctx` carries what
    check_chart.py has: objects, pod (the provisioner's), configmap, Pod, parse_toml,
    check_hardened, subset, source_root, config_dir."""
    deployment = ctx.objects.maybe("Deployment", "portal")
    if deployment is None:
        return []
    pod = ctx.Pod(ctx.objects, deployment, "portal")
    env_names, file_keys = portal_names(ctx.source_root)

    def command():
        assert pod.container.get("command") == ["portal"], "the portal container does not run `portal`"
        assert pod.container.get("args") == ["serve", "--config", PORTAL_CONFIG_FILE], (
            f"args are {pod.container.get('args')}, not serve --config {PORTAL_CONFIG_FILE}"
        )

    def config_file():
        volume, key = pod.file(PORTAL_CONFIG_FILE, "--config")
        assert "configMap" in volume, "portal.toml is not on a ConfigMap"
        config = ctx.parse_toml(pod.configmap(volume["configMap"]["name"])["data"][key])
        unknown = set(config) - file_keys
        assert not unknown, f"portal.toml has keys portal serve refuses: {sorted(unknown)}"
        policy = config.get("policy")
        assert policy, "portal.toml names no policy"
        path = posixpath.normpath(posixpath.join(posixpath.dirname(PORTAL_CONFIG_FILE), policy))
        volume, policy_key = pod.file(path, "policy")
        assert volume.get("configMap", {}).get("name") == ctx.configmap["metadata"]["name"], (
            f"the portal's policy {path} is not the provisioner's ConfigMap"
        )
        assert policy_key == "policy.toml", f"the portal's policy is key `{policy_key}`"

    def env_known():
        unknown = {n for n in pod.env if n.startswith("PORTAL_")} - env_names
        assert not unknown, f"variables the portal does not read: {sorted(unknown)}"
        assert pod.env.get("PORTAL_NATS_URL"), "PORTAL_NATS_URL is not set"

    def addresses_and_probes():
        ports = {p.get("name"): p["containerPort"] for p in pod.container.get("ports", [])}
        for name, port in (("PORTAL_LISTEN", "http"), ("PORTAL_ADMIN_ADDR", "admin")):
            host, _, number = (pod.env.get(name) or "").rpartition(":")
            assert host == "0.0.0.0", f"{name} does not listen on all addresses"
            assert ports.get(port) == int(number), f"container port `{port}` is not {name}'s {number}"
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            get = pod.container.get(probe, {}).get("httpGet", {})
            assert get.get("path") == path, f"{probe} does not get {path}"
            assert get.get("port") in ("admin", ports.get("admin")), f"{probe} is not on the admin port"

    def no_secret():
        secrets = [v["name"] for v in pod.volumes.values() if "secret" in v]
        assert not secrets, f"the portal mounts Secrets {secrets}; it holds no creds"

    def jwks_mounted():
        for rel in jwks_files(ctx.configmap["data"].get("policy.toml", ""), ctx.parse_toml):
            path = posixpath.normpath(posixpath.join(ctx.config_dir, rel))
            for who, p in (("provisioner", ctx.pod), ("portal", pod)):
                volume, key = p.file(path, f"the policy's jwks_file {rel} in the {who} pod")
                assert key in ctx.configmap["data"], f"{path}: the ConfigMap has no `{key}`"

    def hardened():
        ctx.check_hardened(pod, "portal")

    def service_and_network():
        service = ctx.objects.one("Service", "portal")
        assert ctx.subset(service["spec"]["selector"], pod.labels), "the portal Service selects no portal pod"
        targets = {p["targetPort"] for p in service["spec"]["ports"]}
        assert {"http", "admin"} <= targets, f"the portal Service targets {sorted(targets)}"
        for policy in ctx.objects.all("NetworkPolicy", "portal"):
            assert ctx.subset(policy["spec"]["podSelector"]["matchLabels"], pod.labels), (
                "the portal NetworkPolicy selects no portal pod"
            )
            ports = [p.get("port") for rule in policy["spec"].get("ingress", []) for p in rule.get("ports", [])]
            assert "http" in ports and "admin" in ports, "the portal NetworkPolicy closes the API or admin port"

    return [
        ("portal runs portal serve --config " + PORTAL_CONFIG_FILE, command),
        ("portal.toml has only known keys and names the provisioner's policy", config_file),
        ("PORTAL_* names are the portal's", env_known),
        ("portal addresses, container ports and /healthz, /readyz probes agree", addresses_and_probes),
        ("the portal mounts no Secret", no_secret),
        ("the policy's jwks_file paths are files in the provisioner's and the portal's pods", jwks_mounted),
        ("portal non-root, read-only root, resources", hardened),
        ("portal Service and NetworkPolicy select its pods", service_and_network),
    ]
