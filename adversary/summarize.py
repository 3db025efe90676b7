#!/usr/bin/env python3
"""Turn one suite run into a JSON row, and the rows into the suite's table.

    summarize.py row SCENARIO SEED RUN_DIR BUILD_SECONDS ANALYZE_SECONDS ANALYZE_EXIT >> rows.jsonl
    summarize.py table rows.jsonl

RUN_DIR holds logs/labels.csv, out/ (analyze's outputs), eval.json (`evaluate --json`) and
eval.txt (`evaluate` as printed). Standard library only.
"""
import csv
import json
import os
import re
import sys


def evaluation(run):
    try:
        with open(os.path.join(run, "eval.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        pass
    # fall back to the printed form
    text = open(os.path.join(run, "eval.txt")).read()
    m = re.search(r"precision ([\d.]+), recall ([\d.]+), F1 ([\d.]+); benign false-positive rate ([\d.]+) \((\d+) of (\d+)", text)
    ev = {"precision": float(m.group(1)), "recall": float(m.group(2)), "f1": float(m.group(3)),
          "benign_false_positive_rate": float(m.group(4)), "false_positives": int(m.group(5)),
          "benign_accounts": int(m.group(6)), "campaigns": [], "look_alikes_flagged": {}}
    for c in re.finditer(r"^\s+(\S+): (\d+)/(\d+) accounts flagged .* in (\d+) cluster\(s\), largest holds (\d+)%", text, re.M):
        ev["campaigns"].append({"campaign": c.group(1), "flagged": int(c.group(2)), "accounts": int(c.group(3)),
                                "clusters": int(c.group(4)), "largest_cluster_share": int(c.group(5)) / 100})
    m = re.search(r"look-alikes flagged: (.*)", text)
    if m and m.group(1) != "none":
        for part in m.group(1).split(", "):
            k, v = part.rsplit(" ", 1)
            ev["look_alikes_flagged"][k] = int(v)
    return ev


def row(scenario, seed, run, build_s, analyze_s, rc):
    labels = list(csv.DictReader(open(os.path.join(run, "logs", "labels.csv"))))
    kinds = {}
    for r in labels:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    clusters = 0
    cpath = os.path.join(run, "out", "clusters.csv")
    if os.path.exists(cpath):
        clusters = sum(1 for _ in csv.DictReader(open(cpath, newline="")))
    exchanges, links = None, None
    try:
        summary = json.load(open(os.path.join(run, "out", "summary.json")))
        exchanges = summary.get("records_accepted")
        links = (summary.get("detection") or {}).get("links")  # internal figure, shown when present
    except (OSError, ValueError):
        pass
    ev = evaluation(run)
    thr0 = None
    try:
        e0 = json.load(open(os.path.join(run, "eval0.json")))
        c0 = sum(1 for _ in csv.DictReader(open(os.path.join(run, "out0", "clusters.csv"), newline="")))
        thr0 = {"recall": e0.get("recall"), "benign_fp": e0.get("false_positives"), "clusters": c0}
    except (OSError, ValueError):
        pass
    return {"scenario": scenario, "seed": int(seed), "accounts": len(labels), "exchanges": exchanges,
            "campaign_accounts": kinds.get("campaign", 0), "kinds": kinds, "analyze_exit": int(rc),
            "build_s": float(build_s), "analyze_s": float(analyze_s), "clusters": clusters,
            "precision": ev.get("precision"), "recall": ev.get("recall"), "f1": ev.get("f1"),
            "benign_fp": ev.get("false_positives"), "benign": ev.get("benign_accounts"),
            "benign_fp_rate": ev.get("benign_false_positive_rate"),
            "look_alikes": ev.get("look_alikes_flagged") or {},
            "campaigns": [{"id": c["campaign"], "flagged": c["flagged"], "accounts": c["accounts"],
                           "clusters": c["clusters"], "largest": c["largest_cluster_share"]} for c in ev.get("campaigns", [])],
            "threshold0": thr0, "links": links}


def diag(r):
    d = r.get("threshold0")
    if not d:
        return "?"
    rec = "–" if not r["campaign_accounts"] else f"{d['recall']:.3f}"
    links = "" if r.get("links") is None else f" ({r['links']} links)"
    return f"{rec} / {d['benign_fp']} / {d['clusters']}{links}"


def table(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    head = ["scenario", "seed", "accounts", "exchanges", "campaign accts", "F1", "precision", "recall",
            "benign FP rate", "look-alikes flagged", "largest-cluster share per campaign", "clusters reported", "exit", "at --threshold 0: recall / non-campaign flagged / clusters"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        camp = "; ".join(f"{c['id']} {c['largest'] * 100:.0f}% ({c['flagged']}/{c['accounts']} in {c['clusters']})"
                         for c in r["campaigns"]) or "–"
        look = ", ".join(f"{k} {v}" for k, v in sorted(r["look_alikes"].items())) or "none"
        f1 = "–" if not r["campaign_accounts"] else f"{r['f1']:.3f}"
        prec = "–" if not r["campaign_accounts"] else f"{r['precision']:.3f}"
        rec = "–" if not r["campaign_accounts"] else f"{r['recall']:.3f}"
        fp = f"{r['benign_fp_rate']:.4f} ({r['benign_fp']}/{r['benign']})"
        out.append("| " + " | ".join([r["scenario"], str(r["seed"]), f"{r['accounts']:,}", f"{r['exchanges']:,}" if r["exchanges"] else "?",
                                      str(r["campaign_accounts"]), f1, prec, rec, fp, look, camp, str(r["clusters"]),
                                      str(r["analyze_exit"]), diag(r)]) + " |")
    benign = [r for r in rows if r["campaign_accounts"] == 0]
    if benign:
        out.append("")
        out.append(f"benign-only: {sum(r['clusters'] for r in benign)} false cluster(s) over {len(benign)} seed(s), "
                   f"{sum(r['benign_fp'] or 0 for r in benign)} accounts flagged in total")
    print("\n".join(out))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "row" and len(sys.argv) == 8:
        print(json.dumps(row(*sys.argv[2:8])))
    elif len(sys.argv) == 3 and sys.argv[1] == "table":
        table(sys.argv[2])
    else:
        sys.exit(__doc__)
