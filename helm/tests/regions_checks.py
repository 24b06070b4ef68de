"""The `regions` stage of check_chart.py: one release per region of a global estate.

The files: helm/regions/nats-<region>.yaml (values of the official `nats` chart for one
region), helm/regions/nats-leaf-<name>.yaml (a leaf node) and the provisioner chart's
examples/region-<region>-values.yaml (our release in that region). Two parts:

  values    the files themselves: each parses; a region's cluster and gateway carry the
            region's name and its servers the tag `region:<region>`; every region has a
            gateway to every other region, none to itself, and every region lists the
            same URLs for a region, among them the address it advertises; JetStream and the
            full resolver are on, and no region file brings trust of its own (the
            operator, system account and preload come from the estate); a leaf node's
            remotes go to the home region's leaf node port, each bound to an account with
            a creds file on a Secret the pod mounts, and it runs no JetStream; every
            region has a provisioner release on its own servers, and every release places
            the registry in the same home region (`registry_placement =
            "region:<home>"`) with as many replicas as the home region has servers at
            most; the provisioner files set nothing helm/values-from-estate.sh writes but
            the NATS URL and registry settings.
  rendered  with the copy of the `nats` chart in helm/tests/nats-chart and the estate
            values in helm/tests/region-estate (helm/values-from-estate.sh's output for
            `nsc-setup init --region us:3 --region eu:1 --region ap:1 --leaf edge:acme`):
            `helm template` of each release in the documented order of values files,
            `kubernetes-validate --strict` of it, the rendered nats.conf read back (names,
            gateways, tags, resolver, the leaf node's accounts and creds files on their
            mounts) and `nats-server -t` of it.

Each check raises AssertionError with the reason.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ACCOUNT_KEY = re.compile(r"A[A-Z2-7]{55}")
REGION_LABEL = "nats-provisioner/region"
# What helm/values-from-estate.sh writes into provisioner-values.yaml that a region's file,
# layered after it, must not replace.
ESTATE_KEYS = ("policy", "accounts", "secret", "callout", "oidc", "portal", "extraEnv")
# Trust that comes from the estate (values/nats-values.yaml), never from a region file.
TRUST_KEYS = ("operator", "system_account", "resolver_preload")
DEFAULT_LEAF_PORT = 7422
DEFAULT_CLIENT_PORT = 4222


def dig(values: dict, path: str, default=None):
    """values["a"]["b"]… for the dotted `path`, or `default`."""
    node = values
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return default
        node = node[key]
    return node


class Regions:
    """The region, leaf node and provisioner files, parsed."""

    def __init__(self, regions_dir: Path, chart: Path):
        self.dir = regions_dir
        self.regions: dict[str, dict] = {}
        self.leaves: dict[str, dict] = {}
        for path in sorted(regions_dir.glob("nats-*.yaml")):
            name = path.name[len("nats-"):-len(".yaml")]
            values = load(path)
            if name.startswith("leaf-"):
                self.leaves[name] = values
            else:
                self.regions[name] = values
        self.releases: dict[str, dict] = {}
        for path in sorted((chart / "examples").glob("region-*-values.yaml")):
            self.releases[path.name[len("region-"):-len("-values.yaml")]] = load(path)
        if not self.regions:
            raise AssertionError(f"no region files nats-<region>.yaml in {regions_dir}")

    def placement(self) -> tuple[str, int]:
        """The home region and registry replicas every provisioner release names."""
        seen = {
            (dig(v, "config.registry_placement"), dig(v, "config.registry_replicas"))
            for v in self.releases.values()
        }
        if len(seen) != 1:
            raise AssertionError(
                "the region releases differ in config.registry_placement or "
                f"config.registry_replicas: {sorted(map(str, seen))} (one registry: the "
                "same placement in every region)"
            )
        placement, replicas = seen.pop()
        m = re.fullmatch(r"region:([a-z0-9-]+)", placement or "")
        if m is None:
            raise AssertionError(
                f"config.registry_placement is {placement!r}, not `region:<home>`"
            )
        if not isinstance(replicas, int):
            raise AssertionError(f"config.registry_replicas is {replicas!r}, not a number")
        return m.group(1), replicas

    def home(self) -> str:
        return self.placement()[0]


def load(path: Path) -> dict:
    try:
        values = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise AssertionError(f"{path.name} does not parse: {e}") from None
    if not isinstance(values, dict):
        raise AssertionError(f"{path.name} is not a map of values")
    return values


def host_port(url: str, default_port: int) -> str:
    parts = urlsplit(url)
    if not parts.hostname:
        raise AssertionError(f"`{url}` has no host")
    return f"{parts.hostname}:{parts.port or default_port}"


def gateway_urls(values: dict) -> dict[str, list[str]]:
    """Gateway name -> its URLs, of one region file (duplicates refused)."""
    out: dict[str, list[str]] = {}
    for entry in dig(values, "config.gateway.merge.gateways", []) or []:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not name:
            raise AssertionError(f"a gateway entry has no name: {entry}")
        if name in out:
            raise AssertionError(f"gateway `{name}` is listed twice")
        urls = entry.get("urls") or []
        if not urls or not all(isinstance(u, str) and u.startswith(("nats://", "tls://")) for u in urls):
            raise AssertionError(f"gateway `{name}` has no nats:// or tls:// URLs: {urls}")
        out[name] = urls
    return out


# --- the files themselves -----------------------------------------------------------


def values_checks(regions_dir: Path, chart: Path) -> list:
    """(name, check) pairs of the files' own checks."""
    r = Regions(regions_dir, chart)
    checks = []

    for region, values in r.regions.items():
        f = f"regions/nats-{region}.yaml"

        def names(region=region, values=values):
            assert dig(values, "config.cluster.enabled") is True, "config.cluster.enabled is not true"
            replicas = dig(values, "config.cluster.replicas")
            assert isinstance(replicas, int) and replicas >= 1, f"config.cluster.replicas is {replicas!r}"
            cluster = dig(values, "config.cluster.merge.name")
            gateway = dig(values, "config.gateway.merge.name")
            assert dig(values, "config.gateway.enabled") is True, "config.gateway.enabled is not true"
            assert cluster == region, f"the cluster is named {cluster!r}, not after its region `{region}`"
            assert gateway == region, f"the gateway is named {gateway!r}, not after its region `{region}`"
            tags = dig(values, "config.merge.server_tags")
            assert tags == [f"region:{region}"], (
                f"server_tags are {tags!r}, not [\"region:{region}\"] (the registry's placement tag)"
            )

        def gateways(region=region, values=values):
            listed = gateway_urls(values)
            assert region not in listed, f"region `{region}` lists a gateway to itself"
            others = set(r.regions) - {region}
            missing = sorted(others - set(listed))
            unknown = sorted(set(listed) - others)
            assert not missing, f"no gateway to the regions {missing}"
            assert not unknown, f"gateways to regions without a file: {unknown}"
            for other, urls in listed.items():
                theirs = dig(r.regions[other], "config.gateway.merge.advertise")
                if theirs:
                    assert theirs in [host_port(u, 7222) for u in urls], (
                        f"the gateway to `{other}` lists {urls}, not the address `{other}` "
                        f"advertises ({theirs})"
                    )
                for third, vals in r.regions.items():
                    if third not in (region, other):
                        same = gateway_urls(vals).get(other)
                        assert same is None or sorted(same) == sorted(urls), (
                            f"`{region}` and `{third}` list different URLs for `{other}`: "
                            f"{urls} and {same}"
                        )

        def servers(values=values):
            assert dig(values, "config.jetstream.enabled") is True, "config.jetstream.enabled is not true"
            assert dig(values, "config.resolver.enabled") is True, "config.resolver.enabled is not true"
            kind = dig(values, "config.resolver.merge.type")
            assert kind == "full", f"the resolver is {kind!r}, not `full` (nsc-setup --region needs it)"
            own = [k for k in TRUST_KEYS if dig(values, f"config.merge.{k}") is not None]
            assert not own, (
                f"sets {own}: the trust comes from the estate (values/nats-values.yaml), "
                "which a region file layered after it would replace"
            )

        checks += [
            (f"{f}: cluster and gateway named `{region}`, server_tags region:{region}", names),
            (f"{f}: a gateway to every other region, none to itself, the same URLs everywhere", gateways),
            (f"{f}: JetStream, the full resolver, no trust of its own", servers),
        ]

    def home_region():
        home, replicas = r.placement()
        assert home in r.regions, f"the registry's home region `{home}` has no nats-{home}.yaml"
        servers = dig(r.regions[home], "config.cluster.replicas")
        assert replicas <= servers, (
            f"config.registry_replicas is {replicas}, but the home region `{home}` has "
            f"{servers} servers"
        )
        if r.leaves:
            assert dig(r.regions[home], "config.leafnodes.enabled") is True, (
                f"the home region `{home}` does not take leaf node connections"
            )

    checks.append(("the registry's home region exists and holds its replicas", home_region))

    for leaf, values in r.leaves.items():

        def remotes(values=values):
            assert dig(values, "config.leafnodes.enabled") is True, "config.leafnodes.enabled is not true"
            for off in ("cluster", "gateway"):
                assert not dig(values, f"config.{off}.enabled"), f"a leaf node with config.{off}.enabled"
            assert dig(values, "config.jetstream.enabled") is False, (
                "config.jetstream.enabled is not false: the estate's nats-values.yaml turns "
                "JetStream on, and a leaf node's would need a domain of its own"
            )
            listed = dig(values, "config.leafnodes.merge.remotes") or []
            assert listed, "config.leafnodes.merge.remotes is empty"
            home = r.regions[r.home()]
            advertise = dig(home, "config.gateway.merge.advertise") or ""
            host = advertise.rpartition(":")[0]
            port = dig(home, "config.leafnodes.port", DEFAULT_LEAF_PORT)
            mounts = secret_mounts(values)
            accounts, creds = [], []
            for remote in listed:
                urls = remote.get("urls") or []
                assert urls, f"a remote has no urls: {remote}"
                for url in urls:
                    assert url.startswith(("nats-leaf://", "tls://")), (
                        f"remote URL {url} is not nats-leaf:// or tls://"
                    )
                    assert host and host_port(url, DEFAULT_LEAF_PORT) == f"{host}:{port}", (
                        f"remote URL {url} is not the home region's leaf node port {host}:{port}"
                    )
                account = remote.get("account")
                assert account, f"a remote binds no account: {remote}"
                if isinstance(account, str):
                    assert ACCOUNT_KEY.fullmatch(account), (
                        f"remote account {account} is not an account public key"
                    )
                else:
                    assert "$tplYaml" in account and "required" in account["$tplYaml"], (
                        f"remote account {account} is neither a public key nor a required value"
                    )
                accounts.append(json.dumps(account, sort_keys=True))
                path = remote.get("credentials")
                assert isinstance(path, str) and path.startswith("/"), (
                    f"a remote has no absolute credentials path: {remote}"
                )
                assert any(path.startswith(m.rstrip("/") + "/") for m in mounts), (
                    f"the remote's credentials {path} are on no Secret the pod mounts "
                    f"(Secret mounts: {sorted(mounts) or 'none'})"
                )
                creds.append(path)
            assert len(set(accounts)) == len(accounts), "two remotes bind the same account"
            assert len(set(creds)) == len(creds), "two remotes use the same creds file"

        checks.append((
            f"regions/nats-{leaf}.yaml: remotes to the home region, bound to accounts, "
            "creds on a mounted Secret, no JetStream",
            remotes,
        ))

    def releases_cover_regions():
        missing = sorted(set(r.regions) - set(r.releases))
        unknown = sorted(set(r.releases) - set(r.regions))
        assert not missing, f"regions without examples/region-<region>-values.yaml: {missing}"
        assert not unknown, f"examples/region-<region>-values.yaml of regions without a nats file: {unknown}"

    checks.append(("a provisioner release for every region", releases_cover_regions))

    for region, values in r.releases.items():
        f = f"examples/region-{region}-values.yaml"

        def release(region=region, values=values):
            r.placement()
            assert dig(values, "config.registry") is not False, "config.registry is false"
            url = dig(values, "nats.url") or ""
            port = dig(r.regions.get(region, {}), "config.nats.port", DEFAULT_CLIENT_PORT)
            for one in url.split(","):
                parts = urlsplit(one.strip())
                labels = (parts.hostname or "").split(".")
                own = labels[:3] == [f"nats-{region}", f"nats-{region}", "svc"]
                assert own and (parts.port or DEFAULT_CLIENT_PORT) == port, (
                    f"nats.url {one} is not the client Service of release nats-{region} in "
                    f"namespace nats-{region} (nats://nats-{region}.nats-{region}.svc:{port})"
                )
            label = dig(values, "podLabels", {}).get(REGION_LABEL)
            assert label == region, f"podLabels[{REGION_LABEL}] is {label!r}, not `{region}`"
            if dig(values, "agent.enabled"):
                assert dig(values, "agent.site") == region, f"the agent's site is not `{region}`"
                env = {e.get("name"): e.get("value") for e in dig(values, "agent.env", [])}
                assert env.get("AGENT_NATS_URL", url) == url, "the agent connects elsewhere than nats.url"
            if dig(values, "networkPolicy.enabled"):
                peers = json.dumps(dig(values, "networkPolicy.nats.to", []))
                assert f'"nats-{region}"' in peers, f"networkPolicy.nats.to does not name namespace nats-{region}"
            taken = [k for k in ESTATE_KEYS if k in values]
            assert not taken, (
                f"sets {taken}, which helm/values-from-estate.sh writes: layered after the "
                "estate's file it would replace them"
            )

        checks.append((f"{f}: the region's servers, the one registry, estate values left alone", release))
    return checks


def secret_mounts(values: dict) -> set[str]:
    """Mount paths the leaf node's values add (container.patch) for Secret volumes they add
    (podTemplate.patch)."""
    volumes = {
        p["value"]["name"]
        for p in dig(values, "podTemplate.patch", []) or []
        if p.get("op") == "add" and p.get("path") == "/spec/volumes/-"
        and isinstance(p.get("value"), dict) and p["value"].get("secret", {}).get("secretName")
    }
    return {
        p["value"]["mountPath"]
        for p in dig(values, "container.patch", []) or []
        if p.get("op") == "add" and p.get("path") == "/volumeMounts/-"
        and isinstance(p.get("value"), dict) and p["value"].get("name") in volumes
        and p["value"].get("readOnly") is True
    }


# --- rendered with the nats chart -------------------------------------------------------


def parse_nats_conf(text: str) -> dict:
    """The nats chart's nats.conf: JSON but for its unquoted `<< … >>` values (`$VAR`,
    sizes like 10Gi) and include lines, which are quoted or dropped here."""
    text = re.sub(r"^\s*include [^;]*;\s*$", "", text, flags=re.M)
    text = re.sub(
        r'(:\s*)(\$[A-Za-z_][A-Za-z0-9_]*|[0-9][0-9.]*[A-Za-z]+)(\s*,?)\s*$',
        lambda m: f'{m.group(1)}"{m.group(2)}"{m.group(3)}',
        text,
        flags=re.M,
    )
    return json.loads(text)


def rendered_checks(tools, regions_dir: Path, chart: Path, validate) -> list:
    """(name, check) pairs: each release of helm/regions rendered with the nats chart."""
    r = Regions(regions_dir, chart)
    estate = tools.region_estate
    trust = yaml.safe_load((estate / "nats-values.yaml").read_text())
    system_account = dig(trust, "config.merge.system_account")
    checks = []
    releases = [(name, False) for name in r.regions] + [(name, True) for name in r.leaves]
    for name, leaf in releases:
        release = f"nats-{name}"
        namespace = f"nats-{name.removeprefix('leaf-')}"
        files = [estate / "nats-values.yaml", regions_dir / f"nats-{name}.yaml"]
        if leaf:
            files.append(estate / f"nats-{name}.yaml")

        def check(name=name, leaf=leaf, release=release, namespace=namespace, files=files):
            args = [tools.helm, "template", release, str(tools.nats_chart), "--namespace", namespace]
            for path in files:
                args += ["-f", str(path)]
            result = subprocess.run(args, capture_output=True, text=True, check=False)
            assert result.returncode == 0, "helm template: " + result.stderr.strip()
            validate(result.stdout)
            docs = [d for d in yaml.safe_load_all(result.stdout) if d]
            conf_text = next(
                d["data"]["nats.conf"] for d in docs
                if d["kind"] == "ConfigMap" and "nats.conf" in d.get("data", {})
            )
            conf = parse_nats_conf(conf_text)
            sts = next(d for d in docs if d["kind"] == "StatefulSet")
            pod = sts["spec"]["template"]["spec"]
            nats = next(c for c in pod["containers"] if c["name"] == "nats")
            volumes = {v["name"]: v for v in pod.get("volumes", [])}
            claims = {c["metadata"]["name"] for c in sts["spec"].get("volumeClaimTemplates", [])}
            mounts = {m["mountPath"]: m for m in nats.get("volumeMounts", [])}

            def on_mount(path: str) -> dict:
                best = max(
                    (m for m in mounts if path == m or path.startswith(m.rstrip("/") + "/")),
                    key=len, default=None,
                )
                assert best is not None, f"{path} is on no volume the nats container mounts"
                return mounts[best]

            assert conf.get("operator") and conf.get("system_account") == system_account, (
                "nats.conf is not in operator mode with the estate's system account"
            )
            resolver = conf.get("resolver", {})
            assert resolver.get("type") == "full", f"the resolver is {resolver.get('type')!r}"
            assert on_mount(resolver.get("dir", ""))["name"] in claims, (
                "the resolver directory is not on a persistent volume claim"
            )
            if leaf:
                listed = conf.get("leafnodes", {}).get("remotes", [])
                assert listed, "no leaf node remotes in nats.conf"
                accounts = [x.get("account") for x in listed]
                assert system_account in accounts, "no remote is bound to the system account"
                tenant = dig(yaml.safe_load(files[-1].read_text()), "leafAccounts.tenant")
                assert tenant in accounts, f"no remote is bound to the tenant's account {tenant}"
                for x in listed:
                    mount = on_mount(x.get("credentials", ""))
                    volume = volumes.get(mount["name"], {})
                    assert "secret" in volume, f"the creds {x.get('credentials')} are not on a Secret"
                assert "port" not in conf.get("leafnodes", {}), "the leaf node listens for leaf nodes"
                for off in ("gateway", "cluster", "jetstream"):
                    assert off not in conf, f"a leaf node with {off} in nats.conf"
            else:
                assert conf.get("cluster", {}).get("name") == name, "cluster name is not the region"
                gateway = conf.get("gateway", {})
                assert gateway.get("name") == name, "gateway name is not the region"
                listed = sorted(g["name"] for g in gateway.get("gateways", []))
                assert listed == sorted(set(r.regions) - {name}), f"rendered gateways: {listed}"
                tags = conf.get("server_tags")
                assert tags == [f"region:{name}"], f"server_tags: {tags}"
                store = conf.get("jetstream", {}).get("store_dir", "")
                assert store and on_mount(store)["name"] in claims, (
                    "the JetStream store is not on a persistent volume claim"
                )
            nats_server_test(tools, conf_text, f"{release}-0")

        layers = " + ".join(
            ("estate's " if path.parent == estate else "regions/") + path.name for path in files
        )
        checks.append((
            f"helm template {release} nats/nats ({layers}): kubernetes-validate --strict, "
            "nats.conf as intended, nats-server -t",
            check,
        ))
    return checks


def nats_server_test(tools, conf_text: str, server_name: str) -> None:
    """`nats-server -t` of a rendered nats.conf ($SERVER_NAME as the chart sets it)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = posixpath.join(tmp, "nats.conf")
        Path(path).write_text(conf_text)
        env = dict(os.environ, SERVER_NAME=server_name)
        result = subprocess.run(
            [tools.nats_server, "-t", "-c", path],
            capture_output=True, text=True, check=False, env=env, cwd=tmp,
        )
    out = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and "is valid" in out, f"nats-server -t: {out}"
