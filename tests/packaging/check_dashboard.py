"""Checks packaging/grafana/mxrelay-dashboard.json: it is valid JSON (python3 -m json.tool),
every panel query is valid PromQL (promtool check rules on the queries turned into recording
rules, Grafana variables replaced), every metric the alert rules in
packaging/prometheus/alerts.yml (found next to the dashboard's folder) use has a panel, and
the README's table of rows and panels is the dashboard's.
Usage: check_dashboard.py DASHBOARD_JSON"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

METRIC_NAME = re.compile(r"\bmxrelay_[a-z0-9_]+\b")
GRAFANA_VARIABLES = {"$instance": ".+", "$__rate_interval": "5m"}


def panel_queries(dashboard):
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel["id"], target["refId"], target["expr"]


def alert_metrics(alerts_path):
    """The mxrelay metric names in the alert rules (comments left out), sorted."""
    lines = [line for line in alerts_path.read_text().splitlines()
             if not line.lstrip().startswith("#")]
    return sorted(set(METRIC_NAME.findall("\n".join(lines))))


def dashboard_rows(dashboard):
    """[(row title, [panel titles])] in the dashboard's order."""
    rows = []
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            rows.append((panel["title"], []))
        elif rows:
            rows[-1][1].append(panel["title"])
    return rows


def readme_rows(readme_path):
    """The README's "| Row | Panels |" table, in the same shape."""
    lines = readme_path.read_text().splitlines()
    start = lines.index("| Row | Panels |") + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("| "):
            break
        row, panels = (cell.strip() for cell in line.strip("|").split("|"))
        rows.append((row, panels.split("; ")))
    return rows


def as_prometheus_query(expr):
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    leftover = re.search(r"\$\w+", expr)
    if leftover:
        raise SystemExit(f"unknown Grafana variable {leftover.group(0)} in: {expr}")
    return expr


def main():
    path = pathlib.Path(sys.argv[1])
    subprocess.run([sys.executable, "-m", "json.tool", str(path)], check=True,
                   stdout=subprocess.DEVNULL)
    dashboard = json.loads(path.read_text())
    queries = list(panel_queries(dashboard))
    if not queries:
        raise SystemExit("the dashboard has no queries")

    all_text = "\n".join(expr for _, _, expr in queries)
    required = alert_metrics(path.parent.parent / "prometheus" / "alerts.yml")
    if not required:
        raise SystemExit("the alert rules use no mxrelay metric")
    missing = [name for name in required if not re.search(rf"\b{name}\b", all_text)]
    if 'up{job="mxrelay"' not in all_text:
        missing.append('up{job="mxrelay"}')
    if missing:
        raise SystemExit(f"no panel shows: {', '.join(missing)}")

    documented = readme_rows(path.parent.parent.parent / "README.md")
    if documented != dashboard_rows(dashboard):
        raise SystemExit(f"README's dashboard table {documented} is not the dashboard's "
                         f"{dashboard_rows(dashboard)}")

    rules = [{"record": f"mxrelay_dashboard:panel_{panel}_{ref}", "expr": as_prometheus_query(expr)}
             for panel, ref, expr in queries]
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as file:
        json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, file)
        file.flush()
        subprocess.run(["promtool", "check", "rules", file.name], check=True)
    print(f"{path.name}: {len(queries)} valid queries, all alert metrics shown")


main()
