// The capability taxonomy is data: topics with weighted keywords and phrases, and the
// chain-of-thought-elicitation markers. `--taxonomy FILE` replaces the built-in default.
import Foundation

public struct Taxonomy: Codable, Sendable, Equatable {
    public struct Topic: Codable, Sendable, Equatable {
        /// Short name used in outputs, e.g. `software_engineering`.
        public var name: String
        /// Capabilities a distillation campaign targets (software engineering, agentic,
        /// reasoning); used when scoring capability concentration.
        public var extractionTarget: Bool
        /// Keyword or phrase (1–3 words, lowercase) → weight. Words match ignoring a plural
        /// or -ing/-ed ending.
        public var keywords: [String: Double]
        /// Added when the prompt holds a fenced code block.
        public var codeBlockWeight: Double?
        /// Added per identifier-like token (snake_case, camelCase, dotted.names), up to 3.
        public var identifierWeight: Double?
        /// Added per number, up to 4.
        public var numberWeight: Double?
        /// Added per arithmetic sign (= + * ^ % ×) outside code, up to 4.
        public var mathSymbolWeight: Double?
        /// Added once when the prompt is a question (starts with a question word or ends in ?).
        public var questionWeight: Double?

        enum CodingKeys: String, CodingKey {
            case name, keywords
            case extractionTarget = "extraction_target"
            case codeBlockWeight = "code_block_weight"
            case identifierWeight = "identifier_weight"
            case numberWeight = "number_weight"
            case mathSymbolWeight = "math_symbol_weight"
            case questionWeight = "question_weight"
        }
    }

    public var version: Int
    public var topics: [Topic]
    /// Topic given when no topic scores at least `minimumScore`.
    public var defaultTopic: String
    public var minimumScore: Double
    /// Phrases (1–4 words) that ask the model to expose its reasoning.
    public var chainOfThoughtMarkers: [String]

    enum CodingKeys: String, CodingKey {
        case version, topics
        case defaultTopic = "default_topic"
        case minimumScore = "minimum_score"
        case chainOfThoughtMarkers = "chain_of_thought_markers"
    }

    public static let currentVersion = 1

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case invalid(path: String, reason: String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): return "\(path): cannot read taxonomy: \(reason)"
            case .invalid(let path, let reason): return "\(path): invalid taxonomy: \(reason)"
            }
        }
    }

    /// Loads and validates a taxonomy file (JSON, the format of `Taxonomy.defaultJSON`).
    public static func load(path: String) throws -> Taxonomy {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LoadError.unreadable(path: path, reason: error.localizedDescription)
        }
        let taxonomy: Taxonomy
        do {
            taxonomy = try JSONDecoder().decode(Taxonomy.self, from: data)
        } catch {
            throw LoadError.invalid(path: path, reason: "\(error)")
        }
        if let problem = taxonomy.validationProblem { throw LoadError.invalid(path: path, reason: problem) }
        return taxonomy
    }

    var validationProblem: String? {
        if version > Self.currentVersion { return "version \(version) is newer than this tool reads (\(Self.currentVersion))" }
        if topics.isEmpty { return "no topics" }
        if topics.count > 250 { return "more than 250 topics" }
        let names = topics.map(\.name)
        if Set(names).count != names.count { return "duplicate topic names" }
        if !names.contains(defaultTopic) { return "default_topic '\(defaultTopic)' is not one of the topics" }
        for topic in topics {
            for phrase in topic.keywords.keys where !(1...3).contains(PromptTokenizer.phraseHashes(phrase).count) {
                return "topic \(topic.name): keyword '\(phrase)' must have 1 to 3 words"
            }
        }
        for marker in chainOfThoughtMarkers where !(1...4).contains(PromptTokenizer.phraseHashes(marker).count) {
            return "chain-of-thought marker '\(marker)' must have 1 to 4 words"
        }
        return nil
    }

    public static let builtIn: Taxonomy = {
        let taxonomy = try! JSONDecoder().decode(Taxonomy.self, from: Data(defaultJSON.utf8))
        if let problem = taxonomy.validationProblem { preconditionFailure("built-in taxonomy: \(problem)") }
        return taxonomy
    }()

    public func jsonData() throws -> Data { try JSONOutput.encode(self) }

    /// The built-in taxonomy. Weights were set on the hand-written and public-dataset prompts
    /// in Tests/DistillDetectTests/Fixtures/topics.jsonl (see README, "Topics").
    public static let defaultJSON = #"""
    {
      "version": 1,
      "default_topic": "chat_other",
      "minimum_score": 1.0,
      "topics": [
        {
          "name": "software_engineering",
          "extraction_target": true,
          "code_block_weight": 4,
          "identifier_weight": 0.6,
          "keywords": {
            "code": 1.5, "function": 1.5, "method": 1, "class": 1, "bug": 2, "debug": 2, "error": 1, "exception": 2,
            "compile": 2, "compiler": 2, "refactor": 3, "implement": 2, "implementation": 2, "algorithm": 2,
            "api": 1, "endpoint": 1.5, "database": 1.5, "query": 1, "sql": 2.5, "regex": 2.5, "regular expression": 2.5,
            "python": 2, "javascript": 2, "typescript": 2, "java": 2, "rust": 2, "golang": 2, "c++": 2, "c#": 2,
            "kotlin": 2, "swift": 1.5, "ruby": 1.5, "php": 2, "scala": 2, "bash": 2, "shell script": 2, "html": 2,
            "css": 2, "react": 2, "django": 2, "flask": 2, "fastapi": 2, "spring boot": 2, "rails": 1.5,
            "node": 1, "npm": 2, "pip": 1.5, "docker": 2, "kubernetes": 2, "git": 2, "github": 1.5, "linux": 1,
            "unit test": 3, "test case": 2, "pytest": 3, "script": 1.5, "program": 1.5, "programming": 2,
            "variable": 1.5, "array": 1.5, "list comprehension": 3, "dictionary": 1, "string": 1, "integer": 0.5,
            "loop": 1.5, "recursion": 2, "pointer": 2, "memory leak": 3, "thread": 1.5, "async": 2, "concurrency": 2,
            "deadlock": 2.5, "stack trace": 3, "segmentation fault": 3, "null": 1, "syntax": 2, "library": 1,
            "framework": 1.5, "dependency": 1, "package": 1, "repository": 1, "repo": 1.5, "pull request": 2,
            "big-o": 2.5, "time complexity": 3, "data structure": 3, "linked list": 3, "binary tree": 3,
            "hash map": 3, "lru cache": 3, "trie": 2, "sorting": 1.5, "binary search": 3, "json": 1.5, "yaml": 1.5,
            "csv": 1, "parse": 1.5, "parser": 2, "frontend": 2, "backend": 2, "deploy": 1.5, "server": 1,
            "coding": 2, "developer": 1.5, "engineer": 1, "software": 1.5, "linq": 3, "selector": 1.5,
            "cron": 2, "crontab": 3, "typeerror": 3, "keyerror": 3, "nullpointerexception": 3, "stack overflow": 1,
            "vs code": 2, "ide": 1, "build": 0.8, "webpack": 2, "schema": 1, "orm": 2, "microservice": 2,
            "return": 0.5, "boolean": 1.5, "enum": 1.5, "struct": 2, "interface": 1, "generic": 1, "lambda": 2,
            "pandas": 2, "numpy": 2, "dataframe": 2, "column": 0.5, "index": 0.5, "stdout": 2, "cli": 1.5,
            "div": 2.5, "flexbox": 3, "kubectl": 3, "pod": 1.5, "dockerfile": 3, "monorepo": 3, "microservices": 2,
            "container": 1, "permission denied": 2, "log": 0.8, "review this": 1, "this code": 2, "my code": 2,
            "localhost": 2, "http": 1, "bug fix": 2, "stack": 0.5, "type": 0.5, "null pointer": 3
          }
        },
        {
          "name": "agentic_tool_use",
          "extraction_target": true,
          "keywords": {
            "agent": 3, "autonomous": 3, "tool": 1.5, "tool call": 4, "tools": 1.5, "function calling": 4,
            "trajectory": 3, "observation": 1.5, "plan the steps": 3, "next action": 3, "action": 0.8,
            "automate": 2.5, "automation": 2, "workflow": 2, "pipeline": 1, "orchestrate": 2, "schedule": 1,
            "browse": 2, "browser": 1.5, "click": 1.5, "navigate": 1, "web page": 1.5, "scrape": 2,
            "sandbox": 2, "execute": 1.5, "run_shell": 4, "read_file": 4, "write_file": 4, "search_code": 4,
            "http_get": 4, "sql_query": 3, "open_pr": 4, "git_diff": 4, "run_tests": 4, "list_directory": 4,
            "edit_file": 4, "browser_click": 4, "mcp": 3, "langchain": 3, "react agent": 4, "multi-step": 1.5,
            "step 1": 0.5, "goal": 1, "subtask": 2.5, "delegate": 1.5, "invoke": 1.5, "webhook": 2,
            "every monday": 2, "every day": 1.5, "email a summary": 3, "book a": 1.5, "send invites": 2,
            "github action": 3, "github actions": 3, "spreadsheet": 1, "integrate": 1, "calendar": 1,
            "function call": 4, "function schema": 4, "zapier": 3, "flow": 1.5, "set up a": 1, "trigger": 2,
            "every": 1, "every friday": 2, "every morning": 2, "every hour": 2, "every week": 2, "monitor": 2,
            "alert": 1.5, "incident": 1.5, "assistant": 1, "on my behalf": 3, "for me": 0.8
          }
        },
        {
          "name": "reasoning_math",
          "extraction_target": true,
          "number_weight": 0.6,
          "math_symbol_weight": 1.0,
          "keywords": {
            "solve": 2, "equation": 3, "calculate": 2.5, "compute": 1, "probability": 3, "prove": 3, "proof": 3,
            "theorem": 3, "integral": 3, "derivative": 3, "matrix": 2, "determinant": 3, "algebra": 3,
            "geometry": 3, "triangle": 2.5, "circle": 1.5, "area": 1.5, "perimeter": 2.5, "volume": 1.5, "radius": 2.5,
            "percent": 2, "percentage": 2, "ratio": 2, "average": 1.5, "mean": 1, "median": 2, "sum": 1.5,
            "product": 0.5, "prime": 2.5, "factor": 1.5, "divisible": 3, "remainder": 2.5, "fraction": 2.5,
            "how many": 1.5, "how much": 1, "math": 3, "mathematics": 3, "arithmetic": 3, "logic": 2,
            "puzzle": 2.5, "riddle": 2, "deduce": 2.5, "infer": 1.5, "x": 0.5, "y": 0.3, "interest": 1,
            "compounded": 3, "mph": 2, "km/h": 2, "speed": 1, "distance": 1, "minus": 2, "plus": 1.5,
            "times": 0.8, "multiply": 2.5, "divide": 2, "square root": 3, "irrational": 3, "inequality": 3,
            "statistics": 2, "variance": 2.5, "standard deviation": 3, "expected value": 3, "combinatorics": 3,
            "ways": 1, "seated": 2, "coin": 2, "dice": 2.5, "die": 1, "cards": 1, "odds": 2, "estimate": 1,
            "word problem": 3, "if a": 0.8, "each": 0.5, "total": 1, "cost": 0.8, "costs": 0.8,
            "digits": 2, "sequence": 1.5, "series": 1, "pattern": 1, "monty hall": 3, "paradox": 2,
            "syllogism": 3, "premise": 2.5, "conclusion": 1.5, "true or false": 1.5, "larger": 1, "smaller": 1,
            "number": 1, "equal": 1.5, "arrangement": 2.5, "double": 1, "half": 1, "twice": 1.5, "minutes": 0.5,
            "hours": 0.5, "rate": 1, "discount": 1.5, "bigger": 1, "if all": 1.5, "definitely": 0.5
          }
        },
        {
          "name": "writing",
          "extraction_target": false,
          "keywords": {
            "write": 1.5, "rewrite": 3, "draft": 2.5, "essay": 3, "email": 2, "letter": 2.5, "cover letter": 3,
            "poem": 3, "haiku": 3, "limerick": 3, "story": 2.5, "short story": 3, "speech": 2.5, "toast": 2.5,
            "blog": 2.5, "blog post": 3, "article": 2, "headline": 2.5, "title": 1.5, "slogan": 3, "caption": 2.5,
            "tweet": 2.5, "linkedin": 2.5, "post": 1, "paragraph": 2, "sentence": 1.5, "proofread": 3,
            "grammar": 2.5, "spelling": 2, "tone": 2, "formal": 1.5, "friendly": 1, "persuasive": 2.5,
            "summarize": 2.5, "summary": 2, "translate": 3, "translation": 3, "spanish": 1.5, "french": 1.5,
            "german": 1.5, "lyrics": 3, "song": 1.5, "rhyme": 2.5, "apology": 2, "thank-you": 2, "thank you note": 3,
            "product description": 3, "description": 1, "bio": 2, "resume": 2.5, "cv": 2, "wedding": 1.5,
            "birthday": 1, "wording": 2.5, "rephrase": 3, "paraphrase": 3, "shorter": 1, "concise": 1.5,
            "bullet points": 1.5, "outline": 2, "script for": 1, "novel": 2, "character": 1, "plot": 1,
            "écris": 3, "escribe": 3, "schreibe": 3, "message": 1, "invitation": 2, "complaint": 2, "review of": 1,
            "write a": 1, "professional": 1.5, "sound more": 2, "catchy": 2.5, "names for": 2, "eulogy": 3,
            "wording": 2.5, "polish": 2, "copy": 1, "tagline": 3
          }
        },
        {
          "name": "knowledge_qa",
          "extraction_target": false,
          "question_weight": 1.0,
          "keywords": {
            "what is": 1, "what are": 1, "what was": 1.5, "who is": 1.5, "who was": 2, "who were": 2, "when did": 2,
            "where is": 1.5, "why is": 1.5, "why do": 1.5, "how does": 1.5, "how do": 0.5, "explain": 1.5,
            "history": 2.5, "historical": 2, "war": 2, "empire": 2.5, "revolution": 2.5, "century": 2,
            "president": 2, "king": 1.5, "country": 1.5, "capital": 2, "geography": 2.5, "science": 2,
            "physics": 2, "chemistry": 2.5, "biology": 2.5, "cell": 1.5, "photosynthesis": 3, "immune": 2.5,
            "planet": 2, "black hole": 3, "universe": 2, "climate": 2, "economy": 2, "economics": 2.5,
            "inflation": 2, "stock market": 2, "ira": 2, "tax": 1.5, "law": 1.5, "legal": 1.5, "medical": 2,
            "symptoms": 2.5, "disease": 2.5, "vaccine": 2.5, "health": 1.5, "nutrition": 2, "recipe": 2.5,
            "cook": 1.5, "boil": 2, "trip": 2, "travel": 2, "visit": 1.5, "itinerary": 3, "difference between": 1.5,
            "definition": 2, "meaning of": 1, "pros and cons": 2, "causes": 1.5, "caused": 1.5, "invented": 2.5,
            "discovered": 2.5, "located": 2, "population": 2, "language": 0.5, "philosophy": 2.5, "religion": 2.5,
            "art": 1, "music": 1.5, "tallest": 2, "largest": 1.5, "happened": 1.5, "origin": 2, "movie": 0.5, "book": 0.5, "author": 1.5, "wrote": 1,
            "fact": 1, "facts": 1, "sky": 1, "ocean": 1, "animal": 1.5, "species": 2.5, "dna": 2, "crispr": 3,
            "quantum": 2, "nuclear": 2, "energy": 1.5, "renaissance": 3, "roman": 2, "ancient": 2, "cold war": 3,
            "which of the": 2, "question": 0.5, "answer": 0.3, "true": 0.3, "東京": 2, "どこ": 2
          }
        },
        {
          "name": "synthetic_data_generation",
          "extraction_target": true,
          "keywords": {
            "training data": 4, "training examples": 4, "training set": 3, "synthetic data": 4, "synthetic": 2,
            "dataset": 2.5, "fine-tune": 3, "fine-tuning": 3, "instruction-following": 3, "instruction tuning": 4,
            "question-answer pairs": 4, "qa pairs": 4, "answer pairs": 4,
            "come up with": 1.5, "diverse": 1.5, "diversity": 2, "new examples": 3, "similar examples": 3,
            "more examples": 2.5, "examples": 1, "example prompt": 3, "generate": 1.5, "brainstorm": 2,
            "user queries": 3, "queries": 1, "instructions": 1.5, "instruction": 1, "task description": 2.5,
            "prompt rewriter": 4, "prompt creator": 4, "given prompt": 3, "rewritten prompt": 4,
            "rewrite the prompt": 3, "more complex version": 3, "rubric": 4, "score rubric": 4, "impartial judge": 4,
            "evaluate the quality": 3, "evaluate the response": 3, "assess the quality": 3, "rate the response": 3,
            "the response": 1, "responses": 1, "grading": 2, "feedback": 1, "criteria": 1.5, "guidelines": 1.5,
            "requirements": 1, "json format": 2.5, "json object": 1.5, "multiple choice questions": 3,
            "labelled": 1.5, "labeled": 1.5, "label": 1, "annotate": 2.5, "annotation": 2.5, "persona": 2,
            "batch": 1, "samples": 1.5, "variations": 2, "paraphrase": 2.5, "paraphrases": 3,
            "example prompts": 4, "example prompt": 4, "a few examples": 2.5, "create tasks": 3, "tasks": 1,
            "help me create": 1.5, "help me generate": 2, "prompts": 2, "assess": 1.5, "assessment": 2.5,
            "evaluate": 1.5, "evaluate whether": 3, "candidate answer": 3, "outputs": 1.5, "the model": 1.5,
            "ranking": 1.5, "score": 1, "scores": 1.5, "triple": 2, "data generator": 4, "data augmentation": 4,
            "grade": 1.5, "correctness": 2, "helpfulness": 3, "honesty": 1.5, "varying": 1
          }
        },
        {
          "name": "chat_other",
          "extraction_target": false,
          "keywords": {
            "hi": 2, "hello": 2, "hey": 2, "thanks": 2, "thank you": 2, "how are you": 3, "joke": 3, "funny": 1.5,
            "feel": 1.5, "feeling": 2, "stressed": 2.5, "sad": 2.5, "lonely": 2.5, "anxious": 2.5, "advice": 1.5,
            "recommend": 1.5, "suggest": 1, "movie": 1.5, "book": 1, "name": 1, "puppy": 2, "dog": 1.5, "cat": 1.5,
            "cats": 1.5, "sleep": 1.5, "bored": 2.5, "fun fact": 2.5, "game": 1, "decide": 1.5, "should i": 1.5,
            "lol": 3, "haha": 3, "talk": 1.5, "chat": 1.5, "friend": 1.5, "love": 1, "girlfriend": 2.5,
            "boyfriend": 2.5, "date night": 2.5, "gift": 2, "party": 1, "weekend": 1.5, "tonight": 1.5, "hobby": 2,
            "roleplay": 3, "pretend": 2, "you are": 0.5, "your favorite": 2.5, "do you": 1.5, "are you": 1.5,
            "motivation": 2, "exam": 1, "job offer": 2, "let's play": 3, "play": 1,
            "you": 1, "fun": 1.5, "cheer": 2.5, "nervous": 2.5, "buddy": 2.5, "would you rather": 3, "what's up": 3
          }
        }
      ],
      "chain_of_thought_markers": [
        "step by step", "step-by-step", "chain of thought", "chain-of-thought", "show your reasoning",
        "explain your reasoning", "your reasoning", "internal reasoning", "reasoning behind", "reasoning process",
        "thought process", "think out loud", "think aloud", "think through", "think it through",
        "walk through your", "walk me through", "show your work", "show all work", "show all intermediate",
        "intermediate reasoning", "reason through", "reason carefully", "<thinking>", "let's think",
        "lay out your", "describe the reasoning", "articulate", "explain every step", "explain each step",
        "line by line", "think carefully"
      ]
    }
    """#
}
