#!/usr/bin/env python3
"""Checks the deployment files against each other, the config schema and the command.

    check_deploy.py --source DIR --onceflow BIN [--only docker|kubernetes|systemd|schema]

No Docker engine or Kubernetes cluster is needed (none is on a CI machine): the files are
parsed and checked for what the docs promise.

- Dockerfile: multi-stage; the build stage installs with scripts/install-deps --build-only and
  makes the Debian package with the `package` preset and cpack; the runtime stage is
  debian:bookworm-slim, installs that package, runs as a numeric non-root user, keeps
  /var/lib/onceflow as a volume, and has an exec-form ENTRYPOINT of the command.
- deploy/kubernetes: every document parses; the kustomization lists every file; a StatefulSet
  whose instance id is the pod name, governed by a headless Service; selectors agree
  (Service, PodMonitor, PodDisruptionBudget); a non-root, read-only-root-filesystem
  securityContext; the state directory and every path the pipeline uses are on mounts; the
  probes use /healthz and /readyz on the metrics port the pipeline listens on; the image tag
  is the project's version; `onceflow validate` accepts the pipeline.
- deploy/systemd/onceflow@.service: Restart=on-failure, no restart on exit 2 and 3,
  StateDirectory=, SIGTERM with a grace period, the command the package installs.
- The JSON Schema (`onceflow schema`) accepts every example and deployment config, and
  refuses an unknown key and a wrong mode.
"""
import argparse
import configparser
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
    return condition


# ---------------------------------------------------------------- Dockerfile


def dockerfile_instructions(path):
    """[(stage index, INSTRUCTION, arguments)] with continuations joined, comments dropped."""
    text = open(path).read()
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    out, stage = [], -1
    for line in lines:
        instruction, _, args = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            stage += 1
        out.append((stage, instruction, args.strip()))
    return out


def check_docker(source, project_version):
    instructions = dockerfile_instructions(os.path.join(source, "Dockerfile"))
    froms = [(s, a) for s, i, a in instructions if i == "FROM"]
    check(len(froms) >= 2, "Dockerfile: not multi-stage (%d FROM)" % len(froms))
    stages = {}
    for stage, args in froms:
        parts = args.split()
        name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else str(stage)
        stages[stage] = (parts[0], name)
    last = max(stages)
    base, _ = stages[last]
    check(base == "debian:bookworm-slim", "Dockerfile: the runtime stage is %s, not debian:bookworm-slim" % base)
    build_stage_names = {name for s, (_, name) in stages.items() if s != last}

    def of(stage, instruction):
        return [a for s, i, a in instructions if s == stage and i == instruction]

    build_runs = " ".join(" ".join(of(s, "RUN")) for s in stages if s != last)
    check("scripts/install-deps --build-only" in build_runs,
          "Dockerfile: the build stage does not install with scripts/install-deps --build-only")
    check("cmake --preset package" in build_runs and "cpack" in build_runs,
          "Dockerfile: the build stage does not build the package preset and cpack")

    copies = of(last, "COPY")
    from_build = [c for c in copies if any(c.startswith("--from=%s " % n) for n in build_stage_names)]
    check(any(".deb" in c for c in from_build),
          "Dockerfile: the runtime stage does not copy the .deb from the build stage")
    runtime_runs = " ".join(of(last, "RUN"))
    check(re.search(r"apt-get install [^&]*\.deb", runtime_runs) is not None,
          "Dockerfile: the runtime stage does not apt-get install the .deb (its Depends)")

    users = of(last, "USER")
    check(len(users) >= 1, "Dockerfile: no USER in the runtime stage")
    if users:
        user = users[-1].split(":")[0]
        check(user.isdigit() and int(user) != 0,
              "Dockerfile: USER %s is not a numeric non-root user (runAsNonRoot needs a number)" % users[-1])
        if user.isdigit():
            check("--uid %s" % user in runtime_runs, "Dockerfile: user %s is never created" % user)

    volumes = " ".join(of(last, "VOLUME"))
    check("/var/lib/onceflow" in volumes, "Dockerfile: /var/lib/onceflow is not a VOLUME")
    entrypoints = of(last, "ENTRYPOINT")
    check(len(entrypoints) == 1, "Dockerfile: not exactly one ENTRYPOINT in the runtime stage")
    if entrypoints:
        try:
            entry = json.loads(entrypoints[0])
            check(isinstance(entry, list) and entry and entry[0].endswith("/onceflow"),
                  "Dockerfile: ENTRYPOINT %s does not run onceflow" % entrypoints[0])
        except json.JSONDecodeError:
            check(False, "Dockerfile: ENTRYPOINT is shell form (%s); exec form (JSON) lets onceflow get SIGTERM" % entrypoints[0])
    cmds = of(last, "CMD")
    if cmds:
        try:
            cmd = json.loads(cmds[0])
            check(cmd[:1] == ["run"] and "--config" in cmd, "Dockerfile: CMD does not run a config")
        except json.JSONDecodeError:
            check(False, "Dockerfile: CMD is shell form")
    ignore = open(os.path.join(source, ".dockerignore")).read().split()
    for path in (".git", "build", ".cache"):
        check(path in ignore, ".dockerignore: %s is not left out of the build context" % path)


# ---------------------------------------------------------------- Kubernetes


def check_kubernetes(source, onceflow, project_version):
    k8s = os.path.join(source, "deploy", "kubernetes")
    kustomization = yaml.safe_load(open(os.path.join(k8s, "kustomization.yaml")))
    listed = set(kustomization.get("resources", []))
    generated = set()
    for gen in kustomization.get("configMapGenerator", []):
        generated.update(gen.get("files", []))
    files = {f for f in os.listdir(k8s) if f.endswith(".yaml") and f != "kustomization.yaml"}
    check(files == listed | generated,
          "kustomization.yaml lists %s, the folder has %s" % (sorted(listed | generated), sorted(files)))

    docs = {}
    for name in sorted(listed):
        for doc in yaml.safe_load_all(open(os.path.join(k8s, name))):
            if doc:
                docs.setdefault(doc["kind"], []).append(doc)
    for kind in ("StatefulSet", "Service", "PodMonitor", "PodDisruptionBudget", "Secret"):
        check(kind in docs, "deploy/kubernetes: no %s" % kind)
    if FAILURES:
        return
    sts = docs["StatefulSet"][0]
    spec = sts["spec"]
    labels = spec["template"]["metadata"]["labels"]
    check(spec["selector"]["matchLabels"].items() <= labels.items(),
          "StatefulSet: its selector does not match its pods' labels")
    services = {s["metadata"]["name"]: s for s in docs["Service"]}
    governing = services.get(spec["serviceName"])
    check(governing is not None, "StatefulSet: serviceName %s is not a Service here" % spec["serviceName"])
    if governing:
        check(governing["spec"].get("clusterIP") == "None", "Service %s is not headless" % spec["serviceName"])
        check(governing["spec"]["selector"].items() <= labels.items(), "Service: its selector misses the pods")
    for kind in ("PodMonitor", "PodDisruptionBudget"):
        sel = docs[kind][0]["spec"]["selector"]["matchLabels"]
        check(sel.items() <= labels.items(), "%s: its selector misses the pods" % kind)

    pod = spec["template"]["spec"]
    containers = pod["containers"]
    onceflows = [c for c in containers if c.get("args", [None])[0] == "run"]
    check(len(onceflows) == 1, "StatefulSet: no container runs `onceflow run`")
    if not onceflows:
        return
    c = onceflows[0]
    env = {e["name"]: e for e in c.get("env", [])}
    check(env.get("ONCEFLOW_INSTANCE_ID", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
          == "metadata.name", "StatefulSet: ONCEFLOW_INSTANCE_ID is not the pod name")
    image = c["image"]
    check(image.split(":")[-1] == project_version and image.split(":")[0].endswith("onceflow"),
          "StatefulSet: image %s is not onceflow:%s" % (image, project_version))
    check(any(i.get("name") == image.split(":")[0] for i in kustomization.get("images", [])),
          "kustomization.yaml: no images entry for %s" % image.split(":")[0])

    pod_sc = pod.get("securityContext", {})
    sc = c.get("securityContext", {})
    check(pod_sc.get("runAsNonRoot") is True or sc.get("runAsNonRoot") is True, "not runAsNonRoot")
    check(sc.get("readOnlyRootFilesystem") is True, "the container's root filesystem is not read-only")
    check(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation is not false")
    check("ALL" in sc.get("capabilities", {}).get("drop", []), "capabilities are not all dropped")
    check(pod_sc.get("runAsUser") == 10001, "runAsUser is not the image's user 10001")

    # The pipeline: the file the ConfigMap is generated from, mounted where args say.
    args = c["args"]
    config_path = args[args.index("--config") + 1]
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    claims = {t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])}
    config_mount = mounts.get(os.path.dirname(config_path))
    check(config_mount is not None, "nothing is mounted at %s" % os.path.dirname(config_path))
    if config_mount:
        vol = volumes.get(config_mount["name"], {})
        cm = vol.get("configMap", {}).get("name")
        gen_names = [g["name"] for g in kustomization.get("configMapGenerator", [])]
        check(cm in gen_names, "%s is not the generated ConfigMap" % config_mount["name"])
    pipeline_file = os.path.join(k8s, os.path.basename(config_path))
    pipeline = yaml.safe_load(open(pipeline_file))

    def mount_of(path):
        best = None
        for m in mounts:
            if path == m or path.startswith(m.rstrip("/") + "/"):
                if best is None or len(m) > len(best):
                    best = m
        return best

    state_dir = pipeline.get("state", {}).get("dir", "onceflow-state")
    state_mount = mount_of(state_dir)
    check(state_mount is not None and mounts[state_mount]["name"] in claims,
          "state.dir %s is not on the StatefulSet's volume claim (a read-only root filesystem "
          "would refuse it, and an emptyDir would lose it)" % state_dir)
    check(not mounts.get(state_mount, {}).get("readOnly", False), "the state volume is read-only")
    ca = pipeline.get("kafka", {}).get("ssl.ca.location")
    if ca:
        ca_mount = mount_of(ca)
        check(ca_mount is not None, "ssl.ca.location %s is not mounted" % ca)
        if ca_mount:
            vol = volumes[mounts[ca_mount]["name"]]
            items = [i["path"] for i in vol.get("secret", {}).get("items", [])]
            check(not items or os.path.relpath(ca, ca_mount) in items,
                  "ssl.ca.location %s is not among the secret's items" % ca)

    # Every ${VAR} the pipeline uses comes from the container's env (or has a default).
    text = open(pipeline_file).read()
    for name, default in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}", text):
        check(name in env or default, "pipeline.yaml uses ${%s}, which the container does not set" % name)
    secrets = {s["metadata"]["name"]: s for s in docs["Secret"]}
    for e in env.values():
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            check(ref["name"] in secrets and ref["key"] in secrets[ref["name"]].get("stringData", {}),
                  "env %s refers to a missing secret key %s/%s" % (e["name"], ref["name"], ref["key"]))

    # Metrics: the pipeline listens where the probes and the PodMonitor look.
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    address = str(pipeline.get("metrics", {}).get("address", "127.0.0.1:9464"))
    host, _, port = address.rpartition(":")
    check(host in ("0.0.0.0", "*", "[::]"), "metrics.address %s is not reachable from outside the container" % address)
    check(ports.get("metrics") == int(port), "the metrics port %s is not the pipeline's %s" % (ports.get("metrics"), port))
    check(c["startupProbe"]["httpGet"]["path"] == "/healthz", "startupProbe is not /healthz")
    check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", "livenessProbe is not /healthz")
    check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", "readinessProbe is not /readyz")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        check(c[probe]["httpGet"]["port"] == "metrics", "%s is not on the metrics port" % probe)
    endpoints = docs["PodMonitor"][0]["spec"]["podMetricsEndpoints"]
    check(any(e.get("port") == "metrics" and e.get("path", "/metrics") == "/metrics" for e in endpoints),
          "PodMonitor does not scrape /metrics on the port named metrics")
    check(pod.get("terminationGracePeriodSeconds", 30) >= 30, "terminationGracePeriodSeconds below 30 s")

    # The command accepts the pipeline as the pod would give it.
    run_env = dict(os.environ, KAFKA_USERNAME="u", KAFKA_PASSWORD="p")
    result = subprocess.run([onceflow, "validate", "--config", pipeline_file], env=run_env,
                            capture_output=True, text=True)
    check(result.returncode == 0, "onceflow validate %s: %s" % (pipeline_file, result.stderr.strip()))


# ---------------------------------------------------------------- systemd


def check_systemd(source):
    path = os.path.join(source, "deploy", "systemd", "onceflow@.service")
    unit = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    unit.optionxform = str
    unit.read(path)
    s = unit["Service"]
    check(s.get("Restart") == "on-failure", "unit: Restart is not on-failure")
    prevent = s.get("RestartPreventExitStatus", "").split()
    check("2" in prevent and "3" in prevent, "unit: restarts on exit 2 or 3 (RestartPreventExitStatus=%s)" % " ".join(prevent))
    check(bool(s.get("StateDirectory")), "unit: no StateDirectory=")
    check(s.get("WorkingDirectory", "").startswith("%S/" + s.get("StateDirectory", "?")),
          "unit: WorkingDirectory is not the state directory")
    start = shlex.split(s.get("ExecStart", ""))
    check(start[:3] == ["/usr/bin/onceflow", "run", "--config"], "unit: ExecStart is not /usr/bin/onceflow run --config")
    check(s.get("KillSignal", "SIGTERM") == "SIGTERM", "unit: KillSignal is not SIGTERM")
    check(int(s.get("TimeoutStopSec", "90").rstrip("s")) >= 30, "unit: TimeoutStopSec below 30 s")
    check(s.get("Environment", "").startswith("ONCEFLOW_INSTANCE_ID="), "unit: no stable ONCEFLOW_INSTANCE_ID")
    check("multi-user.target" in unit["Install"].get("WantedBy", ""), "unit: not WantedBy=multi-user.target")


# ---------------------------------------------------------------- schema


def check_schema(source, onceflow):
    try:
        import jsonschema
    except ImportError:
        check(False, "python3-jsonschema is not installed (scripts/install-deps installs it)")
        return
    schema = json.loads(subprocess.run([onceflow, "schema"], capture_output=True, text=True, check=True).stdout)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    configs = [os.path.join(source, "examples", "sidecar", f) for f in ("orders.yaml", "orders.json")]
    configs.append(os.path.join(source, "deploy", "kubernetes", "pipeline.yaml"))
    for path in configs:
        doc = yaml.safe_load(open(path))
        errors = [e.message for e in validator.iter_errors(doc)]
        check(not errors, "the schema refuses %s: %s" % (path, errors))
    good = yaml.safe_load(open(configs[0]))
    for bad, why in ((dict(good, outptu="x"), "an unknown key"), (dict(good, mode="eso"), "a wrong mode"),
                     (dict(good, commit_interval_ms="soon"), "a duration that is not one"),
                     ({k: v for k, v in good.items() if k != "application_id"}, "a missing application_id")):
        check(not validator.is_valid(bad), "the schema accepts %s" % why)
    for ok, why in ((dict(good, commit_interval_ms="1m30s"), "a duration"),
                    (dict(good, mode="exactly_once_v2"), "exactly_once_v2"),
                    (dict(good, commit_interval_ms="${COMMIT_MS:-100}"), "a substitution")):
        check(validator.is_valid(ok), "the schema refuses %s" % why)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", required=True)
    parser.add_argument("--onceflow", required=True)
    parser.add_argument("--only", choices=["docker", "kubernetes", "systemd", "schema"])
    args = parser.parse_args()
    text = open(os.path.join(args.source, "CMakeLists.txt")).read()
    version = re.search(r"^\s*VERSION\s+([0-9.]+)", text, re.M).group(1)
    steps = {
        "docker": lambda: check_docker(args.source, version),
        "kubernetes": lambda: check_kubernetes(args.source, args.onceflow, version),
        "systemd": lambda: check_systemd(args.source),
        "schema": lambda: check_schema(args.source, args.onceflow),
    }
    for name, step in steps.items():
        if args.only in (None, name):
            step()
            print("%s: %s" % (name, "ok" if not FAILURES else "FAILED"))
            if FAILURES:
                break
    for f in FAILURES:
        print("FAIL:", f, file=sys.stderr)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
