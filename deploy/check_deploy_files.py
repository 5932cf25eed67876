"""Cross-checks deploy/app.json, the Procfile, deploy/kubernetes/*.yaml and the README's configuration table.

Each finding is printed as one line naming the file and what to fix; the exit status is 1 when there is any.
"""

import json
import pathlib
import re
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent.parent
problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


def readme_variables():
    """The variables of the README's "Configuration" table (first column, every `NAME` in it)."""
    text = (root / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def procfile_types():
    types = {}
    for line in (root / "Procfile").read_text().splitlines():
        if ":" in line and not line.startswith("#"):
            name, command = line.split(":", 1)
            types[name.strip()] = command.strip()
    return types


documented = readme_variables()
processes = procfile_types()
if not documented:
    problem("README.md", "found no variables in the Configuration table")

app = json.loads((root / "deploy/app.json").read_text())
if set(app.get("formation", {})) != set(processes):
    problem("deploy/app.json", f"formation {sorted(app.get('formation', {}))} differs from the Procfile's "
            f"process types {sorted(processes)}")
for name, variable in app.get("env", {}).items():
    if not variable.get("description"):
        problem("deploy/app.json", f"env {name} has no description")
    if name not in documented:
        problem("deploy/app.json", f"env {name} is not in the README's Configuration table")
for name in sorted(documented - set(app.get("env", {})) - {"PORT", "DYNO"}):
    problem("deploy/app.json", f"README variable {name} is missing from env (platforms set only PORT and DYNO)")
for kind in ("aggregator", "postgres_sink", "retry_sink"):
    variable = kind.upper() + "_WORKERS"
    quantity = app.get("formation", {}).get(kind, {}).get("quantity")
    if str(quantity) != app.get("env", {}).get(variable, {}).get("value"):
        problem("deploy/app.json", f"formation {kind} quantity {quantity} differs from {variable}")
postdeploy = app.get("scripts", {}).get("postdeploy", "")
if "topics create" not in postdeploy or "schema" not in postdeploy:
    problem("deploy/app.json", "scripts.postdeploy must create the topics and the day schemas")

documents = []
for path in sorted((root / "deploy/kubernetes").glob("*.yaml")):
    documents += [(path.name, document) for document in yaml.safe_load_all(path.read_text()) if document]
config = {}
for name, document in documents:
    if document["kind"] in ("ConfigMap", "Secret") and document["metadata"]["name"] == "drainpipe":
        data = document.get("data", {}) | document.get("stringData", {})
        for key in data:
            if key not in documented:
                problem(name, f"{document['kind']} key {key} is not in the README's Configuration table")
        config |= data
binaries = {pathlib.PurePath(command.split()[0]).name for command in processes.values()}
for name, document in documents:
    if document["kind"] not in ("Deployment", "StatefulSet"):
        continue
    container = document["spec"]["template"]["spec"]["containers"][0]
    command = " ".join(container["command"])
    if not any(f"bin/{binary}" in command for binary in binaries):
        problem(name, f"container command {command!r} runs none of the Procfile's executables")
    probes = [container.get(probe, {}).get("httpGet", {}).get("path") for probe in ("readinessProbe", "livenessProbe")]
    if None in probes:
        problem(name, "needs HTTP readiness and liveness probes")
    elif probes != ["/readyz", "/healthz"]:
        problem(name, f"probes {probes}: readiness must ask /readyz (dependencies answer), liveness /healthz")
    if "requests" not in container.get("resources", {}):
        problem(name, "needs resource requests")
    if document["kind"] == "StatefulSet":
        variable = document["metadata"]["name"].replace("-", "_").upper() + "_WORKERS"
        if str(document["spec"]["replicas"]) != config.get(variable):
            problem(name, f"replicas {document['spec']['replicas']} differ from {variable}={config.get(variable)}")
        if "DYNO=" not in command or "POD_NAME" not in command:
            problem(name, "must derive DYNO from the pod ordinal (POD_NAME)")

for line in problems:
    print(line, file=sys.stderr)
sys.exit(1 if problems else 0)
