// Tool loops of agentic exchanges: benign coding-agent users working in their own repository
// with real-looking, varying tool output, and the agentic campaign replaying loops whose tool
// output comes from a few shared templates. Step k of a session is rebuilt from seeded streams
// (session, round), so every request carries exactly the rounds of the one before it plus one.
import DistillDetect


/// A benign coding-agent user: their product or harness, repository and habits.
struct CodingAgentProfile: Sendable {
    var product: AgentProduct
    var tools: [ToolSpec]
    var actions: [AgentAction]
    var ownSystem: String
    var repository: Int
    var project: String
    var home: String
    var platform: String
    var pythonVersion: String
    var pytestVersion: String
    var humanAsBlocks: Bool
    var resultsAsBlocks: Bool
    var terse: Bool
    /// How this person habitually opens and closes a request.
    var openings: [String]
    var closings: [String]

    init(_ rng: inout SeededRandom) {
        let roll = rng.unit()
        product = roll < 0.5 ? .terminalAgent : (roll < 0.8 ? .patchAgent : .ownHarness)
        ownSystem = ""
        switch product {
        case .terminalAgent:
            tools = rng.pick(AgentToolSets.terminalAgentReleases)
            actions = []
        case .patchAgent:
            tools = rng.pick(AgentToolSets.patchAgentReleases)
            actions = []
        case .ownHarness:
            let naming = rng.int(0..<3)
            var chosen: [ToolSpec] = []
            var acts: [AgentAction] = []
            for generic in AgentToolSets.genericTools where acts.count < 2 || rng.chance(0.7) {
                let variant = rng.int(0..<generic.schemas.count)
                chosen.append(ToolSpec(name: generic.names[naming], description: generic.descriptions[variant], schema: generic.schemas[variant]))
                acts.append(generic.action)
            }
            tools = chosen
            actions = acts
            var rules = AgentToolSets.ownSystemRules
            var text = rng.pick(AgentToolSets.ownSystemOpenings)
            for _ in 0..<rng.int(1...3) {
                let i = rng.int(0..<rules.count)
                text += " " + rules.remove(at: i)
            }
            ownSystem = text
        }
        repository = rng.int(0..<RealRepository.all.count)
        let repo = RealRepository.all[repository]
        project = rng.chance(0.6) ? repo.name : repo.name + rng.pick(["-fork", "-dev", "-main", "2", "-wip", "-work"])
        let user = rng.pick(["dana", "alex", "mkim", "jp", "sofia", "tom", "priya", "lee", "anna", "rui", "omar", "chen", "dev", "ubuntu", "marta", "kb"])
        platform = rng.chance(0.55) ? "darwin" : "linux"
        home = platform == "darwin" ? "/Users/\(user)/src" : rng.pick(["/home/\(user)", "/home/\(user)/code", "/workspace"])
        pythonVersion = rng.pick(["3.10.14", "3.11.9", "3.12.4", "3.12.7", "3.13.1"])
        pytestVersion = rng.pick(["7.4.4", "8.2.2", "8.3.3", "8.3.5"])
        humanAsBlocks = rng.chance(0.5)
        resultsAsBlocks = product == .ownHarness && rng.chance(0.5)
        terse = rng.chance(0.4)
        openings = [rng.pick(AgentSessions.openings), rng.pick(AgentSessions.openings)]
        closings = [rng.pick(AgentSessions.closings), rng.pick(AgentSessions.closings)]
    }

    var root: String { home + "/" + project }

    func action(of tool: ToolSpec) -> AgentAction {
        if let i = tools.firstIndex(where: { $0.name == tool.name }), i < actions.count { return actions[i] }
        return .test
    }
}

enum AgentSessions {
    // MARK: Text

    static let tasks = [
        "The tests in {test} started failing after I bumped the dependencies. Can you figure out why and fix it?",
        "add type hints to {file}",
        "{sym} in {file} is slow on big inputs, can you profile it and speed it up?",
        "Refactor {file} so {sym} no longer depends on module-level state. Keep the public API the same.",
        "CI fails on main with `{error}`. Please investigate, it seems to come from {module}.",
        "write tests for {sym} ({file}), we have basically none for it",
        "Rename {sym} to something clearer across the codebase and update the docs",
        "Can you review my uncommitted changes and tell me if anything looks off?",
        "Update the README to document {sym} with a short example.",
        "why does {sym} return None for empty input? fix it and add a regression test",
        "run the test suite and fix whatever fails",
        "Implement {structure} in {module} for the caching layer; follow the style of {file}.",
        "Can you {agentgoal}? The relevant code is in {dir}.",
        "There's a bug report saying {sym} crashes with `{error}` on Windows paths. Reproduce it with a test first, then fix.",
        "Split {file} into smaller modules, it's getting hard to read.",
        "I'd like {sym} to accept an optional timeout. Thread it through and add tests.",
        "explain how {sym} works and where it's called from",
        "Remove the deprecated code paths in {file} and anything that only they use.",
        "Add a `--{flag}` option that skips {sym}; wire it through {file}.",
        "{test} is flaky, roughly one run in ten. Find out why.",
        "Move {sym} out of {file} into its own module and fix the imports.",
        "the output of {sym} changed after the last merge, diff it against the previous release and tell me what happened",
        "Port the {module} tests from unittest style to plain pytest functions.",
        "Make {sym} handle {structure}-sized inputs without loading everything in memory.",
    ]

    /// Sentences a person adds to a task: each draws its own numbers and names.
    static let details = [
        "It worked before {hash}.", "Repro: `{cmd}`.", "The traceback points at line {line} of {file}.",
        "Only happens on {platform}.", "I already tried reverting {file2}, no luck.", "Don't change the public signature of {sym}.",
        "Keep it compatible with Python 3.{minor}.", "Issue #{issue} has more context.", "{count} users reported it since Friday.",
        "The failing job is `{module}-{minor}`.", "Look at {file2} too, it does something similar.", "There's a draft of this on the branch {branch}.",
    ]

    static let openings = ["", "", "hey, ", "ok so ", "Quick one: ", "Next: ", "Task: ", "pls ", "Hi! ", "Morning. ", "New thing: ", "Can you help? "]
    static let closings = ["", "", " thanks!", " Thanks.", " ty", " (don't push anything)", " Keep the diff small.", " go", " Ask if unclear.", " no rush"]

    static let followUps = [
        "looks good, now also add a test for the empty case",
        "can you run the full suite again?",
        "no, keep the old name, just fix the bug",
        "commit this with a sensible message",
        "why did you change {file}?",
        "ok now do the same for {file}",
        "stop, revert that last edit please",
        "nice. can you also update the changelog",
        "that's not quite it, the problem only happens when {sym} gets an empty list",
        "Great, thanks. One more thing: make the error message clearer.",
    ]

    static let narration = [
        "Let me look at {file} first.", "I'll search for where {sym} is defined.", "Now let me run the tests to confirm.",
        "The failure comes from {sym}: it doesn't handle the empty case. Fixing it.", "Let me check the current state of the repo.",
        "I'll read {file} to understand how {sym} is used.", "Found it. Updating {file}.", "Let me check which tests cover {sym}.",
    ]

    static let summaries = [
        "Done. I updated {file} so {sym} handles that case, and the tests pass.",
        "The change is in {file}: {sym} now validates its input. All tests pass.",
        "I fixed the issue in {sym} and added a regression test.",
    ]

    static let arguments = ["value", "options", "path", "data", "token", "name", "config", "key", "stream", "node", "request", "items"]

    static let pythonBody = [
        "    if {arg} is None:", "        return None", "    result = {}", "    for key, value in {arg}.items():", "        result[key] = value",
        "    return result", "    raise ValueError(f\"invalid {arg}\")", "    self._{arg} = {arg}", "    logger.debug(\"%s called\", __name__)",
        "    if not isinstance({arg}, (str, bytes)):", "        raise TypeError(\"expected str or bytes\")", "    return {sym}({arg}, strict=True)",
        "", "    # keep the old behaviour for callers that pass a dict", "    with open({arg}, \"rb\") as fh:", "        data = fh.read()",
    ]

    static let swiftBody = [
        "        guard let value = {arg} else { return nil }", "        return value", "    public var {arg}: Int", "        let {arg} = try container.decode(String.self)",
        "        for element in {arg} {", "        }", "        self.{arg} = {arg}", "    }", "", "        // Matches the behaviour of the command-line parser.",
        "        throw ValidationError(\"Invalid {arg}\")", "        return {sym}({arg})",
    ]

    static func fill(_ template: String, _ values: [String: String]) -> String {
        LineRenderer.fill(template) { values[$0] }
    }

    static func randomID(_ prefix: String, _ count: Int, _ rng: inout SeededRandom) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var s = prefix
        for _ in 0..<count { s.append(alphabet[rng.int(0..<alphabet.count)]) }
        return s
    }

    /// The same draws in both shapes, so the rest of a loop does not depend on the shape.
    static func callID(openAI: Bool, _ rng: inout SeededRandom) -> String {
        let suffix = randomID("", 24, &rng)
        return openAI ? "call_" + suffix : "toolu_01" + suffix.prefix(22)
    }

    // MARK: Benign sessions

    /// A file of the user's repository and its symbols.
    struct Pick {
        var path: String
        var symbol: String
        var test: String
        var module: String
        var dir: String
    }

    static func pick(_ repo: RealRepository, _ rng: inout SeededRandom) -> Pick {
        let paths = repo.paths
        var i = rng.int(0..<paths.count)
        if repo.language == .swift, paths[i].hasPrefix("Tests/"), rng.chance(0.7) {
            i = paths.firstIndex { !$0.hasPrefix("Tests/") } ?? i
        }
        let path = paths[i]
        let symbols = repo.symbols(i)
        let base = String(path.split(separator: "/").last!.split(separator: ".").first!)
        let symbol = symbols.isEmpty ? base : rng.pick(symbols)
        let dir = path.split(separator: "/").dropLast().joined(separator: "/")
        let test: String
        switch repo.language {
        case .python: test = "tests/test_\(base == "__init__" ? repo.name.replacingOccurrences(of: "-", with: "_") : base).py"
        case .swift: test = repo.testPaths.isEmpty ? "Tests/\(base)Tests.swift" : rng.pick(repo.testPaths)
        }
        return Pick(path: path, symbol: symbol, test: test, module: String(path.split(separator: "/").dropLast().last ?? "src"), dir: dir)
    }

    static func values(_ p: Pick, _ rng: inout SeededRandom) -> [String: String] {
        [
            "file": p.path, "sym": p.symbol, "test": p.test, "module": p.module, "dir": p.dir,
            "error": rng.pick(PromptCorpus.slots["error"]!), "structure": rng.pick(PromptCorpus.slots["structure"]!),
            "agentgoal": rng.pick(PromptCorpus.slots["agentgoal"]!),
        ]
    }

    /// A session's task in the user's own words: an ordinary coding question (as any user
    /// asks) or a request about their repository with details of its own.
    static func task(_ profile: CodingAgentProfile, _ rng: inout SeededRandom) -> String {
        let repo = RealRepository.all[profile.repository]
        var v = values(pick(repo, &rng), &rng)
        var text: String
        if rng.chance(0.3) {
            text = LineRenderer.fill(rng.pick(PromptCorpus.coding), &rng)
        } else {
            v["flag"] = rng.pick(["no-cache", "dry-run", "strict", "fast", "skip-\(v["module"]!.lowercased())"])
            text = fill(rng.pick(tasks), v)
            for _ in 0..<rng.weighted([3, 4, 2]) {
                let other = pick(repo, &rng)
                let d: [String: String] = [
                    "hash": rng.hex(7), "cmd": repo.language == .python ? "python -m pytest \(other.test) -k \(other.symbol.lowercased())" : "swift test --filter \(testName(other.test))",
                    "line": String(rng.int(12...900)), "file": v["file"]!, "file2": other.path, "sym": v["sym"]!, "platform": rng.pick(["Windows", "macOS 14", "Alpine", "Python 3.13", "ARM runners"]),
                    "minor": String(rng.int(8...13)), "issue": String(rng.int(40...4_000)), "count": String(rng.int(2...40)), "module": other.module,
                    "branch": rng.pick(["wip/", "fix/", "feature/", ""]) + other.symbol.lowercased(),
                ]
                text += " " + fill(rng.pick(details), d)
            }
        }
        text = rng.pick(profile.openings) + text + rng.pick(profile.closings)
        return profile.terse ? text.lowercased() : text
    }

    static func system(_ profile: CodingAgentProfile, day: String) -> [String] {
        switch profile.product {
        case .terminalAgent:
            return [AgentToolSets.terminalAgentSystem,
                    "<env>\nWorking directory: \(profile.root)\nIs directory a git repo: Yes\nPlatform: \(profile.platform)\nToday's date: \(day)\n</env>"]
        case .patchAgent:
            return [AgentToolSets.patchAgentSystem,
                    "<environment_context>\n  <cwd>\(profile.root)</cwd>\n  <approval_policy>on-request</approval_policy>\n  <sandbox_mode>workspace-write</sandbox_mode>\n</environment_context>"]
        case .ownHarness:
            return [profile.ownSystem]
        }
    }

    /// The request of step `step` (0: the task alone) of a benign session. `cache` holds each
    /// account's latest session as built so far (steps come in order), so a session of n steps
    /// costs n rounds rather than n²/2; the result is the same with or without it.
    static func benign(
        profile: CodingAgentProfile, seed: UInt64, day: Int, dayText: String, account: Int32, session: Int32, step: Int,
        openAI: Bool, cache: AgentSessionCache? = nil
    ) -> ToolLoop {
        var loop: ToolLoop
        var built = 0
        if let cached = cache?.sessions[account], cached.session == session, cached.rounds <= step {
            loop = cached.loop
            built = cached.rounds
            cache?.sessions[account] = nil
        } else {
            var srng = SeededRandom(seed: seed, 8, UInt64(day), UInt64(account), UInt64(session))
            loop = ToolLoop(system: system(profile, day: dayText), tools: profile.tools, turns: [.human(task(profile, &srng))])
            loop.humanAsBlocks = profile.humanAsBlocks
            loop.cacheSystem = profile.product != .ownHarness
        }
        defer { cache?.sessions[account] = (session, step, loop) }
        let repo = RealRepository.all[profile.repository]
        for round in built..<step {
            var rng = SeededRandom(seed: seed, 9, UInt64(day), UInt64(account), UInt64(session), UInt64(round))
            let p = pick(repo, &rng)
            let v = values(p, &rng)
            if round >= 2 && rng.chance(0.06) {
                loop.turns.append(.assistant(text: fill(rng.pick(summaries), v), calls: []))
                var text = fill(rng.pick(followUps), v)
                if profile.terse { text = text.lowercased() }
                loop.turns.append(.human(text))
                continue
            }
            let calls = rng.chance(0.85) ? 1 : rng.int(2...3)
            var toolCalls: [ToolCall] = []
            var results: [ToolResult] = []
            for c in 0..<calls {
                let target = c == 0 ? p : pick(repo, &rng)
                let action: AgentAction
                if calls > 1 {
                    action = rng.chance(0.5) ? .read : .grep
                } else if round == 0 {
                    action = rng.pick([.list, .grep, .read, .plan, .git])
                } else {
                    action = [AgentAction.read, .grep, .edit, .test, .list, .git, .plan][rng.weighted([5, 3, 4, 4, 1, 1, 1])]
                }
                let id = callID(openAI: openAI, &rng)
                let (call, result, failed) = toolCall(action, target: target, profile: profile, repo: repo, id: id, &rng)
                toolCalls.append(call)
                results.append(ToolResult(callID: id, text: result, asBlocks: profile.resultsAsBlocks, isError: failed))
            }
            let text: String? = rng.chance(0.55) ? fill(rng.pick(narration), v) : nil
            loop.turns.append(.assistant(text: text, calls: toolCalls))
            loop.turns.append(.results(results))
        }
        return loop
    }

    /// A call for `action` in the user's tool set, with its (varying) output.
    static func toolCall(
        _ wanted: AgentAction, target: Pick, profile: CodingAgentProfile, repo: RealRepository, id: String, _ rng: inout SeededRandom
    ) -> (ToolCall, String, Bool) {
        let abs = profile.root + "/" + target.path
        switch profile.product {
        case .terminalAgent:
            let hasLS = profile.tools.contains { $0.name == "LS" }
            switch wanted {
            case .list:
                if hasLS && rng.chance(0.5) {
                    let dir = profile.root + "/" + target.dir
                    let names = repo.paths.filter { $0.hasPrefix(target.dir + "/") }.map { "  - " + $0.dropFirst(target.dir.count + 1) }
                    return (ToolCall(id: id, name: "LS", input: ToolArgument.object([("path", .string(dir))])),
                            "- \(dir)/\n" + names.joined(separator: "\n"), false)
                }
                let ext = repo.language == .python ? "py" : "swift"
                let files = sample(repo.paths, &rng).map { profile.root + "/" + $0 }
                return (ToolCall(id: id, name: "Glob", input: ToolArgument.object([("pattern", .string("**/*.\(ext)"))])), files.joined(separator: "\n"), false)
            case .read:
                return (ToolCall(id: id, name: "Read", input: ToolArgument.object([("file_path", .string(abs))])),
                        fileView(target, repo: repo, numbered: true, &rng), false)
            case .grep:
                return (ToolCall(id: id, name: "Grep", input: ToolArgument.object([("pattern", .string(target.symbol)), ("path", .string(profile.root)), ("output_mode", .string("content")), ("-n", .bool(true))])),
                        grepOutput(target, repo: repo, prefix: profile.root + "/", &rng), false)
            case .test:
                let command = repo.language == .python ? "python -m pytest \(target.test) -q" : "swift test --filter \(testName(target.test))"
                let (out, failed) = testOutput(target, profile: profile, repo: repo, &rng)
                return (ToolCall(id: id, name: "Bash", input: ToolArgument.object([("command", .string(command)), ("description", .string("Run the \(target.module) tests"))])),
                        out, failed)
            case .edit:
                let (old, new) = editPair(target, repo: repo, &rng)
                return (ToolCall(id: id, name: "Edit", input: ToolArgument.object([("file_path", .string(abs)), ("old_string", .string(old)), ("new_string", .string(new))])),
                        "The file \(abs) has been updated. Here's the result of running `cat -n` on a snippet of the edited file:\n" + fileView(target, repo: repo, numbered: true, &rng), false)
            case .git:
                let command = rng.pick(["git status --short", "git diff --stat", "git log --oneline -5"])
                return (ToolCall(id: id, name: "Bash", input: ToolArgument.object([("command", .string(command)), ("description", .string("Show repository state"))])),
                        gitOutput(command, target, repo: repo, &rng), false)
            case .plan:
                let steps = planSteps(target, &rng)
                let todos = "[" + steps.enumerated().map { i, s in
                    ToolArgument.object([("content", .string(s)), ("status", .string(i == 0 ? "in_progress" : "pending")), ("id", .string(String(i + 1)))])
                }.joined(separator: ",") + "]"
                return (ToolCall(id: id, name: "TodoWrite", input: ToolArgument.object([("todos", .json(todos))])),
                        "Todos have been modified successfully. Keep using the todo list to track your progress.", false)
            }
        case .patchAgent:
            func shell(_ argv: [String]) -> String { ToolArgument.object([("command", .strings(argv)), ("workdir", .string(profile.root))]) }
            switch wanted {
            case .list:
                return (ToolCall(id: id, name: "shell", input: shell(["rg", "--files"])), sample(repo.paths, &rng).joined(separator: "\n"), false)
            case .read:
                return (ToolCall(id: id, name: "shell", input: shell(["sed", "-n", "1,200p", target.path])), fileView(target, repo: repo, numbered: false, &rng), false)
            case .grep:
                return (ToolCall(id: id, name: "shell", input: shell(["rg", "-n", target.symbol])), grepOutput(target, repo: repo, prefix: "", &rng), false)
            case .test:
                let argv = repo.language == .python ? ["pytest", "-q", target.test] : ["swift", "test", "--filter", testName(target.test)]
                let (out, failed) = testOutput(target, profile: profile, repo: repo, &rng)
                return (ToolCall(id: id, name: "shell", input: shell(argv)), out, failed)
            case .edit:
                let (old, new) = editPair(target, repo: repo, &rng)
                let patch = "*** Begin Patch\n*** Update File: \(target.path)\n@@\n-\(old)\n+\(new)\n*** End Patch"
                return (ToolCall(id: id, name: "apply_patch", input: ToolArgument.object([("input", .string(patch))])),
                        "Success. Updated the following files:\nM \(target.path)", false)
            case .git:
                let argv = rng.chance(0.5) ? ["git", "status", "--short"] : ["git", "diff", "--stat"]
                return (ToolCall(id: id, name: "shell", input: shell(argv)), gitOutput(argv.joined(separator: " "), target, repo: repo, &rng), false)
            case .plan:
                let plan = "[" + planSteps(target, &rng).enumerated().map { i, s in
                    ToolArgument.object([("step", .string(s)), ("status", .string(i == 0 ? "in_progress" : "pending"))])
                }.joined(separator: ",") + "]"
                return (ToolCall(id: id, name: "update_plan", input: ToolArgument.object([("plan", .json(plan))])), "Plan updated", false)
            }
        case .ownHarness:
            var action = wanted
            if !profile.actions.contains(action) { action = profile.actions.contains(.test) ? .test : profile.actions[0] }
            let index = profile.actions.firstIndex(of: action)!
            let tool = profile.tools[index]
            let long = tool.schema.contains("start_line") || tool.schema.contains("depth") || tool.schema.contains("\"cmd\"")
                || tool.schema.contains("case_sensitive") || tool.schema.contains("search") || tool.schema.contains("args")
            switch action {
            case .read:
                return (ToolCall(id: id, name: tool.name, input: ToolArgument.object([("path", .string(target.path))])), fileView(target, repo: repo, numbered: rng.chance(0.5), &rng), false)
            case .list:
                let input = long ? ToolArgument.object([("path", .string(target.dir)), ("depth", .int(rng.int(1...3)))]) : ToolArgument.object([("path", .string(target.dir))])
                return (ToolCall(id: id, name: tool.name, input: input), repo.paths.filter { $0.hasPrefix(target.dir) }.joined(separator: "\n"), false)
            case .grep:
                let input = long ? ToolArgument.object([("pattern", .string(target.symbol)), ("path", .string(".")), ("case_sensitive", .bool(true))]) : ToolArgument.object([("query", .string(target.symbol))])
                return (ToolCall(id: id, name: tool.name, input: input), grepOutput(target, repo: repo, prefix: "", &rng), false)
            case .edit:
                let (old, new) = editPair(target, repo: repo, &rng)
                let input = long ? ToolArgument.object([("path", .string(target.path)), ("search", .string(old)), ("replace", .string(new))])
                    : ToolArgument.object([("path", .string(target.path)), ("content", .string(fileView(target, repo: repo, numbered: false, &rng)))])
                return (ToolCall(id: id, name: tool.name, input: input), rng.pick(["ok", "written \(target.path)", "Wrote \(rng.int(20...400)) lines to \(target.path)"]), false)
            case .git:
                let input = long ? ToolArgument.object([("args", .strings(["status", "--short"]))]) : "{}"
                return (ToolCall(id: id, name: tool.name, input: input), gitOutput("git status --short", target, repo: repo, &rng), false)
            default:
                let command = repo.language == .python ? "pytest -x \(target.test)" : "swift test"
                let input = long ? ToolArgument.object([("cmd", .string(command)), ("timeout", .int(rng.pick([60, 120, 300])))]) : ToolArgument.object([("command", .string(command))])
                let (out, failed) = testOutput(target, profile: profile, repo: repo, &rng)
                return (ToolCall(id: id, name: tool.name, input: input), out, failed)
            }
        }
    }

    static func sample(_ paths: [String], _ rng: inout SeededRandom) -> [String] {
        let n = min(paths.count, rng.int(3...14))
        let start = rng.int(0..<paths.count)
        return (0..<n).map { paths[(start + $0) % paths.count] }
    }

    static func testName(_ path: String) -> String {
        String(path.split(separator: "/").last!.split(separator: ".").first!)
    }

    static func fileView(_ target: Pick, repo: RealRepository, numbered: Bool, _ rng: inout SeededRandom) -> String {
        let arg = rng.pick(arguments)
        let v = ["arg": arg, "sym": target.symbol]
        var lines: [String] = []
        let body = repo.language == .python ? pythonBody : swiftBody
        if repo.language == .python {
            lines.append(target.symbol.first?.isUppercase == true ? "class \(target.symbol):" : "def \(target.symbol)(\(arg), *, strict=False):")
        } else {
            lines.append("    public func \(target.symbol)(_ \(arg): String) throws -> \(rng.pick(["Bool", "Int", "String?", "[String]", "Self"])) {")
        }
        for _ in 0..<rng.int(6...22) { lines.append(fill(rng.pick(body), v)) }
        guard numbered else { return lines.joined(separator: "\n") }
        let first = rng.int(1...300)
        return lines.enumerated().map { i, l in
            let n = String(first + i)
            return String(repeating: " ", count: max(0, 6 - n.count)) + n + "\t" + l
        }.joined(separator: "\n")
    }

    static func grepOutput(_ target: Pick, repo: RealRepository, prefix: String, _ rng: inout SeededRandom) -> String {
        var out = [prefix + target.path + ":" + String(rng.int(1...400)) + ":" + (repo.language == .python ? "def \(target.symbol)(" : "    func \(target.symbol)(")]
        for _ in 0..<rng.int(0...5) {
            let other = pick(repo, &rng)
            out.append(prefix + other.path + ":" + String(rng.int(1...600)) + ":" + rng.pick(["    return \(target.symbol)(value)", "from .\(target.module) import \(target.symbol)", "        let result = try \(target.symbol)(input)", "    # TODO: \(target.symbol) should not be called here"]))
        }
        return out.joined(separator: "\n")
    }

    static func editPair(_ target: Pick, repo: RealRepository, _ rng: inout SeededRandom) -> (String, String) {
        let arg = rng.pick(arguments)
        if repo.language == .python {
            return ("    if \(arg) is None:\n        return None", "    if not \(arg):\n        return \(rng.pick(["None", "[]", "{}", "\"\""]))")
        }
        return ("        guard let value = \(arg) else { return nil }", "        guard let value = \(arg), !value.isEmpty else { return \(rng.pick(["nil", "[]", "false"])) }")
    }

    static func planSteps(_ target: Pick, _ rng: inout SeededRandom) -> [String] {
        Array([
            "Reproduce the problem in \(target.test)", "Read \(target.path)", "Fix \(target.symbol)", "Add a regression test",
            "Run the full test suite", "Update the docs for \(target.symbol)",
        ].prefix(rng.int(2...5)))
    }

    static func gitOutput(_ command: String, _ target: Pick, repo: RealRepository, _ rng: inout SeededRandom) -> String {
        if command.contains("status") {
            var lines = [" M " + target.path]
            if rng.chance(0.5) { lines.append(" M " + target.test) }
            if rng.chance(0.3) { lines.append("?? " + rng.pick(["notes.md", "scratch.py", ".env.local", "out/", "bench.txt"])) }
            return lines.joined(separator: "\n")
        }
        if command.contains("diff") {
            let ins = rng.int(1...60), del = rng.int(0...30)
            return " \(target.path) | \(ins + del) " + String(repeating: "+", count: min(ins, 20)) + String(repeating: "-", count: min(del, 10))
                + "\n 1 file changed, \(ins) insertions(+), \(del) deletions(-)"
        }
        return (0..<5).map { _ in rng.hex(7) + " " + rng.pick(["Fix \(target.symbol) edge case", "Bump dependencies", "Add tests for \(target.module)", "Refactor \(target.symbol)", "Merge pull request #\(rng.int(10...900))", "Update README"]) }
            .joined(separator: "\n")
    }

    static func testOutput(_ target: Pick, profile: CodingAgentProfile, repo: RealRepository, _ rng: inout SeededRandom) -> (String, Bool) {
        let passed = rng.int(3...240)
        let failed = rng.chance(0.35) ? rng.int(1...4) : 0
        let seconds = String(format: "%.2f", 0.1 + rng.unit() * 40)
        let a = rng.int(0...500), b = a + rng.int(1...9)
        if repo.language == .python {
            var out = "============================= test session starts ==============================\nplatform \(profile.platform) -- Python \(profile.pythonVersion), pytest-\(profile.pytestVersion), pluggy-1.5.0\nrootdir: \(profile.root)\ncollected \(passed + failed) items\n\n"
            out += "\(target.test) " + String(repeating: ".", count: min(passed, 60)) + String(repeating: "F", count: failed) + " [100%]\n"
            if failed > 0 {
                let name = "test_\(target.symbol.lowercased())_\(rng.pick(["empty", "roundtrip", "unicode", "none", "large_input", "defaults"]))"
                out += "\n=================================== FAILURES ===================================\n______ \(name) ______\n\nE       AssertionError: assert \(a) == \(b)\n\n\(target.test):\(rng.int(10...400)): AssertionError\n=========================== short test summary info ============================\nFAILED \(target.test)::\(name) - AssertionError: assert \(a) == \(b)\n"
                return (out + "\(failed) failed, \(passed) passed in \(seconds)s", true)
            }
            return (out + "\(passed) passed in \(seconds)s", false)
        }
        let suite = testName(target.test)
        var out = "[\(rng.int(3...40))/\(rng.int(41...400))] Compiling \(repo.name.replacingOccurrences(of: ".swift", with: "")) \(target.path.split(separator: "/").last!)\nBuild complete! (\(String(format: "%.2f", 2 + rng.unit() * 60))s)\n"
        if failed > 0 {
            out += "\(target.test):\(rng.int(10...400)): error: -[\(suite) test\(target.symbol.prefix(1).uppercased() + target.symbol.dropFirst())] : XCTAssertEqual failed: (\"\(a)\") is not equal to (\"\(b)\")\n"
        }
        out += "Executed \(passed + failed) tests, with \(failed) failures (0 unexpected) in \(seconds) (\(seconds)) seconds"
        return (out, failed > 0)
    }

    // MARK: The agentic campaign

    /// A campaign request: its task (the plain style's prompt) and a replayed loop of a few
    /// rounds whose tool output comes from the campaign's shared templates.
    static func campaign(task: String, seed: UInt64, day: Int, account: Int32, index: Int32, openAI: Bool) -> ToolLoop {
        var rng = SeededRandom(seed: seed, 7, UInt64(day), UInt64(account), UInt64(index))
        let variant = rng.int(0..<AgentToolSets.campaignToolSets.count)
        let names = AgentToolSets.campaignToolNames[variant]
        let rounds = rng.weighted([1, 2, 3, 3, 3, 2, 2, 1, 1])
        var loop = ToolLoop(system: [AgentToolSets.campaignSystems[variant]], tools: AgentToolSets.campaignToolSets[variant], turns: [.human(task)])
        for round in 0..<rounds {
            let tool = round == 0 ? (names.contains("list_directory") ? "list_directory" : "search_code") : rng.pick(names)
            let n = rng.int(5...40)
            let v = [
                "module": rng.pick(AgentToolSets.campaignModules), "name": rng.pick(AgentToolSets.campaignNames),
                "n": String(n), "m": String(n - 1), "line": String(rng.int(10...300)), "line2": String(rng.int(1...40)),
                "case": rng.pick(["basic", "empty", "error"]), "tool": tool, "step": String(round + 1),
                "purpose": AgentToolSets.campaignPurposes[tool] ?? "continue",
            ]
            let path = fill("src/{module}/{name}.py", v)
            let input: String
            switch tool {
            case "read_file", "list_directory": input = ToolArgument.object([("path", .string(tool == "read_file" ? path : "."))])
            case "write_file": input = ToolArgument.object([("path", .string(path)), ("content", .string(fill("def {name}(data):\n    return process(data)\n", v)))])
            case "edit_file": input = ToolArgument.object([("path", .string(path)), ("old", .string("return result")), ("new", .string("return result or []"))])
            case "run_tests": input = ToolArgument.object([("target", .string("tests/"))])
            case "search_code": input = ToolArgument.object([("query", .string(fill("def {name}", v)))])
            case "git_diff": input = "{}"
            default: input = ToolArgument.object([("command", .string(fill("python -m {module}.{name}", v)))])
            }
            let id = callID(openAI: openAI, &rng)
            let observation = fill(rng.pick(AgentToolSets.campaignObservations[tool] ?? ["ok"]), v)
            loop.turns.append(.assistant(text: fill(rng.pick(AgentToolSets.campaignThoughts), v), calls: [ToolCall(id: id, name: tool, input: input)]))
            loop.turns.append(.results([ToolResult(callID: id, text: observation)]))
        }
        return loop
    }
}

/// Sessions under construction, per account: one renderer's (one day's, one thread's).
final class AgentSessionCache {
    var sessions: [Int32: (session: Int32, rounds: Int, loop: ToolLoop)] = [:]
}
