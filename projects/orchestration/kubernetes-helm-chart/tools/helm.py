#!/usr/bin/env python3
"""A `helm` command over Helm's own Go engine (PyPI helm-python-sdk, Helm v4).

The helm binary cannot be downloaded on this platform's build machines, but Helm's library can:
helm-python-sdk ships it as a shared library. This wrapper gives it the subset of helm's command
line the platform uses, with helm's flag names:

  helm.py template NAME CHART [-f VALUES]... [--set K=V]... [--namespace NS]
  helm.py lint CHART [-f VALUES]... [--set K=V]... [--strict]
  helm.py package CHART [--destination DIR] [--version V] [--app-version V]
  helm.py upgrade --install NAME CHART [-f VALUES]... [--set K=V]... [--namespace NS]
                  [--wait] [--timeout SECONDS] [--dry-run client|server] [--kube-context CTX]
  helm.py rollback NAME [REVISION] [--namespace NS] [--kube-context CTX]
  helm.py test NAME [--namespace NS] [--kube-context CTX]
  helm.py version

Values files merge as helm merges them: maps deeply, everything else replaced, later wins.
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import yaml

try:
    import helm_python as helm
except ImportError:  # pragma: no cover - reported, not raised
    sys.exit("helm.py: helm-python-sdk is not installed; run scripts/iac-tools.sh")


def merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def user_values(files: list[str], sets: list[str]) -> dict:
    values: dict = {}
    for f in files:
        path = Path(f)
        if not path.is_file():
            sys.exit(f"helm.py: values file {f} does not exist")
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as e:
            sys.exit(f"helm.py: {f}: not YAML: {e}")
        if not isinstance(doc, dict):
            sys.exit(f"helm.py: {f}: values must be a mapping, got {type(doc).__name__}")
        values = merge(values, doc)
    for s in sets:
        values = merge(values, helm.parse_set_string(s))
    return values


def render(chart_dir: str, name: str, namespace: str, values: dict) -> str:
    chart = helm.Chart.load(chart_dir)
    chart.validate_schema(chart.merge_values(values))
    manifests = chart.render(values, name=name, namespace=namespace, is_install=True)
    out = []
    for path in sorted(manifests):
        body = manifests[path].strip()
        if not body or path.endswith("NOTES.txt"):
            continue
        # Several documents in one template stay separate, as in helm's output.
        for doc in body.split("\n---\n"):
            if doc.strip() and doc.strip() != "---":
                out.append(f"---\n# Source: {path}\n{doc.strip()}\n")
    return "".join(out)


def config(args) -> "helm.Config":
    return helm.Config(namespace=args.namespace, kube_context=args.kube_context)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="helm.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def values_flags(sp):
        sp.add_argument("-f", "--values", action="append", default=[], metavar="FILE")
        sp.add_argument("--set", action="append", default=[], metavar="K=V")

    def cluster_flags(sp):
        sp.add_argument("-n", "--namespace", default="default")
        sp.add_argument("--kube-context")

    t = sub.add_parser("template", help="render the chart offline")
    t.add_argument("name")
    t.add_argument("chart")
    t.add_argument("-n", "--namespace", default="default")
    values_flags(t)

    lint = sub.add_parser("lint", help="helm lint with the given values")
    lint.add_argument("chart")
    lint.add_argument("--strict", action="store_true", help="warnings fail too")
    values_flags(lint)

    pk = sub.add_parser("package", help="package the chart into a .tgz")
    pk.add_argument("chart")
    pk.add_argument("-d", "--destination", default=".")
    pk.add_argument("--version")
    pk.add_argument("--app-version")

    up = sub.add_parser("upgrade", help="upgrade a release (with --install: install when absent)")
    up.add_argument("name")
    up.add_argument("chart")
    up.add_argument("-i", "--install", action="store_true")
    up.add_argument("--wait", action="store_true")
    up.add_argument("--timeout", type=int, default=300, metavar="SECONDS")
    up.add_argument("--dry-run", choices=["client", "server"])
    values_flags(up)
    up.add_argument("--kube-context")
    up.add_argument("-n", "--namespace", default="default")

    rb = sub.add_parser("rollback", help="roll a release back (to REVISION, else the previous)")
    rb.add_argument("name")
    rb.add_argument("revision", nargs="?", type=int)
    cluster_flags(rb)

    ts = sub.add_parser("test", help="run the release's test hooks")
    ts.add_argument("name")
    cluster_flags(ts)

    sub.add_parser("version", help="the Helm library's version")

    args = p.parse_args(argv)
    try:
        if args.cmd == "version":
            print(helm.helm_sdk_version())
        elif args.cmd == "template":
            sys.stdout.write(render(args.chart, args.name, args.namespace, user_values(args.values, args.set)))
        elif args.cmd == "lint":
            report = helm.lint(args.chart, user_values(args.values, args.set), strict=args.strict)
            worst = 0
            for m in report.get("messages", []):
                sev = m.get("severity", 0)
                worst = max(worst, sev)
                label = {1: "INFO", 2: "WARNING", 3: "ERROR"}.get(sev, "UNKNOWN")
                print(f"[{label}] {m.get('path', '')}: {m.get('error', '')}")
            for e in report.get("errors", []):
                print(f"[ERROR] {e}")
                worst = 3
            failed = worst >= 3 or (args.strict and worst >= 2)
            print(f"{report.get('total_charts_linted', 0)} chart(s) linted, {'failed' if failed else 'no failures'}")
            return 1 if failed else 0
        elif args.cmd == "package":
            print(helm.package(args.chart, destination=args.destination, version=args.version, app_version=args.app_version))
        elif args.cmd == "upgrade":
            values = user_values(args.values, args.set)
            with config(args) as cfg:
                # A client-side dry run never contacts the cluster: render as an install.
                if args.dry_run == "client":
                    names = set()
                else:
                    names = {r["name"] for r in cfg.list()} if args.install else set()
                wait = "watcher" if args.wait else None
                if args.install and args.name not in names:
                    rel = cfg.install(args.chart, args.name, values, namespace=args.namespace, timeout=args.timeout, wait=wait, dry_run=args.dry_run, rollback_on_failure=args.wait)
                else:
                    rel = cfg.upgrade(args.chart, args.name, values, namespace=args.namespace, timeout=args.timeout, wait=wait, dry_run=args.dry_run, rollback_on_failure=args.wait)
                summary = {k: rel.get(k) for k in ("name", "namespace", "revision", "status", "chart_version")}
                summary["manifest_bytes"] = len(rel.get("manifest") or "")
                print(json.dumps(summary, indent=2, default=str))
        elif args.cmd == "rollback":
            with config(args) as cfg:
                cfg.rollback(args.name, revision=args.revision)
                print(f"rolled back {args.name}")
        elif args.cmd == "test":
            with config(args) as cfg:
                print(json.dumps(cfg.test(args.name), indent=2, default=str))
    except helm.HelmError as e:
        print(f"helm.py {args.cmd}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
