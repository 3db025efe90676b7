#!/usr/bin/env python3
"""A reference campaign-detection pipeline, written the way a data scientist would write it
with the usual libraries: gzip + orjson to read, per-account dictionaries, datasketch
MinHash LSH over each account's prompt word bigrams, networkx connected components, and a
simple rule to flag a component. It is the peer distill-detect is timed and scored against
(scripts/bench-compare); it reads the canonical field names only.

    pip install orjson datasketch networkx
    python3 Benchmarks/peers/reference_pipeline.py LOG.jsonl.gz... --out accounts.csv

accounts.csv has the columns `evaluate` reads: cluster_id, account_id.
"""
import argparse
import csv
import gzip
import re
import sys
from collections import defaultdict

import networkx as nx
import orjson
from datasketch import MinHash, MinHashLSH

WORD = re.compile(r"[a-z]+")
COT = re.compile(r"step by step|step-by-step|explain your reasoning|show your (?:full )?(?:work|reasoning)|chain of thought|think carefully", re.I)
EXTRACTION = re.compile(
    r"\b(?:function|code|implement|bug|debug|python|rust|java|sql|api|class|test|refactor|algorithm|"
    r"tool|agent|plan|call|prove|solve|equation|calculate|compute)\b", re.I)

MIN_PROMPTS = 10        # accounts with fewer prompts are not compared
LSH_THRESHOLD = 0.7     # estimated Jaccard of bigram sets for a candidate pair (0.5, 0.6, 0.7, 0.8 tried by hand on a 200k-exchange sample: 0.7 scored best)
NUM_PERM = 128
MIN_CLUSTER = 5


def prompt_of(record):
    p = record.get("prompt")
    if isinstance(p, str):
        return p
    messages = record.get("messages")
    if isinstance(messages, list):
        for m in reversed(messages):
            if isinstance(m, dict) and m.get("role") == "user" and isinstance(m.get("content"), str):
                return m["content"]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    accounts = defaultdict(lambda: {"n": 0, "prompts": 0, "cot": 0, "extraction": 0, "bigrams": set(), "cards": set()})
    bad = 0
    for path in args.paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            for line in f:
                try:
                    r = orjson.loads(line)
                    acct = r["account_id"]
                except Exception:
                    bad += 1
                    continue
                a = accounts[acct]
                a["n"] += 1
                card = r.get("payment_fingerprint")
                if card:
                    a["cards"].add(card)
                p = prompt_of(r)
                if not p:
                    continue
                a["prompts"] += 1
                if COT.search(p):
                    a["cot"] += 1
                if EXTRACTION.search(p):
                    a["extraction"] += 1
                words = WORD.findall(p.lower())
                a["bigrams"].update(w1 + " " + w2 for w1, w2 in zip(words, words[1:]))

    lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    sketches = {}
    for acct, a in accounts.items():
        if a["prompts"] < MIN_PROMPTS or not a["bigrams"]:
            continue
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch([b.encode() for b in a["bigrams"]])
        sketches[acct] = m
        lsh.insert(acct, m)

    g = nx.Graph()
    g.add_nodes_from(sketches)
    for acct, m in sketches.items():
        for other in lsh.query(m):
            if other != acct:
                g.add_edge(acct, other)

    flagged = []
    for component in nx.connected_components(g):
        if len(component) < MIN_CLUSTER:
            continue
        members = sorted(component)
        prompts = sum(accounts[m]["prompts"] for m in members)
        cot = sum(accounts[m]["cot"] for m in members) / max(prompts, 1)
        extraction = sum(accounts[m]["extraction"] for m in members) / max(prompts, 1)
        if cot >= 0.25 or extraction >= 0.6:
            flagged.append(members)

    flagged.sort(key=lambda c: (-len(c), c[0]))
    with open(args.out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["cluster_id", "account_id"])
        for i, members in enumerate(flagged):
            for m in members:
                w.writerow([f"P{i + 1:04d}", m])
    print(f"reference: {sum(a['n'] for a in accounts.values())} records ({bad} bad), {len(accounts)} accounts, "
          f"{len(sketches)} sketched, {g.number_of_edges()} edges, {len(flagged)} clusters flagged", file=sys.stderr)


if __name__ == "__main__":
    main()
