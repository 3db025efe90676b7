#!/usr/bin/env python3
"""How findable is a built scenario? Pairwise prompt similarity by label.

For every campaign and account kind: the median and 90th percentile of the Jaccard
similarity of two random member accounts' sets of word 4-grams (accounts with at least 50
4-grams), and the same for a campaign account against a benign one. A campaign whose
members resemble each other far more than benign pairs do is findable by content; the
look-alikes show how close innocent groups come. Standard library only.

    python3 adversary/similarity.py SCENARIO_DIR
"""
import collections
import csv
import glob
import gzip
import json
import os
import re
import sys
from random import Random


def last_user_text(rec):
    msgs = rec.get("messages")
    if rec.get("prompt"):
        return rec["prompt"]
    if not isinstance(msgs, list):
        return None
    for m in reversed(msgs):
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, list):
                return " ".join(b.get("text", "") for b in c if isinstance(b, dict))
            return c
    return None


def main(d):
    labels = {r["account_id"]: r for r in csv.DictReader(open(os.path.join(d, "labels.csv")))}
    grams = collections.defaultdict(set)
    for path in sorted(glob.glob(os.path.join(d, "api-*.jsonl.gz"))):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                acct = str(rec.get("user_id") or rec.get("end_user") or rec.get("account_id"))
                text = last_user_text(rec)
                if not text:
                    continue
                w = re.findall(r"[a-z]+", text.lower())
                grams[acct].update(" ".join(w[i:i + 4]) for i in range(len(w) - 3))
    if not grams:
        sys.exit("no prompt text in this scenario")

    def jac(a, b):
        A, B = grams[a], grams[b]
        return len(A & B) / max(1, len(A | B))

    rng = Random(1)
    groups = collections.defaultdict(list)
    for a, r in labels.items():
        if len(grams[a]) >= 50:
            groups[r["campaign_id"] or r["kind"]].append(a)

    def stats(pairs):
        s = sorted(jac(a, b) for a, b in pairs)
        return s[len(s) // 2], s[int(len(s) * 0.9)]

    print(f"{'group':28s} {'accounts':>8s} {'median':>7s} {'p90':>7s}")
    for g, members in sorted(groups.items()):
        if len(members) < 2:
            continue
        med, p90 = stats([rng.sample(members, 2) for _ in range(400)])
        print(f"{g:28s} {len(members):8d} {med:7.3f} {p90:7.3f}")
    benign = groups.get("benign", [])
    for g, members in sorted(groups.items()):
        if benign and any(labels[a]["campaign_id"] for a in members[:1]):
            med, p90 = stats([(rng.choice(members), rng.choice(benign)) for _ in range(400)])
            print(f"{g + ' x benign':28s} {'':8s} {med:7.3f} {p90:7.3f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
