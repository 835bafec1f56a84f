#!/usr/bin/python3
"""Structural checks of scripts/examples/kubernetes and scripts/examples/vault-agent,
for tests/integration/test_examples.sh.

    examples_check.py kubernetes|vault-agent EXAMPLES_DIR OUT_DIR

Prints one line per check, "ok<TAB>name" or "fail<TAB>name<TAB>why", and writes
what the shell side runs for real into OUT_DIR (the configs, the init
container's command, the socket path) as files. YAML is parsed by Debian's
python3-yaml; the agent's HCL by python3-pyhcl (HCL 1, the dialect Vault reads
its agent configs in)."""

import json
import os
import re
import shlex
import sys

import hcl
import yaml

def result(name, ok, why=""):
    """One line at once: a later crash does not lose the earlier results."""
    print("\t".join(["ok" if ok else "fail", name] + ([why.replace("\n", " ")] if not ok else [])), flush=True)


def check(name, fn):
    """Run fn(); an AssertionError or a lookup error is the check failing."""
    try:
        fn()
    except (AssertionError, KeyError, IndexError, TypeError, ValueError, StopIteration, RuntimeError) as e:
        result(name, False, "%s: %s" % (type(e).__name__, e))
    else:
        result(name, True)


# The stanzas a Vault Agent config may have at its top (Vault 1.14+ agent docs);
# a name outside these is a typo the agent would refuse.
AGENT_TOP = {"vault", "auto_auth", "cache", "api_proxy", "listener", "template", "template_config",
             "exec", "env_template", "pid_file", "exit_after_auth", "disable_idle_connections",
             "disable_keep_alives", "telemetry", "log_level", "log_file", "log_format",
             "retry", "persist"}


def check_agent_hcl(text, method, want_config_keys):
    """Parse an agent config; return it. Raises AssertionError naming what is wrong."""
    conf = hcl.loads(text)
    unknown = set(conf) - AGENT_TOP
    assert not unknown, "unknown top-level stanzas %s" % sorted(unknown)
    m = conf["auto_auth"]["method"]
    assert list(m) == [method], "auto_auth method %s, not %s" % (list(m), method)
    cfg = m[method]["config"]
    missing = [k for k in want_config_keys if not cfg.get(k)]
    assert not missing, "auto_auth %s config lacks %s" % (method, missing)
    assert conf["cache"] == {}, "cache stanza missing"
    assert conf["api_proxy"]["use_auto_auth_token"] is True, "api_proxy.use_auto_auth_token is not true"
    listeners = conf["listener"]
    assert list(listeners) == ["unix"], "listeners %s: one unix listener expected" % list(listeners)
    unix = listeners["unix"]
    assert unix["address"].startswith("/"), "listener address %r is not an absolute path" % unix["address"]
    # vaultshim speaks plain HTTP over the socket
    assert unix["tls_disable"] is True, "the unix listener must set tls_disable = true"
    assert re.fullmatch(r"0?6[0-6]0", unix["socket_mode"]), \
        "socket_mode %r: owner and group only" % unix.get("socket_mode")
    assert conf["vault"]["address"].startswith("https://"), "vault.address is not https"
    return conf


def parse_vaultshim_conf(text):
    """The [section] key = value lines of a vaultshim config (the C parser checks it for real)."""
    sec, out = None, {}
    for line in text.splitlines():
        s = line.strip()
        if not s or s[0] in ";#":
            continue
        m = re.fullmatch(r"\[(\w+)\]", s)
        if m:
            sec = m.group(1)
            out.setdefault(sec, {})
            continue
        k, _, v = s.partition("=")
        v = re.split(r"\s+[;#]", v.strip())[0].strip()
        out[sec][k.strip()] = v
    return out


def kubernetes(d, out):
    path = os.path.join(d, "myapp.yaml")
    docs = []

    def parses():
        with open(path) as f:
            docs.extend(x for x in yaml.safe_load_all(f) if x is not None)
        assert len(docs) >= 4, "%d documents" % len(docs)
        for x in docs:
            assert x["apiVersion"] and x["kind"] and x["metadata"]["name"], x
    check("kubernetes: every YAML document of myapp.yaml parses and has apiVersion, kind, name", parses)
    if not docs:
        return

    def get(kind, name=None):
        return next(x for x in docs if x["kind"] == kind and (name is None or x["metadata"]["name"] == name))

    dep = get("Deployment")
    pod = dep["spec"]["template"]["spec"]
    inits = {c["name"]: c for c in pod.get("initContainers", [])}
    apps = {c["name"]: c for c in pod["containers"]}
    vols = {v["name"]: v for v in pod["volumes"]}
    app = apps["app"]
    agent = inits["vault-agent"]
    install = inits["vaultshim-install"]

    def mount(container, volume):
        return next((m for m in container["volumeMounts"] if m["name"] == volume), {})

    def env(container, name):
        return next(e["value"] for e in container.get("env", []) if e["name"] == name)

    def kinds():
        assert get("ServiceAccount")["metadata"]["name"] == pod["serviceAccountName"]
        assert dep["spec"]["selector"]["matchLabels"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()
        for v in vols.values():
            # vault-ca holds the operator's Vault CA: made by them, not here
            if "configMap" in v and v["name"] != "vault-ca":
                get("ConfigMap", v["configMap"]["name"])
    check("kubernetes: a ServiceAccount, the Deployment's selector matches its pod, every ConfigMap volume "
          "but the operator's CA is in the file", kinds)

    agent_conf = {}

    def agent_hcl():
        # the agent's -config file is a key of the ConfigMap mounted at its directory
        arg = next(a for a in agent["command"] + agent.get("args", []) if a.startswith("-config="))
        cfg_path = arg[len("-config="):]
        vol = next(v for v in vols.values() if "configMap" in v and
                   mount(agent, v["name"]).get("mountPath") == os.path.dirname(cfg_path))
        cm = get("ConfigMap", vol["configMap"]["name"])
        text = cm["data"][os.path.basename(cfg_path)]
        agent_conf.update(check_agent_hcl(text, "kubernetes", ["role"]))
        assert agent_conf["auto_auth"]["method"]["kubernetes"]["mount_path"] == "auth/kubernetes"
        assert "sink" not in agent_conf["auto_auth"], "a sink writes the token to a volume"
        with open(os.path.join(out, "agent.hcl"), "w") as f:
            f.write(text)
    check("kubernetes: the agent's -config is in its ConfigMap and parses as HCL: kubernetes auto-auth with a role, "
          "cache {}, api_proxy use_auto_auth_token, one unix listener without TLS", agent_hcl)

    def native_sidecar():
        assert agent.get("restartPolicy") == "Always", "not a native sidecar (restartPolicy: Always)"
        probe = agent["startupProbe"]["exec"]["command"]
        sock = agent_conf["listener"]["unix"]["address"]
        assert probe == ["test", "-S", sock], "the startup probe %s does not wait for %s" % (probe, sock)
        # the init container that copies vaultshim comes first
        names = [c["name"] for c in pod["initContainers"]]
        assert names.index("vaultshim-install") < names.index("vault-agent"), names
    check("kubernetes: the agent is a native sidecar whose startup probe waits for its socket", native_sidecar)

    def socket_shared():
        sock = agent_conf["listener"]["unix"]["address"]
        addr = env(app, "VAULT_AGENT_ADDR")
        assert addr == "unix://" + sock, "VAULT_AGENT_ADDR %r, the agent listens on %r" % (addr, sock)
        vol = next(v for v in vols if any(m["name"] == v and m["mountPath"] == os.path.dirname(sock)
                                          for m in agent["volumeMounts"]))
        assert mount(app, vol)["mountPath"] == os.path.dirname(sock), \
            "the app mounts volume %s elsewhere" % vol
        assert not mount(app, vol).get("readOnly"), "a read-only mount: connect() to the socket fails"
        assert "emptyDir" in vols[vol]
        with open(os.path.join(out, "socket"), "w") as f:
            f.write(sock)
    check("kubernetes: the agent's socket path equals the app's VAULT_AGENT_ADDR, on an emptyDir both mount there",
          socket_shared)

    def socket_access():
        unix = agent_conf["listener"]["unix"]
        sc = pod["securityContext"]
        assert unix["socket_group"] == str(sc["fsGroup"]), \
            "socket_group %s is not the pod's fsGroup %s" % (unix["socket_group"], sc["fsGroup"])
        assert agent["securityContext"]["runAsUser"] != app["securityContext"]["runAsUser"], \
            "the app runs as the agent's user: it could read the agent's token from its memory"
    check("kubernetes: the socket's group is the pod's fsGroup (both containers are in it), "
          "the agent runs as another user than the app", socket_access)

    def installed_where_used():
        cmd = install["command"]
        assert cmd[:2] == ["cp", "-R"], cmd
        srcs, dest = cmd[2:-1], cmd[-1].rstrip("/")
        assert sorted(srcs) == ["/opt/vaultshim/bin", "/opt/vaultshim/lib"], srcs
        vol = next(m["name"] for m in install["volumeMounts"] if m["mountPath"].rstrip("/") == dest)
        assert "emptyDir" in vols[vol]
        at = mount(app, vol)["mountPath"].rstrip("/")
        assert mount(app, vol).get("readOnly") is True, "the app may write vaultshim's files"
        launcher = app["command"][0]
        assert launcher == at + "/bin/vaultshim-exec", \
            "the app starts %s, the init container copies bin/ and lib/ to %s" % (launcher, at)
        assert "--" in app["command"], app["command"]
        # the files belong to the app's user: vaultshim runs no code owned by another (root aside)
        assert install["securityContext"]["runAsUser"] == app["securityContext"]["runAsUser"], \
            "the copied files would belong to another user than the app's"
        with open(os.path.join(out, "init.cmd"), "w") as f:
            f.write(shlex.join(cmd))
        with open(os.path.join(out, "prefix"), "w") as f:
            f.write(at)
    check("kubernetes: the init container copies bin/ and lib/ of /opt/vaultshim into the emptyDir the app "
          "mounts read-only where its command runs bin/vaultshim-exec, as the app's user", installed_where_used)

    def vaultshim_conf():
        cfg = env(app, "VAULTSHIM_CONFIG")
        vol = next(v for v in vols.values() if "configMap" in v and
                   mount(app, v["name"]).get("mountPath") == os.path.dirname(cfg))
        mode = vol["configMap"].get("defaultMode", 0o644)
        assert not mode & 0o022, "ConfigMap files mode %o: vaultshim refuses a writable config" % mode
        text = get("ConfigMap", vol["configMap"]["name"])["data"][os.path.basename(cfg)]
        c = parse_vaultshim_conf(text)
        # the address and the credential come from the pod: VAULT_AGENT_ADDR and the agent
        for k in ("address", "token_file", "auth", "role_id_file", "secret_id_file"):
            assert k not in c.get("vault", {}), "[vault] %s set: the agent's socket and token are meant" % k
        assert c["env"], "no [env] mapping"
        with open(os.path.join(out, "vaultshim.conf"), "w") as f:
            f.write(text)
    check("kubernetes: VAULTSHIM_CONFIG names the vaultshim.conf key of a ConfigMap mounted there (mode "
          "without group/other write), with no address and no credential of its own", vaultshim_conf)

    def security():
        sc = pod["securityContext"]
        assert sc["runAsNonRoot"] is True
        assert sc["seccompProfile"]["type"] == "RuntimeDefault"
        assert not pod.get("hostNetwork") and not pod.get("hostPID")
        for c in list(inits.values()) + list(apps.values()):
            s = c["securityContext"]
            assert s["allowPrivilegeEscalation"] is False, c["name"]
            assert s["readOnlyRootFilesystem"] is True, c["name"]
            assert s["capabilities"]["drop"] == ["ALL"], c["name"]
            assert not s.get("capabilities", {}).get("add"), c["name"]
            assert s.get("runAsUser", 1) != 0 and not s.get("privileged"), c["name"]
        for v in vols.values():
            assert "hostPath" not in v, v["name"]
    check("kubernetes: non-root pod, RuntimeDefault seccomp, every container without privilege escalation, "
          "read-only root filesystem, all capabilities dropped, no hostPath", security)


def vault_agent(d, out):
    conf = {}

    def agent_hcl():
        with open(os.path.join(d, "vault-agent.hcl")) as f:
            conf.update(check_agent_hcl(f.read(), "approle", ["role_id_file_path", "secret_id_file_path"]))
        assert "sink" not in conf["auto_auth"], "a sink writes the token to disk (it is optional: commented out)"
        unix = conf["listener"]["unix"]
        assert unix.get("socket_user") and unix.get("socket_group"), "socket ownership not set"
    check("vault-agent: vault-agent.hcl parses as HCL: approle auto-auth from role_id/secret_id files, cache {}, "
          "api_proxy use_auto_auth_token, one unix listener without TLS, its owner, group and mode set", agent_hcl)
    if not conf:
        return
    sock = conf["listener"]["unix"]["address"]

    def unit():
        with open(os.path.join(d, "vault-agent.service")) as f:
            text = f.read()
        keys = {}
        for line in text.splitlines():
            k, eq, v = line.partition("=")
            if eq and not line.startswith("#"):
                keys.setdefault(k.strip(), []).append(v.strip())
        unix = conf["listener"]["unix"]
        exe = shlex.split(keys["ExecStart"][0])
        assert exe[1] == "agent" and exe[2] == "-config=/etc/vault-agent/vault-agent.hcl", exe
        # the socket's directory is the unit's runtime directory
        assert os.path.dirname(sock) == "/run/" + keys["RuntimeDirectory"][0], \
            "the socket %s is not in /run/%s" % (sock, keys["RuntimeDirectory"][0])
        assert keys["User"] == [unix["socket_user"]], "User=%s, socket_user %s" % (keys["User"], unix["socket_user"])
        assert unix["socket_group"] in keys["SupplementaryGroups"][0].split(), \
            "the agent is not in group %s, so it cannot give it the socket" % unix["socket_group"]
        mode = int(keys["RuntimeDirectoryMode"][0], 8)
        assert mode & 0o001 and not mode & 0o022, "RuntimeDirectoryMode %o" % mode
        assert keys["NoNewPrivileges"] == ["yes"] and keys["CapabilityBoundingSet"] == [""]
    check("vault-agent: the unit runs `vault agent -config=/etc/vault-agent/vault-agent.hcl` as socket_user, "
          "in socket_group, with the socket's directory as its RuntimeDirectory (0711)", unit)

    def mapping():
        with open(os.path.join(d, "vaultshim.conf")) as f:
            text = f.read()
        c = parse_vaultshim_conf(text)
        assert c["vault"]["address"] == "unix://" + sock, \
            "address %r, the agent listens on %r" % (c["vault"]["address"], sock)
        for k in ("token_file", "auth", "role_id_file", "secret_id_file"):
            assert k not in c["vault"], "[vault] %s set: the agent's token is meant" % k
        assert c["env"]
        with open(os.path.join(out, "socket"), "w") as f:
            f.write(sock)
    check("vault-agent: vaultshim.conf's address is unix:// and the agent's socket path, with no credential",
          mapping)


def main():
    which, d, out = sys.argv[1:4]
    {"kubernetes": kubernetes, "vault-agent": vault_agent}[which](d, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
