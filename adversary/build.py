#!/usr/bin/env python3
"""Adversary scenario builder, made apart from `distill-detect generate`.

Writes one scenario into a directory: daily `api-YYYY-MM-DD.jsonl.gz` files in a
LiteLLM-like or gateway-like log shape (field names from the README's alias table) and
`labels.csv` (`account_id,campaign_id,kind`). Prompt text comes from the real corpora in
adversary/corpus (extracted from PyPI wheels by fetch_corpus.py); the framing sentences in
this file are written for this suite and share nothing with the project's own generator.

    python3 adversary/build.py --scenario proxy-paraphrase --seed 1 --out /tmp/pp

Standard library only. The same scenario, seed and scale give byte-identical output.
"""
import argparse
import gzip
import json
import math
import os
import re
import sys
from datetime import datetime, timedelta, timezone
from random import Random

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
HOUR = 3_600_000
DAY = 24 * HOUR
START = datetime(2026, 5, 4, tzinfo=timezone.utc)  # a Monday
START_MS = int(START.timestamp() * 1000)


# ============================================================================ corpus
class Corpus:
    def __init__(self):
        def load(name):
            with open(os.path.join(CORPUS, name + ".jsonl"), encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]

        self.chat = load("chat")
        self.coding = load("coding")
        self.agentic = load("agentic")
        self.math = load("math")
        self.teacher = load("teacher")
        self.systems = load("systems")
        self.words = load("words")[0]["words"]
        self.code = [r for r in self.coding if r.get("form") == "code"]
        self.issues = [r for r in self.coding if r.get("form") == "issue"]
        self.code_tasks = [r for r in self.coding if r.get("form") == "task"]
        self.code_qs = [r for r in self.coding if "form" not in r]
        self.tool_calls = [r for r in self.agentic if r.get("form") == "tool_call"]
        self.tool_specs = [r for r in self.tool_calls if r.get("tools")]
        self.customer = [r for r in self.agentic if r.get("form") == "customer_task"]
        self.shell = [r for r in self.agentic if r.get("form") == "shell_task"]
        self.short_chat = [r for r in self.chat if len(r["text"]) < 110]


# ============================================================================ text written for this suite
OPENERS = ["", "", "", "", "", "hi, ", "hey! ", "Quick one: ", "ok so ", "Hello, ", "Question: ", "hmm, ",
           "Good morning. ", "Sorry if this is basic, ", "Need a hand: ", "So, "]
CLOSERS = ["", "", "", "", "", " thanks", " Thank you!", " thx", " :)", " Appreciate it.", " (short answer is fine)",
           " Any thoughts?", " cheers", " pls", " Be honest.", " Keep it simple."]
CONTEXTS = ["I work nights as a nurse, so keep it practical.", "I'm a second-year student.", "This is for my small bakery.",
            "My manager asked me this today.", "I'm 67 and new to all this.", "We're a team of four at a startup.",
            "I teach middle school science.", "I'm writing a blog post about it.", "English isn't my first language.",
            "I run a tiny etsy shop.", "Asking for my dad.", "I volunteer at a food bank.", "I'm prepping for an interview.",
            "I only have about ten minutes.", "I'm in Lisbon this week.", "I've been stuck on this since lunch.",
            "My kids keep asking me about it.", "I'm a freelance translator.", "It's for a book club discussion.",
            "I'm moving house next month."]
FOLLOWUPS = ["thanks, that helped", "can you make that shorter?", "ok and what if it's empty?", "explain the second part again",
             "could you give an example?", "hmm that didn't work", "and in plain English?", "great, one more thing:",
             "can you format it as a table", "what are the downsides?", "why though?", "perfect", "try again but more casual",
             "is there a simpler way?", "ok thanks!", "what would you pick?", "now a version for beginners",
             "that's wrong, the answer should be different", "more detail on the last point please", "sources?"]
ASSISTANT_STUBS = ["Sure - here is one way to look at it.", "Here's a short answer.", "Good question. In brief:",
                   "Let me break that down.", "Here is a draft.", "There are a few options."]
COT_HABIT = ["Please think step by step.", "Walk me through your reasoning.", "Explain your reasoning as you go.",
             "Go step by step please.", "Show your working.", "think it through before answering",
             "Break it down into steps.", "Can you reason it out step by step?", "Explain each step, I want to learn.",
             "Lay out the steps one at a time.", "Take it slowly and show each step.", "step by step pls"]
BENIGN_CODE = ["Can you finish this function for me?\n\n{code}", "{code}\n\nwhat's the cleanest way to implement this?",
               "my version of this fails the tests, how would you write it?\n{code}",
               "what is this docstring asking for exactly?\n{code}", "{code}\n# how do I do this in one pass?",
               "Implement this please, python 3.11:\n{code}", "{code}\n\nexplain the examples in the docstring",
               "need this for a take-home, can you help\n{code}"]
BENIGN_ISSUE = ["We hit this in our app:\n{issue}\n\nWhere would you start looking?", "{issue}",
                "QA filed this, any idea what causes it?\n{issue}", "how would you reproduce and fix this one?\n{issue}"]
BENIGN_AGENT = ["{q}", "{q}", "Can you help with this: {q}", "{q} Thanks."]
BENIGN_MATH = ["{p}", "{p}", "help with this problem: {p}", "{p} I got a different answer than the book.",
               "my homework says: {p}"]
LANGS = ["Python", "Go", "Rust", "TypeScript", "Java", "C++", "Kotlin", "C#", "Swift", "Ruby", "Scala", "Elixir"]
FRAMEWORKS = ["pytest", "JUnit 5", "Go's testing package", "Jest", "xUnit", "RSpec", "Catch2", "XCTest", "ScalaTest"]
CONSTRAINTS = ["runs in O(n log n) or better", "handles empty and malformed input", "uses no third-party libraries",
               "is safe to call from several threads", "streams its input instead of loading it whole",
               "carries full type annotations", "avoids recursion", "keeps memory use constant",
               "returns errors instead of throwing", "is easy to unit test", "allocates nothing on the hot path"]
DEPTHS = ["every step", "each inference", "the reasoning behind each move", "why each step is valid",
          "each intermediate result", "the thought process in full"]
DOMAINS = ["retail", "airline", "banking", "telecom", "healthcare scheduling", "logistics", "insurance claims"]


# ---------------------------------------------------------------------------- campaign paraphrase families
# Each family: several paraphrases; slots are filled from the corpus and the lists above.
FAMILIES = {
    "implement": [
        "Implement the following in {lang}: {spec}\nConstraints: it {constraint}. Give the full solution, then justify every design choice.",
        "Write {lang} code for this requirement - {spec} It must be written so that it {constraint}. Explain the approach before the code.",
        "Requirement: {spec}\nLanguage: {lang}\nMust: {constraint}\nProduce a complete, idiomatic implementation and comment on the trade-offs.",
        "Could you produce a {lang} solution to the problem below? {spec} Make sure it {constraint}, and describe the reasoning that led to this structure.",
        "{spec}\n\nSolve this in {lang} (it {constraint}). First the algorithm in plain words, then the code, then its time and space complexity.",
    ],
    "repair": [
        "This {lang}-style snippet is meant to satisfy its docstring, but our checks fail:\n{code}\nDiagnose the most likely fault, explain the root cause and give a corrected version.",
        "{code}\n\nOur CI rejects implementations of this. List the edge cases a naive version gets wrong, reason through each, then write a robust version.",
        "Debug-style exercise. Specification:\n{code}\nDescribe three plausible bugs a developer could introduce here, why each fails, and the fixed code.",
        "Given this stub:\n{code}\nwalk through how you would verify a candidate implementation, then provide one that passes every example.",
    ],
    "tests": [
        "Write an exhaustive {framework} suite for the function below. Cover edge cases and explain why each case matters.\n{code}",
        "{code}\n\nGenerate unit tests in {framework}: happy path, boundaries, invalid input. Justify each test in a comment.",
        "Produce property-based and example-based tests ({framework}) for this contract, with the reasoning behind each property:\n{code}",
        "As a QA engineer, design a {framework} test plan and the actual test code for:\n{code}",
    ],
    "triage": [
        "Act as a senior engineer triaging this report. Identify the probable component, the root cause, and outline a patch.\n---\n{issue}",
        "Bug report:\n{issue}\n\nReason about which layer is at fault (UI, state, network, storage), explain how you ruled out the others, then propose a fix.",
        "{issue}\n\nWrite the engineering analysis: reproduction, hypothesis, evidence you would gather, and a minimal code change.",
        "Here is an issue from a React Native codebase:\n{issue}\nThink through the likely cause step by step and draft the pull request description.",
    ],
    "explain": [
        "Explain line by line what the following does and why each line is needed, then suggest a faster version:\n{code}",
        "{code}\n\nTeach this to a junior developer: what it computes, the algorithmic idea, the pitfalls, and an optimal implementation in {lang}.",
        "Annotate this specification with the reasoning a strong programmer would use to solve it, then give the solution in {lang}:\n{code}",
    ],
    "toolplan": [
        "Available tools:\n{tools}\n\nUser: {q}\n\nDecide which tool(s) to call. Reason explicitly about every argument value, then output the calls as a JSON array.",
        "You are an agent with these functions -> {tools}\nRequest: {q}\nThink step by step about which function applies and why, then emit the exact call.",
        "Tools: {tools}\nQuery: {q}\nFirst write your plan, including any calls that must happen in sequence, then give the final function calls in JSON.",
        "{q}\n\nFunctions you may use: {tools}\nJustify the choice of function and each parameter, and point out anything ambiguous before calling.",
    ],
    "trajectory": [
        "Task: {task}\nShell transcript so far:\n{steps}\nPropose the next command and explain how it moves the task forward. Then predict its output.",
        "You operate a Linux box to solve: {task}\nPrevious steps:\n{steps}\nReason about what is known, what is missing, and give the next action.",
        "Agent trace\nGOAL: {task}\nHISTORY:\n{steps}\nNEXT: write your reasoning, then exactly one bash command.",
    ],
    "support_agent": [
        "Play the {domain} support agent. The customer says: \"{reason}\"\nList, in order, the tool calls you would make with their arguments, and explain the policy reasoning behind each.",
        "Customer message ({domain}): {reason}\nWrite the agent's internal plan step by step (identity checks, lookups, actions), then the reply to the customer.",
        "Simulate a tool-using {domain} assistant handling this request: {reason}\nShow your reasoning for each tool invocation and the final answer.",
    ],
    "solve_cot": [
        "Solve the following. Show {depth} before stating the final answer:\n{p}",
        "{p}\n\nWork through this carefully, articulating {depth}, and box the final result.",
        "Problem: {p}\nExplain {depth}; then double-check the answer with a different method.",
        "Please reason through this problem showing {depth}. Problem statement follows.\n{p}",
        "{p}\nBefore answering, lay out your chain of reasoning in numbered steps and verify each one.",
    ],
    "variants": [
        "{p}\n\nSolve it, then write two harder variants of the problem and solve those too, with full reasoning.",
        "Take this problem: {p}\nGive a worked solution, then a generalisation, then a proof that the generalisation holds.",
        "{p}\nProduce a teacher's solution: the key insight, {depth}, common mistakes, and the final answer.",
    ],
}
CAMPAIGN_FOLLOWUPS = ["Now redo it in {lang} with the same level of explanation.", "Go deeper on step {k} and justify it rigorously.",
                      "Give an alternative approach and compare the two.", "Rewrite the answer as a numbered chain of reasoning.",
                      "List the assumptions you made and check each.", "Make it more efficient and explain why it is faster."]
NOISE_PRE = ["", "", "", "", "", "", "Q: ", "Task: ", "> ", "Please help. ", "Hi. ", "Request - "]
NOISE_POST = ["", "", "", "", "", "", " Thanks.", " Be thorough.", " (detailed)", " Answer in English.", "\n", " ty"]
# 15-25 word wrappers around real benign-looking questions (teacher-templates, campaign 2)
WRAPPERS = [
    ("For a curated set of model demonstrations, answer the user question below thoroughly, accurately and in a warm, expert voice:", ""),
    ("You are writing a gold-standard reference answer. Be complete, well organised and factually careful when you respond to this:", ""),
    ("Respond as an ideal assistant would, with clear structure and helpful detail, to the following request from a user:", ""),
    ("", "\n\n(Write the best possible answer: accurate, well structured, friendly, and complete enough to serve as a training example.)"),
    ("Answer the question that follows as a model response, written for a demonstration set.", " Include reasoning where it helps; avoid hedging."),
    ("Provide an exemplary, high-quality reply, the kind a careful expert would write, to this message:", ""),
]
TEACHER_FILL = {
    "topic_avoidance": "Avoid any tasks that would be related to politics or religion.",
    "flesch": "The output should be written in such a way as to have a Flesch-Kincaid readability score of 60 or higher.",
    "related_software": "", "languages": "", "topics": "", "style": "formal", "unit": "sentence",
}

# ---------------------------------------------------------------------------- look-alike fixtures written for this suite
INTEGRATION_SYSTEM = ("You are the ticket router for Halvorsen Outdoor Supply's help desk. Read the customer's message and "
                      "return JSON with keys category (orders, returns, product, account, other), urgency (1-3), "
                      "language and a one-sentence summary. Never add prose outside the JSON.")
INTEGRATION_USER = ["Ticket HX-{n}\nChannel: {channel}\nCustomer wrote:\n{msg}",
                    "Ticket HX-{n} (reopened)\nChannel: {channel}\nCustomer wrote:\n{msg}"]
CRON_USER = "Nightly digest {date} for store {n}. Turn these notes into three bullet points for the morning stand-up:\n{msg}"
AGENT_HARNESSES = [
    {"system": "You are Forge, a coding agent running inside the user's repository. Tools: read_file(path), list_dir(path), "
               "grep(pattern), run(cmd), apply_patch(diff). Work in small verified steps. Prefer running tests after each edit.",
     "result": "<tool_result name=\"{tool}\">\n{out}\n</tool_result>"},
    {"system": "You are an autonomous software engineer in a sandboxed terminal. Use the provided functions to inspect and modify "
               "the project. Keep changes minimal and explain them briefly in the final message.",
     "result": "Observation from {tool}:\n{out}"},
    {"system": "Pairing assistant for a monorepo. You can call: search_code, open, edit, shell. Ask before destructive commands.",
     "result": "{{\"tool\": \"{tool}\", \"status\": \"ok\", \"output\": {outjson}}}"},
]
AGENT_TOOLS = ["read_file", "list_dir", "grep", "run", "apply_patch", "open", "shell", "search_code"]
BENCH_SYSTEM_CODE = "Complete the Python function. Reply with code only."
BENCH_SYSTEM_TOOLS = "You may call the functions listed below. Respond with the function call only.\n{tools}"
SCHOOL_UA = "Mozilla/5.0 (X11; CrOS x86_64 15917.71.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
BENIGN_UAS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
              "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
              "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
              "openai-python/1.54.3", "anthropic-python/0.39.0", "python-httpx/0.27.2", "node-fetch/3.3.2", "curl/8.5.0",
              "LangChain/0.3.7", "PostmanRuntime/7.42.0", "Go-http-client/2.0", "okhttp/4.12.0", "axios/1.7.7",
              "litellm/1.52.0", "python-requests/2.32.3"]
CAMPAIGN_UAS = ["python-httpx/0.27.2", "openai-python/1.54.3", "anthropic-python/0.39.0", "python-requests/2.32.3",
                "node-fetch/3.3.2", "axios/1.7.7", "litellm/1.52.0", "Go-http-client/2.0"]
MODELS = ["claude-sonnet-4", "claude-haiku-4", "gpt-4.1-mini", "gpt-4.1", "claude-opus-4", "gemini-2.5-pro"]
MODEL_W = [30, 18, 20, 12, 8, 6]
NEW_MODEL = "claude-opus-4-1"  # released on day 3 of every scenario; campaigns move to it within hours

# ---------------------------------------------------------------------------- time of day
HOUR_W = [0.15, 0.08, 0.05, 0.04, 0.04, 0.06, 0.2, 0.45, 0.8, 1.0, 1.1, 1.1, 0.9, 1.0, 1.1, 1.1, 1.0, 0.9, 0.85, 0.95,
          1.0, 0.9, 0.6, 0.3]
WORK_W = [0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.3, 0.9, 1.2, 1.2, 1.1, 0.6, 1.0, 1.2, 1.2, 1.0, 0.7, 0.3, 0.2,
          0.2, 0.15, 0.08, 0.04]
FLAT_W = [1.0] * 24


def cum(ws):
    out, s = [], 0.0
    for w in ws:
        s += w
        out.append(s)
    return out


HOUR_C, WORK_C, FLAT_C = cum(HOUR_W), cum(WORK_W), cum(FLAT_W)
TZS = [-8, -7, -6, -5, -5, -5, -4, -3, 0, 0, 1, 1, 1, 2, 2, 3, 5.5, 7, 8, 8, 9, 10]


# ============================================================================ the world
class Account:
    __slots__ = ("id", "kind", "campaign", "tz", "created", "org", "keys", "card", "ua", "home", "alt", "blocks",
                 "model", "country", "mobile", "cgnat_pool")

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))


class World:
    def __init__(self, name, seed, days, scale, shape, no_content, corpus):
        self.name, self.seed, self.days, self.scale = name, seed, days, scale
        self.shape, self.no_content, self.c = shape, no_content, corpus
        self.rng = Random(f"adversary:{name}:{seed}")
        self.early_adopters = 0.0  # share of ordinary users who move to the new model on its first day
        self.group_switch = (set(), NEW_MODEL)  # (kinds, model): a product whose default model changed
        self.verbose = (set(), 1.0)  # (kinds, factor): accounts whose answers are `factor` times longer
        self.campaign_cards = None  # --campaign-cards: overrides every campaign's `cards`
        self.campaign_agent = None  # --campaign-agent: one user agent for every campaign account
        self.end_ms = START_MS + days * DAY
        self.lines = []  # (ts, json line)
        self.accounts = []
        self.ids = set()
        self.active = set()
        r = self.rng
        # residential /24s (ISPs), carrier-grade NAT pools, cloud egress, hosting
        self.res_nets = []
        firsts = [24, 47, 67, 68, 71, 73, 76, 81, 82, 84, 86, 88, 90, 92, 94, 98, 99, 108, 109, 151, 173, 174, 176, 178,
                  186, 187, 189, 190, 201, 2, 5, 31, 37, 46, 49, 58, 60, 61, 79, 80, 83, 85, 87, 93, 95, 112, 114, 121]
        while len(self.res_nets) < 900:
            net = (r.choice(firsts), r.randrange(256), r.randrange(256))
            if net not in self.res_nets:
                self.res_nets.append(net)
        self.cgnat = [[f"{a}.{b}.{c}.{r.randrange(2, 254)}" for _ in range(r.randint(4, 9))]
                      for (a, b, c) in [(r.choice([100, 172, 174, 166, 107]), r.randrange(256), r.randrange(256)) for _ in range(7)]]
        self.cloud = [f"{r.choice([3, 13, 18, 20, 34, 35, 52, 54])}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(2, 254)}"
                      for _ in range(60)]
        self.day0 = START_MS
        self.model_release = START_MS + 3 * DAY + 17 * HOUR

    # ------------------------------------------------------------------ identities
    def new_id(self, style):
        while True:
            h = "%012x" % self.rng.getrandbits(48)
            aid = {"usr": f"usr_{h}", "u": f"u-{h[:10]}", "team": f"svc-{h[:8]}"}[style]
            if aid not in self.ids:
                self.ids.add(aid)
                return aid

    def hexid(self, n):
        return "%0*x" % (n, self.rng.getrandbits(4 * n))

    def res_ip(self, r):
        a, b, c = r.choice(self.res_nets)
        return f"{a}.{b}.{c}.{r.randrange(2, 254)}"

    def aged(self, r, mean_days=520, lo=20, hi=1900):
        d = min(hi, max(lo, r.expovariate(1.0 / mean_days)))
        return START_MS - int(d * DAY) - r.randrange(DAY)

    def account(self, kind, campaign="", style="usr", org=True, card=True, created=None, ua=None, home=None, r=None):
        r = r or self.rng
        a = Account(id=self.new_id(style), kind=kind, campaign=campaign, tz=r.choice(TZS),
                    created=created if created is not None else self.aged(r),
                    org=("org_" + self.hexid(8)) if (org is True and r.random() < 0.6) else (org if isinstance(org, str) else None),
                    keys=["hk_" + self.hexid(12) for _ in range(1 if r.random() < 0.7 else r.randint(2, 3))],
                    card=("pm_" + self.hexid(14)) if (card is True and r.random() < 0.8) else (card if isinstance(card, str) else None),
                    ua=ua or r.choice(BENIGN_UAS), home=home or self.res_ip(r),
                    alt=self.res_ip(r) if r.random() < 0.25 else None, blocks=r.random() < 0.35,
                    model=r.choices(MODELS, MODEL_W)[0], country=None, mobile=r.random() * 0.3, cgnat_pool=r.choice(self.cgnat))
        a.country = {-8: "US", -7: "US", -6: "MX", -5: "US", -4: "CA", -3: "BR", 0: "GB", 1: "DE", 2: "PL", 3: "TR",
                     5.5: "IN", 7: "VN", 8: "SG", 9: "JP", 10: "AU"}.get(a.tz, "US")
        self.accounts.append(a)
        return a

    # ------------------------------------------------------------------ time
    def at(self, r, day, tz, c=HOUR_C):
        h = r.choices(range(24), cum_weights=c)[0]
        t = START_MS + day * DAY + int((h - tz) * HOUR) + r.randrange(HOUR)
        span = self.end_ms - START_MS
        return START_MS + (t - START_MS) % span

    # ------------------------------------------------------------------ records
    def emit(self, a, t, user, system=None, history=None, out_tok=None, ip=None, model=None, status=None, key=None, r=None):
        r = r or self.rng
        if t < a.created or t >= self.end_ms or t < START_MS:
            return
        in_tok = (len(user) + len(system or "") + sum(len(h) for h in (history or []))) // 4 + r.randint(3, 12)
        if out_tok is None:
            out_tok = int(r.lognormvariate(5.4, 0.8))
        status = status or (200 if r.random() > 0.012 else r.choice([429, 429, 500, 400, 529]))
        # --verbose: these kinds take longer answers (a reasoning model, whole implementations).
        if a.kind in self.verbose[0]:
            out_tok = int(out_tok * self.verbose[1])
        if status != 200:
            out_tok = 0
        model = model or a.model
        if model == NEW_MODEL and t < self.model_release + r.randrange(6 * HOUR):
            model = "claude-opus-4"
        if model == "claude-opus-4" and t > self.model_release + 2 * DAY and r.random() < 0.3:
            model = NEW_MODEL
        # --group-switch: every account of these kinds moves to the model two hours after the
        # release, together (a product whose default changed, or a model of its own).
        if a.kind in self.group_switch[0] and t > self.model_release + 2 * HOUR:
            model = self.group_switch[1]
        # --early-adopters: coding-agent users and a share of ordinary users move 85% of their
        # traffic to the new model within 12 hours of its release (enthusiasts, a tool whose
        # default changed). Keyed on the account id, so the rest of the scenario is unchanged.
        if self.early_adopters > 0 and (a.kind == "coding_agent" or (
                a.kind in ("benign", "cot_habit") and int(a.id[-4:], 16) % 1000 < self.early_adopters * 1000)):
            if t > self.model_release + (int(a.id[-6:-4], 16) % 12) * HOUR and r.random() < 0.85:
                model = NEW_MODEL
        lat = int(out_tok * r.uniform(9, 28) + r.randint(250, 900))
        content = None
        if not self.no_content:
            msgs = []
            if system:
                msgs.append({"role": "system", "content": system})
            for i, h in enumerate(history or []):
                msgs.append({"role": "user" if i % 2 == 0 else "assistant", "content": h})
            msgs.append({"role": "user", "content": [{"type": "text", "text": user}] if a.blocks else user})
            content = msgs
        rid = self.hexid(16)
        ip = ip or a.home
        key = key or a.keys[0]
        if self.shape == "gateway":
            rec = {"startTime": iso(t, a.tz), "request_id": f"req_{rid}", "end_user": a.id}
            if a.org:
                rec["team_id"] = a.org
            rec.update({"api_key_hash": key, "requester_ip_address": ip, "http_user_agent": a.ua, "model": model,
                        "path": "/v1/chat/completions", "http_status": status, "input_tokens": in_tok,
                        "output_tokens": out_tok, "latency_ms": lat})
            if content is not None:
                rec["messages"] = content
            if a.card:
                rec["card_fingerprint"] = a.card
            rec["user_created_at"] = iso(a.created, 0)
            rec["country"] = a.country
        else:
            rec = {"id": f"chatcmpl-{rid}", "timestamp": t, "call_type": "acompletion", "user_id": a.id}
            if a.org:
                rec["org_id"] = a.org
            rec.update({"api_key": key, "client_ip": ip, "user_agent": a.ua, "model": model, "status_code": status,
                        "prompt_tokens": in_tok, "completion_tokens": out_tok, "duration_ms": lat})
            if content is not None:
                rec["messages"] = content
            if a.card:
                rec["payment_method_id"] = a.card
            rec["account_created"] = iso(a.created, 0)
        self.lines.append((t, json.dumps(rec, ensure_ascii=False, separators=(",", ":"))))
        self.active.add(a.id)

    # ------------------------------------------------------------------ output
    def write(self, out):
        os.makedirs(out, exist_ok=True)
        for f in os.listdir(out):
            if f.startswith("api-") and f.endswith(".jsonl.gz"):
                os.remove(os.path.join(out, f))
        self.lines.sort(key=lambda x: x[0])
        by_day = {}
        for t, line in self.lines:
            by_day.setdefault((t - START_MS) // DAY, []).append(line)
        for d, lines in sorted(by_day.items()):
            name = (START + timedelta(days=d)).strftime("api-%Y-%m-%d.jsonl.gz")
            with open(os.path.join(out, name), "wb") as raw:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=5, mtime=0) as g:
                    g.write(("\n".join(lines) + "\n").encode("utf-8"))
        active = self.active
        with open(os.path.join(out, "labels.csv"), "w", newline="\n") as f:
            f.write("account_id,campaign_id,kind\n")
            for a in sorted(self.accounts, key=lambda a: a.id):
                if a.id in active:
                    f.write(f"{a.id},{a.campaign},{a.kind}\n")
        return len(self.lines), len(active)


def iso(ms, tz):
    off = timedelta(hours=tz)
    dt = datetime.fromtimestamp(ms / 1000, timezone(off))
    s = dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d" % (ms % 1000)
    if tz == 0:
        return s + "Z"
    sign = "+" if tz > 0 else "-"
    mins = int(abs(tz) * 60)
    return f"{s}{sign}{mins // 60:02d}:{mins % 60:02d}"


# ============================================================================ prompt makers
def docstring_spec(code):
    m = re.search(r'"""(.*?)(?:>>>|Example|For example|"""|$)', code, re.S) or re.search(r"'''(.*?)(?:>>>|'''|$)", code, re.S)
    text = (m.group(1) if m else code).strip()
    return re.sub(r"\s+", " ", text)[:400]


def vary(text, r, words):
    """Light personal variation so that benign users rarely send byte-identical prompts."""
    x = r.random()
    if x < 0.22 and len(text) < 600:
        toks = text.split(" ")
        idx = [i for i, w in enumerate(toks) if w.isalpha() and w.islower() and len(w) > 4]
        if idx:
            toks[r.choice(idx)] = r.choice(words)
            text = " ".join(toks)
    elif x < 0.30:
        text = text.lower()
    elif x < 0.36 and ". " in text[:-2]:
        text = text.split(". ")[0] + "."
    elif x < 0.42 and len(text) > 12:
        i = r.randrange(1, len(text) - 2)
        if text[i].isalpha() and text[i + 1].isalpha():
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text


def to_first_person(text):
    t = re.sub(r"\bYou are\b", "I am", text)
    t = re.sub(r"\byou are\b", "I am", t)
    t = re.sub(r"\bYou\b", "I", t)
    t = re.sub(r"\byou\b", "I", t)
    t = re.sub(r"\b[Yy]our\b", "my", t)
    t = re.sub(r"\b[Yy]ourself\b", "myself", t)
    return t


def tools_json(row, r):
    tools = row.get("tools") or []
    if r.random() < 0.5:
        return json.dumps([{"name": t["name"], "description": t["description"], "parameters": t["parameters"]} for t in tools])
    return "\n".join(f"- {t['name']}({', '.join(t['parameters'])}): {t['description']}" for t in tools)


class Prompts:
    """Prompt text for every population, drawn from the corpus."""

    def __init__(self, c):
        self.c = c

    def benign(self, r, kind, style):
        c = self.c
        if kind == "chat":
            row = r.choice(c.chat)
            text = vary(row["text"], r, c.words)
            if r.random() < 0.12:
                text = r.choice(CONTEXTS) + " " + text
        elif kind == "coding":
            x = r.random()
            if x < 0.42:
                text = r.choice(BENIGN_CODE).format(code=r.choice(c.code)["text"])
            elif x < 0.68:
                text = r.choice(BENIGN_ISSUE).format(issue=r.choice(c.issues)["text"])
            elif x < 0.8:
                text = r.choice(c.code_tasks)["text"]
            else:
                text = r.choice(c.code_qs)["text"]
            text = vary(text, r, c.words)
        elif kind == "agentic":
            x = r.random()
            if x < 0.6:
                text = r.choice(BENIGN_AGENT).format(q=r.choice(c.tool_calls)["text"])
            elif x < 0.85:
                text = to_first_person(r.choice(c.customer)["text"])
            else:
                text = r.choice(c.shell)["text"]
            text = vary(text, r, c.words)
        else:
            text = r.choice(BENIGN_MATH).format(p=r.choice(c.math)["text"])
            text = vary(text, r, c.words)
        return style[0] + text + style[1]

    def family(self, r, fam, lang=None):
        c = self.c
        tpl = r.choice(FAMILIES[fam])
        slots = {"lang": lang or r.choice(LANGS), "constraint": r.choice(CONSTRAINTS), "framework": r.choice(FRAMEWORKS),
                 "depth": r.choice(DEPTHS), "domain": r.choice(DOMAINS)}
        if fam == "implement":
            if r.random() < 0.65:
                slots["spec"] = docstring_spec(r.choice(c.code)["text"])
            else:
                slots["spec"] = r.choice(c.issues)["text"].split("\n")[0] + "."
        elif fam in ("repair", "tests", "explain"):
            slots["code"] = r.choice(c.code)["text"] if r.random() < 0.8 else r.choice(c.code_qs)["text"]
        elif fam == "triage":
            slots["issue"] = r.choice(c.issues)["text"]
        elif fam == "toolplan":
            row = r.choice(c.tool_specs)
            slots["q"], slots["tools"] = row["text"], tools_json(row, r)
        elif fam == "trajectory":
            slots["task"] = r.choice(c.shell)["text"]
            w = c.words
            steps = []
            for i in range(r.randint(1, 4)):
                cmd = r.choice(["ls -la /home/agent", f"cat /home/agent/{r.choice(w)}.log | head", f"grep -c {r.choice(w)} *.txt",
                                f"find / -name '*{r.choice(w)}*' 2>/dev/null | wc -l", "wc -l data.csv", "echo $PATH"])
                steps.append(f"$ {cmd}\n{r.randint(0, 900)}")
            slots["steps"] = "\n".join(steps)
        elif fam == "support_agent":
            row = r.choice(c.customer)
            slots["reason"], slots["domain"] = row["text"].replace("\n", " "), row.get("domain", slots["domain"])
        else:
            slots["p"] = r.choice(c.math)["text"]
        text = tpl.format(**slots)
        return r.choice(NOISE_PRE) + text + r.choice(NOISE_POST)

    def teacher(self, r, row):
        c = self.c
        text = row["text"]
        text = re.sub(r"\{%-?.*?-?%\}", "", text, flags=re.S)
        text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)

        def value(name):
            n = name.lower()
            if n in TEACHER_FILL:
                return TEACHER_FILL[n]
            if n.startswith("num") or n in ("batch_size", "count", "question_count", "n", "k") or "number" in n:
                return str(r.randint(3, 25))
            if "language" in n:
                return r.choice(["English", "English", "Spanish", "German", "French"])
            if n in ("topic", "topics", "domain", "task_description", "title", "name", "category"):
                return r.choice(c.words) + (" " + r.choice(c.words) if r.random() < 0.5 else "")
            if any(k in n for k in ("document", "context", "content", "text", "passage", "outline")):
                return "\n".join(x["text"] for x in r.sample(c.chat, 3))
            if any(k in n for k in ("response", "answer", "generation", "solution", "output", "completion")):
                return r.choice(c.chat + c.math)["text"]
            if any(k in n for k in ("func", "tool")):
                return tools_json(r.choice(c.tool_specs), r)
            if any(k in n for k in ("instruction", "query", "question", "prompt", "input", "task", "seed", "example")):
                pool = r.choice([c.chat, c.chat, c.math, c.code_tasks, c.tool_calls])
                return r.choice(pool)["text"]
            return r.choice(c.words)

        text = re.sub(r"\{\{\s*([A-Za-z_][A-Za-z0-9_\.]*)[^}]*\}\}", lambda m: value(m.group(1).split(".")[-1]), text)
        text = re.sub(r"(?<!\{)\{([a-z_][a-z0-9_]*)\}(?!\})", lambda m: value(m.group(1)), text)
        text = text.replace("<PROMPT>", r.choice(c.chat)["text"])
        return re.sub(r"\n{3,}", "\n\n", text).strip()


# ============================================================================ populations
def style_of(r):
    return (r.choice(OPENERS), r.choice(CLOSERS))


def interests(r, bias=None):
    ks = ["chat", "coding", "agentic", "math"]
    alpha = bias or [1.3, 0.8, 0.25, 0.3]
    w = [r.gammavariate(a, 1.0) + 1e-6 for a in alpha]
    return ks, w


def sessions(r, total, days, mean_len=2.4):
    """Split `total` exchanges into sessions on random days: [(day, length)]."""
    out = []
    left = total
    ndays = max(1, min(days, int(math.ceil(total / mean_len))))
    active = sorted(r.sample(range(days), min(days, max(1, r.randint(1, ndays)))))
    while left > 0:
        k = 1
        while r.random() < 1 - 1 / mean_len and k < left:
            k += 1
        out.append((r.choice(active), k))
        left -= k
    return out


def benign_user(w, P, a, total, bias=None, cot=0.0, ip_fn=None, extra=None, day_filter=None, hours=HOUR_C):
    """An ordinary user: sessions at human hours, own interests, follow-ups, home/mobile/alt IPs."""
    r = Random(f"{w.seed}:{a.id}")
    ks, wt = interests(r, bias)
    style = style_of(r)
    for day, k in sessions(r, total, w.days):
        if day_filter and not day_filter(day):
            continue
        t = w.at(r, day, a.tz, hours)
        if ip_fn:
            ip = ip_fn(r)
        else:
            x = r.random()
            ip = r.choice(a.cgnat_pool) if x < a.mobile else (a.alt if (a.alt and x > 0.8) else a.home)
        hist = []
        for i in range(k):
            if extra and i == 0 and r.random() < extra[0]:
                text = extra[1](r)
            elif i > 0 and r.random() < 0.45:
                text = r.choice(FOLLOWUPS)
            else:
                text = P.benign(r, r.choices(ks, wt)[0], style)
                hist = []
            if cot and r.random() < cot:
                phrase = r.choice(COT_HABIT)
                text = (phrase + " " + text) if r.random() < 0.3 else (text.rstrip() + " " + phrase)
            w.emit(a, t, text, history=hist[-4:], ip=ip, r=r, out_tok=int(r.lognormvariate(5.6 if cot else 5.3, 0.8)))
            hist += [text, r.choice(ASSISTANT_STUBS)]
            t += r.randint(20, 420) * 1000


def volume(r, median=9, sigma=1.15, cap=700):
    return max(1, min(cap, int(round(r.lognormvariate(math.log(median), sigma)))))


def benign_population(w, P, n):
    r = w.rng
    families = []
    for i in range(n):
        a = w.account("benign")
        if r.random() < 0.03:  # a new sign-up during the window
            a.created = START_MS + r.randrange(w.days - 1) * DAY + r.randrange(DAY)
        if r.random() < 0.025:
            families.append(a)
        pq = (0.05, lambda rr: rr.choice(w.popular)) if r.random() < 0.05 else None
        benign_user(w, P, a, volume(r), extra=pq)
    # a few households sharing one card
    for i in range(0, len(families) - 1, 2):
        families[i + 1].card = families[i].card


def cot_habit(w, P, n):
    for _ in range(n):
        a = w.account("cot_habit")
        r = Random(f"{w.seed}:cot:{a.id}")
        bias = r.choice([None, [0.6, 1.0, 0.3, 1.0], [0.8, 1.4, 0.5, 0.6]])
        benign_user(w, P, a, volume(r, median=12), bias=bias, cot=r.uniform(0.5, 0.9))


def cgnat_users(w, P, n):
    for _ in range(n):
        a = w.account("cgnat", ua=w.rng.choice(BENIGN_UAS[:3] + ["okhttp/4.12.0"]))
        pool = a.cgnat_pool
        benign_user(w, P, a, volume(w.rng, median=7), ip_fn=lambda r, pool=pool: r.choice(pool))


def offices(w, P, n_offices):
    """--offices: companies whose staff use the service at work on their own accounts (no shared
    organisation or card), behind a corporate egress pool: 16-64 addresses of one /24, each person
    leaving through 3 of them; one time zone, working hours, the company's two standard
    browsers (popular ones), one model."""
    r = Random(f"{w.seed}:offices")
    for _ in range(n_offices):
        net = f"{r.choice([38, 52, 64, 104, 146, 192])}.{r.randrange(256)}.{r.randrange(256)}"
        egress = [f"{net}.{x}" for x in r.sample(range(2, 254), r.choice([16, 32, 64]))]
        tz, uas, model = r.choice(TZS), r.sample(BENIGN_UAS[:3], 2), r.choice(MODELS[:3])
        for _ in range(r.randint(20, 60)):
            a = w.account("office", org=False, ua=r.choice(uas))
            a.tz, a.model = tz, model
            mine = r.sample(egress, 3)
            benign_user(w, P, a, volume(r, median=60, sigma=0.6), hours=WORK_C, ip_fn=lambda rr, mine=mine: rr.choice(mine))


# --tool-users: a command-line helper that turns a description into a shell command (of the
# shell-gpt / ai-shell kind), wrapping every request in its fixed instruction.
TOOL_INSTRUCTION = ("Convert this description into a single bash command for {os}. Output only the command, "
                    "no explanation, no markdown.\nDescription: {req}")
SHELL_OS = ["Linux", "macOS", "Ubuntu", "Debian", "Fedora", "Windows WSL"]
SHELL_VERBS = ["find", "list", "delete", "count", "compress", "copy", "rename", "show the size of", "sort", "move",
               "archive", "search"]
SHELL_OBJECTS = ["log files", "html files", "empty folders", "duplicate photos", "python files", "csv files",
                 "hidden files", "pdf files", "backup archives", "large videos", "markdown notes", "docker images"]
SHELL_WHERE = ["in my home folder", "in my notes folder", "in the current directory", "under the logs directory",
               "on the external drive", "in my downloads", "in the project repository", "on the shared mount"]
SHELL_CONDITION = ["older than a week", "bigger than a gigabyte", "modified today", "that are empty", "owned by root",
                   "that contain the word invoice", "not touched this month", "with spaces in the name"]
SHELL_TAIL = ["and print the total size", "and sort them by date", "and save the list to a file", "recursively",
              "without following symlinks", "and ask before each one", "and show the largest first", ""]


def tool_users(w, P, n):
    """--tool-users: people using one command-line tool that wraps every request in its fixed
    instruction, each on their own aged account at home, at ordinary hours in their own time
    zones, with their own user agents; every prompt goes through the tool. Each request is a
    template of its own; the instruction makes them near duplicates."""
    for _ in range(n):
        a = w.account("tool_user", org=False)
        r = Random(f"{w.seed}:tool:{a.id}")
        system = r.choice(SHELL_OS)
        for day, k in sessions(r, volume(r, median=25), w.days):
            t = w.at(r, day, a.tz)
            for _ in range(k):
                request = " ".join(x for x in (r.choice(SHELL_VERBS), r.choice(SHELL_OBJECTS), r.choice(SHELL_WHERE),
                                               r.choice(SHELL_CONDITION), r.choice(SHELL_TAIL)) if x)
                w.emit(a, t, TOOL_INSTRUCTION.format(os=system, req=request), ip=a.home, r=r,
                       out_tok=int(r.lognormvariate(3.4, 0.5)))
                t += r.randint(20, 600) * 1000


def vpn_users(w, P, n):
    """--vpn-users: customers of one commercial VPN, each on their own aged account, connecting
    through a random server of the provider's pool (200 exits in 50 data-centre /24s of several
    /16s) for most sessions and from home for the rest; own time zones, user agents and models."""
    r = Random(f"{w.seed}:vpn")
    nets = [(r.choice([37, 45, 89, 185, 193, 212]), r.randrange(256), r.randrange(256)) for _ in range(50)]
    exits = [f"{a}.{b}.{c}.{r.randrange(2, 254)}" for (a, b, c) in nets for _ in range(4)]
    for _ in range(n):
        a = w.account("vpn_user")
        share = Random(f"{w.seed}:vpn:{a.id}").uniform(0.6, 1.0)
        benign_user(w, P, a, volume(w.rng, median=20), ip_fn=lambda rr, a=a, share=share: rr.choice(exits) if rr.random() < share else a.home)


def mobile_users(w, P, n):
    """--mobile-users: people calling the service from their phones on one mobile carrier, whose
    carrier-grade NAT gives each session a new public address from a pool of 64 /24s in four
    /16s; own time zones and models, the carrier's two popular phone user agents."""
    r = Random(f"{w.seed}:mobile")
    sixteens = [(r.choice([100, 107, 166, 172, 174]), r.randrange(256)) for _ in range(4)]
    nets = [(a, b, r.randrange(256)) for (a, b) in sixteens for _ in range(16)]
    uas = [BENIGN_UAS[2], "okhttp/4.12.0"]
    for _ in range(n):
        a = w.account("mobile_user", ua=r.choice(uas))
        benign_user(w, P, a, volume(w.rng, median=15),
                    ip_fn=lambda rr: "%d.%d.%d.%d" % (*rr.choice(nets), rr.randrange(2, 254)))


def popular_question_users(w, P, n):
    for _ in range(n):
        a = w.account("popular_question")
        benign_user(w, P, a, volume(w.rng, median=6), extra=(0.6, lambda r: r.choice(w.popular)))


def classroom(w, P, n_students, idx):
    r = Random(f"{w.seed}:class:{idx}")
    tz = r.choice([-5, 0, 1, 9])
    nat = f"{r.choice([128, 129, 130, 141, 152, 171])}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(2, 254)}"
    meet_days = r.choice([(1, 3), (0, 2), (2, 4)])
    hour = r.choice([9, 11, 14, 16])
    pool = r.choice([w.c.math, w.c.code])
    homework = [x["text"] for x in r.sample(pool, 4)]
    semester = START_MS - r.randint(40, 120) * DAY + int((hour - tz) * HOUR)
    for s in range(n_students):
        created = semester + r.randrange(2 * HOUR) if r.random() < 0.7 else semester + r.randrange(3 * DAY)
        a = w.account("classroom", ua=SCHOOL_UA if r.random() < 0.8 else None, created=created, org=False)
        rs = Random(f"{w.seed}:{a.id}:class")
        for day in range(w.days):
            if day % 7 not in meet_days or rs.random() < 0.1:
                continue
            week = day // 7
            t = START_MS + day * DAY + int((hour - tz) * HOUR) + rs.randrange(80 * 60_000)
            hw = homework[(week * 2 + meet_days.index(day % 7)) % len(homework)]
            hist = []
            for i in range(rs.randint(2, 6)):
                if i == 0:
                    text = hw if rs.random() < 0.6 else rs.choice(["help: ", "how do i do this? ", "q3: ", ""]) + hw
                elif rs.random() < 0.6:
                    text = rs.choice(FOLLOWUPS)
                else:
                    text = P.benign(rs, "math" if pool is w.c.math else "coding", ("", ""))
                w.emit(a, t, text, history=hist[-4:], ip=nat, r=rs)
                hist += [text, rs.choice(ASSISTANT_STUBS)]
                t += rs.randint(40, 300) * 1000
        benign_user(w, P, a, volume(rs, median=5))


def integration(w, P, per_day):
    r = Random(f"{w.seed}:integration")
    org = "org_" + w.hexid(8)
    card = "pm_" + w.hexid(14)
    ips = r.sample(w.cloud, 3)
    for name in ("prod", "batch", "staging"):
        a = w.account("integration", org=org, card=card, ua="python-httpx/0.27.2", created=w.aged(r, 700))
        a.keys = ["hk_" + w.hexid(12) for _ in range(20 if name != "staging" else 3)]
        a.model, a.blocks = "claude-haiku-4", False
        n = {"prod": per_day, "batch": per_day // 2, "staging": max(3, per_day // 20)}[name]
        for day in range(w.days):
            for _ in range(int(n * r.uniform(0.8, 1.2) * (0.6 if day % 7 >= 5 else 1.0))):
                t = w.at(r, day, -5, WORK_C if name == "prod" else FLAT_C)
                msg = r.choice(w.c.chat)["text"]
                user = r.choice(INTEGRATION_USER).format(n=r.randint(100000, 999999), channel=r.choice(["email", "chat", "web form"]), msg=msg)
                w.emit(a, t, user, system=INTEGRATION_SYSTEM, ip=r.choice(ips), key=r.choice(a.keys), r=r,
                       out_tok=r.randint(40, 90))


def benchmark_org(w, P, n_accounts):
    r = Random(f"{w.seed}:benchmark")
    org = "org_" + w.hexid(8)
    ips = r.sample(w.cloud, 2)
    suites = ["code", "tools", "math"]
    for i in range(n_accounts):
        a = w.account("benchmark", org=org, card=False, ua=r.choice(["python-httpx/0.27.2", "inspect_ai/0.3.40"]),
                      created=w.aged(r, 300))
        a.model = r.choice(["claude-sonnet-4", "claude-opus-4", "gpt-4.1"])
        for run in range(r.randint(1, 3)):
            day = r.randrange(w.days)
            t = START_MS + day * DAY + r.randrange(DAY)
            suite = suites[(i + run) % 3]
            if suite == "code":
                items = [(x["text"], BENCH_SYSTEM_CODE) for x in w.c.code]
            elif suite == "tools":
                items = [(x["text"], BENCH_SYSTEM_TOOLS.format(tools=tools_json(x, Random(x["source"])))) for x in w.c.tool_specs[:150]]
            else:
                systems = {s["eval"]: s["text"] for s in w.c.systems}
                items = [(x["text"], systems.get(x["source"].split("/")[3], None)) for x in w.c.math]
            for text, system in items:
                w.emit(a, t, text, system=system, ip=r.choice(ips), r=r, out_tok=r.randint(60, 700))
                t += r.randint(2, 25) * 1000


def coding_agents(w, P, n):
    for _ in range(n):
        a = w.account("coding_agent", ua=None)
        r = Random(f"{w.seed}:{a.id}:agent")
        h = r.choice(AGENT_HARNESSES)
        a.ua = r.choice(["forge-cli/0.14.2", "node-fetch/3.3.2", "anthropic-python/0.39.0"])
        a.model = r.choice(["claude-sonnet-4", "claude-opus-4"])
        for day in range(w.days):
            if day % 7 >= 5 and r.random() < 0.8 or r.random() < 0.25:
                continue
            for _s in range(r.randint(1, 4)):
                t = w.at(r, day, a.tz, WORK_C)
                src = r.choice(w.c.issues + w.c.code_tasks + w.c.code)
                task = src["text"]
                hist = []
                for step in range(r.randint(4, 22)):
                    if step == 0:
                        user = task
                    else:
                        tool = r.choice(AGENT_TOOLS)
                        out = agent_output(r, w.c, tool)
                        user = h["result"].format(tool=tool, out=out, outjson=json.dumps(out))
                    w.emit(a, t, user, system=h["system"], history=hist[-6:], r=r, out_tok=int(r.lognormvariate(5.0, 0.9)))
                    hist += [user[:300], "Calling " + r.choice(AGENT_TOOLS) + "."]
                    t += r.randint(4, 45) * 1000


def agent_output(r, c, tool):
    w = c.words
    if tool in ("read_file", "open"):
        return r.choice(c.code)["text"][:700]
    if tool == "list_dir":
        return "\n".join(f"{r.choice(w)}{r.choice(['.py', '.ts', '.md', '/', '.json'])}" for _ in range(r.randint(3, 12)))
    if tool in ("grep", "search_code"):
        return "\n".join(f"src/{r.choice(w)}.py:{r.randint(1, 400)}: {r.choice(w)} = {r.choice(w)}()" for _ in range(r.randint(1, 6)))
    if tool in ("run", "shell"):
        n_ok, n_bad = r.randint(0, 60), r.randint(0, 4)
        fails = "\n".join(f"FAILED tests/test_{r.choice(w)}.py::test_{r.choice(w)} - AssertionError" for _ in range(n_bad))
        return f"{fails}\n{n_bad} failed, {n_ok} passed in {r.uniform(0.2, 30):.2f}s".strip()
    return f"patch applied: {r.randint(1, 5)} file(s) changed, {r.randint(1, 80)} insertions(+), {r.randint(0, 40)} deletions(-)"


def cron_fleet(w, P, n):
    r = Random(f"{w.seed}:cron")
    org = "org_" + w.hexid(8)
    card = "pm_" + w.hexid(14)
    created = w.aged(r, 400)
    ips = r.sample(w.cloud, 2)
    minute = r.choice([7, 17, 23, 41])
    for i in range(n):
        a = w.account("cron_fleet", style="team", org=org, card=card, ua="python-requests/2.32.3", created=created + r.randrange(600_000))
        a.model, a.blocks = "gpt-4.1-mini", False
        for day in range(w.days):
            t = START_MS + day * DAY + 2 * HOUR + minute * 60_000 + r.randrange(40_000)
            date = (START + timedelta(days=day)).strftime("%Y-%m-%d")
            for _ in range(r.randint(3, 6)):
                msg = " ".join(x["text"] for x in r.sample(w.c.short_chat, 2))
                w.emit(a, t, CRON_USER.format(date=date, n=100 + i, msg=msg), ip=r.choice(ips), r=r, out_tok=r.randint(60, 180))
                t += r.randint(1500, 6000)


def lookalikes(w, P, n_total):
    """Every scenario's look-alikes; cot_habit sized to ~6% of all accounts."""
    s = w.scale
    cot_habit(w, P, int(0.06 * n_total))
    cgnat_users(w, P, max(5, int(140 * s)))
    popular_question_users(w, P, max(5, int(110 * s)))
    for i in range(2 if s >= 0.5 else 1):
        classroom(w, P, max(6, int(30 * s)), i)
    integration(w, P, max(20, int(260 * s)))
    benchmark_org(w, P, 5)
    coding_agents(w, P, max(3, int(35 * s)))
    cron_fleet(w, P, 40 if s >= 0.5 else max(8, int(40 * s)))


# ============================================================================ campaigns
class Campaign:
    def __init__(self, cid, n, families, filler=(0.2, 0.4), median=90, sigma=0.7, per_day=None, creation="burst",
                 ip="proxy", cards="none", timing="diurnal", kind_mix=None, teacher=None, wrapper=False, model=NEW_MODEL):
        self.__dict__.update(locals())
        del self.__dict__["self"]


def proxy_pool(w, r, n):
    """Residential-proxy exits: a third are ordinary users' home IPs, the rest their neighbours."""
    homes = [a.home for a in w.accounts if a.kind in ("benign", "cot_habit", "popular_question")]
    pool = r.sample(homes, min(len(homes), n // 3)) if homes else []
    while len(pool) < n:
        pool.append(w.res_ip(r))
    return pool


def run_campaign(w, P, cp):
    if w.campaign_cards:
        cp.cards = w.campaign_cards
    r = Random(f"{w.seed}:campaign:{cp.cid}")
    n = max(3, int(round(cp.n * w.scale)))
    exits = proxy_pool(w, r, 2500)
    subnets = [(r.choice([45, 91, 185, 193, 194, 212]), r.randrange(256), r.randrange(256)) for _ in range(4)]
    bursts = [START_MS - r.randint(12, 45) * DAY + r.randrange(DAY) for _ in range(3)]
    card_groups = []
    batch_minutes = [r.randrange(60) for _ in range(5)]
    for i in range(n):
        if cp.creation == "burst":
            created = r.choice(bursts) + r.randrange(3 * HOUR)
        else:
            created = w.aged(r)
        card = None
        if cp.cards == "shared" and r.random() < 0.6:
            if not card_groups or r.random() < 0.15:
                card_groups.append("pm_" + w.hexid(14))
            card = card_groups[-1]
        elif cp.cards == "none" and r.random() < 0.75:
            card = "pm_" + w.hexid(14)
        a = w.account("campaign", campaign=cp.cid, ua=w.campaign_agent or r.choice(CAMPAIGN_UAS), created=created, card=card or False)
        a.model = cp.model
        ra = Random(f"{w.seed}:{a.id}:camp")
        fams = ra.sample(cp.families, min(3, len(cp.families)))
        fam_w = [ra.uniform(0.5, 2.0) for _ in fams]
        filler = ra.uniform(*cp.filler)
        lang = ra.choice(LANGS)
        teach = ra.sample(cp.teacher, min(len(cp.teacher), ra.randint(3, 6))) if cp.teacher else None
        subnet = subnets[i % len(subnets)]
        own_ips = [f"{subnet[0]}.{subnet[1]}.{subnet[2]}.{ra.randrange(2, 254)}" for _ in range(ra.randint(1, 3))]
        style = style_of(ra)
        start_day = 0 if ra.random() < 0.8 else ra.randrange(max(1, w.days // 2))
        if cp.per_day:
            plan = [(d, ra.randint(*cp.per_day)) for d in range(start_day, w.days) if ra.random() < 0.93]
        else:
            total = volume(ra, median=cp.median, sigma=cp.sigma, cap=2500)
            days = [d for d in range(start_day, w.days) if ra.random() < 0.85] or [start_day]
            weights = [ra.uniform(0.4, 1.6) for _ in days]
            sw = sum(weights)
            plan = [(d, max(0, int(round(total * x / sw)))) for d, x in zip(days, weights)]
        batch = batch_minutes[i % len(batch_minutes)]
        for day, k in plan:
            times = []
            if cp.timing == "sync":
                for hour in range(0, 24, 4):
                    t0 = START_MS + day * DAY + hour * HOUR + batch * 60_000
                    for j in range(ra.randint(2, 4)):
                        times.append(t0 + ra.randrange(90_000))
            else:
                c = HOUR_C if cp.timing == "diurnal" else FLAT_C
                j = 0
                while j < k:
                    t = w.at(ra, day, a.tz, c)
                    for _ in range(min(k - j, ra.randint(1, 5))):
                        times.append(t)
                        t += ra.randint(15, 240) * 1000
                        j += 1
            times.sort()
            last, hist, ip = None, [], None
            for t in times:
                if cp.ip == "proxy":
                    if last is None or t - last > 10 * 60_000 or ra.random() < 0.3:
                        ip = ra.choice(exits)
                else:
                    ip = ra.choice(own_ips)
                follow = last is not None and t - last < 5 * 60_000 and hist and ra.random() < 0.18
                last = t
                if follow:
                    text = ra.choice(CAMPAIGN_FOLLOWUPS).format(lang=ra.choice(LANGS), k=ra.randint(2, 5))
                    w.emit(a, t, text, history=hist[-2:], ip=ip, r=ra, out_tok=int(ra.lognormvariate(6.6, 0.5)))
                    continue
                if ra.random() < filler:
                    kind = ra.choices(["chat", "coding", "math"], [0.7, 0.2, 0.1])[0]
                    text = P.benign(ra, kind, style)
                    w.emit(a, t, text, ip=ip, r=ra)
                    hist = []
                    continue
                if cp.wrapper:
                    pre, post = ra.choice(WRAPPERS)
                    text = (pre + " " if pre else "") + P.benign(ra, "chat", ("", "")) + post
                elif teach:
                    text = P.teacher(ra, ra.choice(teach))
                else:
                    text = P.family(ra, ra.choices(fams, fam_w)[0], lang if ra.random() < 0.7 else None)
                w.emit(a, t, text, ip=ip, r=ra, out_tok=int(ra.lognormvariate(6.7, 0.5)))
                hist = [text, ra.choice(ASSISTANT_STUBS)]


# ============================================================================ scenarios
CODE_FAMS = ["implement", "repair", "tests", "triage", "explain"]
AGENT_FAMS = ["toolplan", "trajectory", "support_agent"]
MATH_FAMS = ["solve_cot", "variants"]


def scenario(name, w, P, args):
    s = w.scale
    nb = {"low-and-slow": 4000, "benign-only": 4300}.get(name, 3800)
    nb = max(50, int(nb * s))
    campaigns = []
    if name == "proxy-paraphrase":
        campaigns = [Campaign("P1-proxy-paraphrase", 200, CODE_FAMS + AGENT_FAMS[:1] + MATH_FAMS[:1], filler=(0.2, 0.3),
                              median=95, sigma=0.75, creation="burst", timing="flat")]
    elif name == "low-and-slow":
        campaigns = [Campaign("L1-low-and-slow", 300, CODE_FAMS + MATH_FAMS, per_day=(5, 10), filler=(0.2, 0.35),
                              creation="aged", timing="diurnal")]
    elif name == "teacher-templates":
        # one synthetic-data pipeline: a dozen teacher templates, each account running a few of them
        pipeline = Random(f"{w.seed}:pipeline").sample(w.c.teacher, 12)
        campaigns = [Campaign("T1-teacher-templates", 150, [], teacher=pipeline, median=80, creation="burst",
                              filler=(0.15, 0.3), timing="flat"),
                     Campaign("T2-wrapped-questions", 150, [], wrapper=True, median=80, creation="aged", filler=(0.0, 0.1),
                              timing="diurnal")]
    elif name == "multi-campaign":
        campaigns = [Campaign("M1-coding", 150, CODE_FAMS, median=100, creation="aged", timing="diurnal"),
                     Campaign("M2-agentic", 150, AGENT_FAMS, median=100, creation="aged", timing="diurnal"),
                     Campaign("M3-math-reasoning", 150, MATH_FAMS, median=100, creation="aged", timing="diurnal")]
    elif name == "no-content-burst":
        campaigns = [Campaign("N1-burst", 250, CODE_FAMS + AGENT_FAMS, ip="subnet", cards="shared", creation="burst",
                              timing="sync", filler=(0.1, 0.2))]
    elif name == "no-content-careful":
        campaigns = [Campaign("N2-careful", 200, CODE_FAMS + MATH_FAMS, median=70, creation="aged", timing="diurnal",
                              filler=(0.2, 0.4))]
    w.popular = [x["text"] for x in Random(f"{w.seed}:popular").sample(w.c.short_chat, 10)]
    benign_population(w, P, nb)
    n_total = nb + sum(int(c.n * s) for c in campaigns) + int(500 * s)
    lookalikes(w, P, n_total)
    offices(w, P, args.offices)
    tool_users(w, P, args.tool_users)
    vpn_users(w, P, args.vpn_users)
    mobile_users(w, P, args.mobile_users)
    for cp in campaigns:
        run_campaign(w, P, cp)


SCENARIOS = {  # name: (days, shape, content)
    "proxy-paraphrase": (10, "litellm", True),
    "low-and-slow": (14, "gateway", True),
    "teacher-templates": (8, "litellm", True),
    "multi-campaign": (12, "gateway", True),
    "benign-only": (8, "litellm", True),
    "no-content-burst": (8, "gateway", False),
    "no-content-careful": (12, "litellm", False),
}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the number of accounts (default 1.0)")
    ap.add_argument("--no-content", action="store_true", help="leave prompt, messages and system out of every record")
    ap.add_argument("--days", type=int, help="override the scenario's number of days")
    ap.add_argument("--shape", choices=["litellm", "gateway"], help="override the scenario's log shape")
    ap.add_argument("--early-adopters", type=float, default=0.0,
                    help="share of ordinary users (and every coding-agent user) that move to the new model within "
                         "12 hours of its release (default 0)")
    ap.add_argument("--group-switch", default="",
                    help="comma-separated kinds (e.g. cgnat,classroom) whose every account moves to the new model (or "
                         "--group-switch-model) two hours after its release, together: a product whose default changed")
    ap.add_argument("--group-switch-model", help="the model of --group-switch (default: the released model)")
    # Look-alike groups added on request, N of each (default 0: the scenario is unchanged).
    for flag, text in [
        ("--offices", "N offices (look-alike kind `office`): 20-60 staff each on their own accounts behind a "
                      "corporate egress pool of one /24, working hours, two popular browsers, one model"),
        ("--tool-users", "N users (look-alike kind `tool_user`) of one command-line tool that wraps every request in "
                         "its fixed instruction, each on their own account at home"),
        ("--vpn-users", "N customers (look-alike kind `vpn_user`) of one commercial VPN, each session through a random "
                        "exit of its pool of data-centre /24s, some from home"),
        ("--mobile-users", "N phone users (look-alike kind `mobile_user`) of one carrier whose NAT gives each session "
                           "an address from 64 /24s"),
    ]:
        ap.add_argument(flag, type=int, default=0, help=f"add {text} (default 0)")
    ap.add_argument("--campaign-cards", choices=["shared", "none"],
                    help="override every campaign's payment cards: shared (groups of accounts on one card) or none "
                         "(each account its own card, or none)")
    ap.add_argument("--campaign-agent", help="every campaign account sends this user agent (e.g. a popular library's)")
    ap.add_argument("--verbose", default="",
                    help="KINDS[:FACTOR]: accounts of these comma-separated kinds take answers FACTOR (default 3) "
                         "times longer (a reasoning model, whole implementations)")
    args = ap.parse_args(argv)
    days, shape, content = SCENARIOS[args.scenario]
    w = World(args.scenario, args.seed, args.days or days, args.scale, args.shape or shape,
              args.no_content or not content, Corpus())
    w.early_adopters = args.early_adopters
    w.group_switch = (set(k for k in args.group_switch.split(",") if k), args.group_switch_model or NEW_MODEL)
    kinds, _, factor = args.verbose.partition(":")
    w.verbose = (set(k for k in kinds.split(",") if k), float(factor or 3))
    w.campaign_cards = args.campaign_cards
    w.campaign_agent = args.campaign_agent
    P = Prompts(w.c)
    scenario(args.scenario, w, P, args)
    lines, accounts = w.write(args.out)
    kinds = {}
    for a in w.accounts:
        kinds[a.kind] = kinds.get(a.kind, 0) + 1
    print(f"{args.scenario} seed {args.seed}: {lines} exchanges, {accounts} accounts, {w.days} days, shape {w.shape}"
          f"{', no content' if w.no_content else ''} -> {args.out}  "
          + " ".join(f"{k}={v}" for k, v in sorted(kinds.items())), file=sys.stderr)


if __name__ == "__main__":
    main()
