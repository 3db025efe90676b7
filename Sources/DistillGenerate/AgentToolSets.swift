// The tools, system prompts and tool-output wording of agentic traffic: two popular agent
// products that many unrelated users run (so sharing their tool set or system prompt is
// innocent), home-made harnesses, and the agentic campaign's fixed harness.
import DistillDetect


enum AgentProduct: Int, Sendable {
    /// A terminal coding agent with Bash/Read/Edit/Grep-style tools.
    case terminalAgent
    /// A shell-plus-patch agent (shell, apply_patch, update_plan).
    case patchAgent
    /// The user's own harness: a few generic tools named their own way.
    case ownHarness
}

enum AgentToolSets {
    // MARK: Products shared by many users

    static let bash = ToolSpec(
        name: "Bash",
        description: "Executes a bash command in a persistent shell session with an optional timeout. Use it for git, tests, builds and package managers; prefer Read, Grep and Glob for reading and searching files.",
        schema: #"{"type":"object","properties":{"command":{"type":"string","description":"The command to execute"},"timeout":{"type":"number","description":"Optional timeout in milliseconds (max 600000)"},"description":{"type":"string","description":"Clear, concise description of what this command does in 5-10 words"}},"required":["command"],"additionalProperties":false}"#)
    static let read = ToolSpec(
        name: "Read",
        description: "Reads a file from the local filesystem. Returns the content with line numbers (cat -n format); use offset and limit for long files.",
        schema: #"{"type":"object","properties":{"file_path":{"type":"string","description":"The absolute path to the file to read"},"offset":{"type":"number","description":"The line number to start reading from"},"limit":{"type":"number","description":"The number of lines to read"}},"required":["file_path"],"additionalProperties":false}"#)
    static let edit = ToolSpec(
        name: "Edit",
        description: "Performs an exact string replacement in a file. The old_string must be unique in the file unless replace_all is set. Read the file first.",
        schema: #"{"type":"object","properties":{"file_path":{"type":"string","description":"The absolute path to the file to modify"},"old_string":{"type":"string","description":"The text to replace"},"new_string":{"type":"string","description":"The text to replace it with"},"replace_all":{"type":"boolean","default":false}},"required":["file_path","old_string","new_string"],"additionalProperties":false}"#)
    static let write = ToolSpec(
        name: "Write",
        description: "Writes a file to the local filesystem, overwriting it if it exists.",
        schema: #"{"type":"object","properties":{"file_path":{"type":"string","description":"The absolute path to the file to write"},"content":{"type":"string","description":"The content to write to the file"}},"required":["file_path","content"],"additionalProperties":false}"#)
    static let glob = ToolSpec(
        name: "Glob",
        description: "Fast file pattern matching that works with any codebase size. Returns matching file paths sorted by modification time.",
        schema: #"{"type":"object","properties":{"pattern":{"type":"string","description":"The glob pattern to match files against"},"path":{"type":"string","description":"The directory to search in"}},"required":["pattern"],"additionalProperties":false}"#)
    static let grep = ToolSpec(
        name: "Grep",
        description: "A search tool built on ripgrep. Supports full regex syntax, glob filters and several output modes.",
        schema: #"{"type":"object","properties":{"pattern":{"type":"string","description":"The regular expression pattern to search for"},"path":{"type":"string","description":"File or directory to search in"},"glob":{"type":"string","description":"Glob pattern to filter files"},"output_mode":{"type":"string","enum":["content","files_with_matches","count"]},"-n":{"type":"boolean"}},"required":["pattern"],"additionalProperties":false}"#)
    static let ls = ToolSpec(
        name: "LS",
        description: "Lists files and directories in a given path. The path must be absolute.",
        schema: #"{"type":"object","properties":{"path":{"type":"string","description":"The absolute path to the directory to list"},"ignore":{"type":"array","items":{"type":"string"},"description":"Glob patterns to ignore"}},"required":["path"],"additionalProperties":false}"#)
    static let todo = ToolSpec(
        name: "TodoWrite",
        description: "Creates and updates a structured task list for the current session, to track progress on multi-step work.",
        schema: #"{"type":"object","properties":{"todos":{"type":"array","items":{"type":"object","properties":{"content":{"type":"string","minLength":1},"status":{"type":"string","enum":["pending","in_progress","completed"]},"id":{"type":"string"}},"required":["content","status","id"]}}},"required":["todos"],"additionalProperties":false}"#)
    static let webFetch = ToolSpec(
        name: "WebFetch",
        description: "Fetches content from a URL and answers a prompt about it.",
        schema: #"{"type":"object","properties":{"url":{"type":"string","format":"uri"},"prompt":{"type":"string"}},"required":["url","prompt"],"additionalProperties":false}"#)

    /// Two releases of the terminal agent in use at once (users update at their own pace).
    static let terminalAgentReleases: [[ToolSpec]] = [
        [bash, glob, grep, ls, read, edit, write, todo],
        [bash, glob, grep, read, edit, write, webFetch, todo],
    ]

    static let shell = ToolSpec(
        name: "shell",
        description: "Runs a shell command and returns its output.",
        schema: #"{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"},"description":"The command to execute"},"workdir":{"type":"string","description":"The working directory to execute the command in"},"timeout_ms":{"type":"number","description":"The timeout for the command in milliseconds"}},"required":["command"],"additionalProperties":false}"#)
    static let applyPatch = ToolSpec(
        name: "apply_patch",
        description: "Applies a patch in the *** Begin Patch / *** End Patch format to files in the workspace.",
        schema: #"{"type":"object","properties":{"input":{"type":"string","description":"The entire contents of the apply_patch command"}},"required":["input"],"additionalProperties":false}"#)
    static let updatePlan = ToolSpec(
        name: "update_plan",
        description: "Updates the task plan. Provide an optional explanation and a list of plan items, each with a step and status; at most one step is in_progress.",
        schema: #"{"type":"object","properties":{"explanation":{"type":"string"},"plan":{"type":"array","items":{"type":"object","properties":{"step":{"type":"string"},"status":{"type":"string","enum":["pending","in_progress","completed"]}},"required":["step","status"]}}},"required":["plan"],"additionalProperties":false}"#)
    static let viewImage = ToolSpec(
        name: "view_image",
        description: "Attaches a local image (by filesystem path) to the conversation context for this turn.",
        schema: #"{"type":"object","properties":{"path":{"type":"string","description":"Local filesystem path to an image file"}},"required":["path"],"additionalProperties":false}"#)

    static let patchAgentReleases: [[ToolSpec]] = [
        [shell, applyPatch, updatePlan],
        [shell, applyPatch, updatePlan, viewImage],
    ]

    static let terminalAgentSystem = """
        You are an interactive CLI tool that helps users with software engineering tasks. Use the instructions below and the tools available to you to assist the user.

        Be concise and direct. When you run a non-trivial bash command, explain what it does and why. Prefer editing existing files to creating new ones. Never commit changes unless the user explicitly asks you to.

        When doing tasks: use the search tools to understand the codebase, implement the solution, then verify it with the project's tests. If you cannot find the test command, check the README or ask the user. Use the TodoWrite tool to plan multi-step tasks and mark each item completed as soon as it is done.
        """

    static let patchAgentSystem = """
        You are a coding agent running in a terminal-based assistant. You are expected to be precise, safe, and helpful.

        You can read files and run commands through the shell tool, and edit files with apply_patch. Keep going until the user's query is completely resolved before ending your turn. Fix problems at the root cause rather than applying surface-level patches, keep changes minimal and consistent with the style of the codebase, and do not add copyright headers. Use update_plan for tasks with several steps.
        """

    // MARK: Home-made harnesses

    /// One generic capability named three ways (snake_case, camelCase, Unix-like).
    struct GenericTool {
        var names: [String]
        /// `descriptions[i]` describes `schemas[i]`.
        var descriptions: [String]
        var schemas: [String]
        var action: AgentAction
    }

    static let genericTools: [GenericTool] = [
        GenericTool(
            names: ["read_file", "readFile", "cat"],
            descriptions: ["Read a file from the repository and return its contents.", "Return the text of a file, optionally a line range."],
            schemas: [#"{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}"#,
                      #"{"type":"object","properties":{"path":{"type":"string","description":"File path relative to the repo root"},"start_line":{"type":"integer"},"end_line":{"type":"integer"}},"required":["path"]}"#],
            action: .read),
        GenericTool(
            names: ["list_files", "listDir", "ls"],
            descriptions: ["List the files in a directory.", "List directory contents recursively up to a depth."],
            schemas: [#"{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}"#,
                      #"{"type":"object","properties":{"path":{"type":"string"},"depth":{"type":"integer","minimum":1,"maximum":5}},"required":["path"]}"#],
            action: .list),
        GenericTool(
            names: ["run_command", "runShell", "sh"],
            descriptions: ["Run a shell command in the project directory and return stdout and stderr.", "Execute a command; output is truncated to 10k characters."],
            schemas: [#"{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}"#,
                      #"{"type":"object","properties":{"cmd":{"type":"string","description":"Command line"},"timeout":{"type":"integer","description":"Seconds"}},"required":["cmd"]}"#],
            action: .test),
        GenericTool(
            names: ["search_code", "grep", "rg"],
            descriptions: ["Search the codebase for a regular expression.", "Find lines matching a pattern; returns file:line:text."],
            schemas: [#"{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}"#,
                      #"{"type":"object","properties":{"pattern":{"type":"string"},"path":{"type":"string"},"case_sensitive":{"type":"boolean"}},"required":["pattern"]}"#],
            action: .grep),
        GenericTool(
            names: ["write_file", "writeFile", "patch"],
            descriptions: ["Write content to a file, replacing it.", "Replace a block of text in a file."],
            schemas: [#"{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}},"required":["path","content"]}"#,
                      #"{"type":"object","properties":{"path":{"type":"string"},"search":{"type":"string"},"replace":{"type":"string"}},"required":["path","search","replace"]}"#],
            action: .edit),
        GenericTool(
            names: ["git_status", "gitStatus", "git"],
            descriptions: ["Show the working tree status.", "Run a read-only git subcommand (status, diff, log)."],
            schemas: [#"{"type":"object","properties":{}}"#,
                      #"{"type":"object","properties":{"args":{"type":"array","items":{"type":"string"}}},"required":["args"]}"#],
            action: .git),
    ]

    static let ownSystemOpenings = [
        "You are a helpful coding assistant working in my repository.",
        "You are an expert software engineer pair-programming with me.",
        "Act as a careful senior developer.",
        "You help maintain this codebase.",
        "You are a coding agent.",
    ]
    static let ownSystemRules = [
        "Always run the tests after editing.", "Keep diffs small.", "Explain what you changed at the end.",
        "Don't touch files outside the repo.", "Ask before deleting anything.", "Use type hints.",
        "Prefer the standard library.", "Answer briefly.", "Follow the existing code style.",
    ]

    // MARK: The agentic campaign's harness

    static func campaignTool(_ name: String) -> ToolSpec {
        let (description, schema): (String, String)
        switch name {
        case "read_file": (description, schema) = ("Read a file.", #"{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}"#)
        case "write_file": (description, schema) = ("Write a file.", #"{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}},"required":["path","content"]}"#)
        case "edit_file": (description, schema) = ("Edit a file.", #"{"type":"object","properties":{"path":{"type":"string"},"old":{"type":"string"},"new":{"type":"string"}},"required":["path","old","new"]}"#)
        case "run_tests": (description, schema) = ("Run the test suite.", #"{"type":"object","properties":{"target":{"type":"string"}}}"#)
        case "search_code": (description, schema) = ("Search the code.", #"{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}"#)
        case "list_directory": (description, schema) = ("List a directory.", #"{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}"#)
        case "git_diff": (description, schema) = ("Show the diff.", #"{"type":"object","properties":{}}"#)
        default: (description, schema) = ("Run a shell command.", #"{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}"#)
        }
        return ToolSpec(name: name, description: description, schema: schema)
    }

    /// The campaign's few harness variants: tool names (from the campaign corpus's `tool` slot).
    static let campaignToolNames: [[String]] = [
        ["read_file", "edit_file", "run_tests", "search_code", "list_directory"],
        ["read_file", "write_file", "run_shell", "search_code", "git_diff"],
        ["read_file", "write_file", "edit_file", "run_tests", "search_code", "list_directory", "git_diff", "run_shell"],
    ]
    static let campaignToolSets: [[ToolSpec]] = campaignToolNames.map { $0.map(campaignTool) }

    /// One system prompt per harness variant: the campaign corpus's, with the tool list fixed.
    static let campaignSystems: [String] = campaignToolNames.enumerated().map { i, names in
        PromptCorpus.agenticSystem[i % PromptCorpus.agenticSystem.count]
            .replacingOccurrences(of: "{tools}", with: names.joined(separator: ", "))
    }

    static let campaignThoughts = [
        "<thinking>First I need to {purpose}. I will call {tool}.</thinking>",
        "<thinking>Step {step}: {purpose}, so the next action is {tool}.</thinking>",
        "<thinking>The previous observation is consistent with the plan. Next: {purpose} with {tool}.</thinking>",
    ]

    /// Synthetic observations replayed by the campaign: one small template set per tool.
    static let campaignObservations: [String: [String]] = [
        "run_tests": ["Ran {n} tests: {n} passed, 0 failed", "Ran {n} tests: {m} passed, 1 failed\nFAILED tests/test_{name}.py::test_{name}_{case}"],
        "run_shell": ["exit code 0\n{name}: OK", "exit code 1\nError: {name} failed at src/{module}/{name}.py:{line}"],
        "list_directory": ["src/\nsrc/{module}/\nsrc/{module}/__init__.py\nsrc/{module}/{name}.py\nsrc/{module}/utils.py\ntests/\ntests/test_{name}.py\nREADME.md\nsetup.py"],
        "read_file": ["def {name}(data):\n    \"\"\"{name} entry point.\"\"\"\n    result = process(data)\n    return result\n\n\ndef process(data):\n    return [x for x in data if x]"],
        "search_code": ["src/{module}/{name}.py:{line}: def {name}(data):\nsrc/{module}/utils.py:{line2}: from .{name} import {name}"],
        "git_diff": ["diff --git a/src/{module}/{name}.py b/src/{module}/{name}.py\n@@ -{line},3 +{line},4 @@\n-    return result\n+    return result or []"],
        "edit_file": ["File src/{module}/{name}.py edited successfully."],
        "write_file": ["Wrote {n} lines to src/{module}/{name}.py."],
    ]
    static let campaignPurposes: [String: String] = [
        "run_tests": "check the current test status", "run_shell": "run the module", "list_directory": "explore the repository layout",
        "read_file": "read the relevant source file", "search_code": "locate the definition", "git_diff": "review the changes so far",
        "edit_file": "apply the fix", "write_file": "write the new implementation",
    ]
    static let campaignModules = ["core", "api", "utils", "services", "handlers"]
    static let campaignNames = ["main", "client", "worker", "models", "config", "auth"]
}

/// What a tool call does, whichever tool set names it.
enum AgentAction: Sendable {
    case list, read, grep, test, edit, git, plan
}
