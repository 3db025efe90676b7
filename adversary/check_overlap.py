#!/usr/bin/env python3
"""Check that the suite shares no template text with the project's own generator.

Compares word 6-grams of every string literal in build.py and every corpus line with the
string literals of Sources/DistillGenerate/*.swift (PromptCorpus.swift above all).
Prints the shared 6-grams, if any, and exits 1 when build.py's own text shares any (a common
phrase that a real corpus line happens to share is listed, not failed). Standard library only.

    python3 adversary/check_overlap.py
"""
import ast
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
N = 6


def grams(text):
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(words[i:i + N]) for i in range(len(words) - N + 1)}


def swift_literals(path):
    src = open(path, encoding="utf-8").read()
    out = re.findall(r'"""(.*?)"""', src, re.S)
    src = re.sub(r'"""(.*?)"""', "", src, flags=re.S)
    out += re.findall(r'"((?:[^"\\\n]|\\.)*)"', src)
    return [re.sub(r"\\\(.*?\)", " ", s) for s in out]


def python_literals(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def main():
    theirs = set()
    swift = sorted(glob.glob(os.path.join(HERE, "..", "Sources", "DistillGenerate", "*.swift")))
    if not swift:
        sys.exit("no generator sources found")
    for path in swift:
        for s in swift_literals(path):
            theirs |= grams(s)
    ours = {}
    for s in python_literals(os.path.join(HERE, "build.py")):
        if s.startswith("Mozilla/5.0"):  # user-agent strings follow one public format
            continue
        for g in grams(s):
            ours.setdefault(g, "build.py")
    for path in sorted(glob.glob(os.path.join(HERE, "corpus", "*.jsonl"))):
        for line in open(path, encoding="utf-8"):
            row = json.loads(line)
            for g in grams(row.get("text", "") + "\n" + row.get("system", "")):
                ours.setdefault(g, os.path.basename(path))
    shared = sorted(g for g in ours if g in theirs)
    templates = [g for g in shared if ours[g] == "build.py"]
    print(f"{len(ours)} suite 6-grams, {len(theirs)} generator 6-grams; shared: {len(templates)} from build.py's "
          f"own text, {len(shared) - len(templates)} from the real corpora (listed for information)")
    for g in shared[:50]:
        print(f"  {ours[g]}: {g}")
    sys.exit(1 if templates else 0)


if __name__ == "__main__":
    main()
