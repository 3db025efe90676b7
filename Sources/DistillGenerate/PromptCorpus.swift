// The text the generator writes: benign prompts by topic, look-alike workloads and campaign
// templates. Templates use {slot} placeholders filled from `slots` (slots may nest).
import DistillDetect


enum PromptCorpus {
    static let slots: [String: [String]] = [
        "language": ["Python", "Rust", "Go", "TypeScript", "Java", "C++", "Kotlin", "Swift", "C#", "Ruby", "SQL", "Bash", "JavaScript", "Scala", "Elixir"],
        "framework": ["Django", "FastAPI", "React", "Vue", "Spring Boot", "Rails", "Express", "Next.js", "Flask", "Axum", "Gin", "SwiftUI", "pandas", "PyTorch", "Kubernetes", "Terraform"],
        "structure": ["an LRU cache", "a trie", "a ring buffer", "a priority queue", "a bloom filter", "a skip list", "an interval tree", "a union-find structure", "a rate limiter", "a consistent-hash ring", "a B-tree", "a lock-free queue", "a segment tree", "a thread pool", "an event bus"],
        "algorithm": ["Dijkstra's shortest path", "topological sort", "merge sort", "the KMP string search", "A* search", "Kruskal's MST", "the Raft leader election", "a token-bucket limiter", "binary search on the answer", "reservoir sampling", "Tarjan's SCC algorithm", "the Aho-Corasick automaton", "quickselect", "Floyd-Warshall", "a rolling hash dedup"],
        "constraint": ["It must run in O(n log n)", "Use no external crates or packages", "It must be thread-safe", "Keep memory under 64 MB for 10 million items", "Handle Unicode input correctly", "It must be fully generic", "Avoid recursion", "Support cancellation", "Make it streaming so it never loads the whole input", "Include property-based tests"],
        "error": ["TypeError: 'NoneType' object is not subscriptable", "panicked at 'index out of bounds'", "NullPointerException", "segmentation fault (core dumped)", "undefined is not a function", "borrowed value does not live long enough", "deadlock detected", "ECONNRESET", "KeyError: 'id'", "cannot find symbol", "fatal error: concurrent map writes", "ModuleNotFoundError: No module named 'src'", "CORS policy: No 'Access-Control-Allow-Origin' header"],
        "task": ["parses a CSV file and sums a column", "retries an HTTP request with exponential backoff", "merges overlapping intervals", "validates an email address", "flattens a nested dictionary", "reads a large log file line by line", "deduplicates records by key", "converts a timestamp between time zones", "paginates through an API", "computes a moving average", "debounces a function", "renames files in bulk", "diffs two JSON documents", "groups transactions by month", "caches results of an expensive call"],
        "goal": ["improve readability", "remove the global state", "make it testable", "reduce allocations", "make it async", "split it into smaller functions", "handle errors properly", "make it idiomatic"],
        "subject": ["the French Revolution", "photosynthesis", "black holes", "the stock market", "inflation", "the immune system", "plate tectonics", "the Roman Empire", "machine learning", "climate change", "the printing press", "quantum entanglement", "the Silk Road", "vaccines", "the water cycle", "supply and demand", "the Cold War", "CRISPR", "the Renaissance", "compound interest"],
        "audience": ["a five-year-old", "a high school student", "my grandmother", "a new manager", "a software engineer", "a first-year university student"],
        "doc": ["a cover letter for a junior data analyst job", "a wedding toast for my sister", "an email asking my landlord to fix the heating", "a product description for handmade candles", "a LinkedIn post about finishing my degree", "a short bedtime story about a brave turtle", "a complaint letter about a delayed flight", "a thank-you note to my team", "a blog intro about remote work", "an apology email for missing a meeting", "a birthday poem for my dad", "a resignation letter", "a tweet announcing our app launch", "a short speech for a retirement party"],
        "tone": ["friendly", "formal", "funny", "concise", "warm", "persuasive", "professional"],
        "food": ["chicken thighs", "lentils", "tofu", "salmon", "chickpeas", "leftover rice", "spinach and eggs", "sweet potatoes"],
        "place": ["Lisbon", "Kyoto", "Mexico City", "Iceland", "the Scottish Highlands", "Vietnam", "Chicago", "Cape Town", "Seoul", "Tuscany"],
        "number": ["12", "17", "24", "36", "48", "64", "75", "120", "144", "365", "1000"],
        "shape": ["a circle of radius 7", "a right triangle with legs 5 and 12", "a cylinder of height 10 and radius 3", "a regular hexagon of side 4", "a cone with slant height 13 and radius 5"],
        "repo": ["acme/payments-service", "openlab/vector-db", "example/inventory-api", "internal/billing-worker", "demo/chat-frontend", "tools/log-shipper", "core/auth-gateway", "data/etl-pipeline"],
        "tool": ["read_file", "write_file", "run_tests", "search_code", "git_diff", "run_shell", "open_pr", "list_directory", "http_get", "sql_query", "browser_click", "edit_file"],
        "agentgoal": ["fix the failing integration tests", "add pagination to the orders endpoint", "upgrade the ORM to the latest major version", "find and fix the memory leak in the worker", "add retry logic to the payment client", "migrate the config from YAML to environment variables", "implement rate limiting on the login route", "add OpenTelemetry tracing", "refactor the auth module to use dependency injection", "reduce the Docker image size"],
    ]

    /// Short code excerpts pasted into prompts; identifiers vary per use.
    static let codeSnippets: [String] = [
        "def {id}(items):\n    result = []\n    for i in range(len(items)):\n        if items[i] not in result:\n            result.append(items[i])\n    return result",
        "fn {id}(v: &Vec<i32>) -> i32 {\n    let mut best = v[0];\n    for x in v.iter() {\n        if *x > best { best = *x; }\n    }\n    best\n}",
        "func {id}(ctx context.Context, ids []string) error {\n\tfor _, id := range ids {\n\t\tgo process(ctx, id)\n\t}\n\treturn nil\n}",
        "async function {id}(url) {\n  const res = await fetch(url);\n  const data = res.json();\n  return data.items.map(x => x.id);\n}",
        "public int {id}(int[] a) {\n    int sum = 0;\n    for (int i = 0; i <= a.length; i++) sum += a[i];\n    return sum;\n}",
        "SELECT u.id, COUNT(o.id)\nFROM users u LEFT JOIN orders o ON o.user_id = u.id\nWHERE o.created_at > '2024-01-01'\nGROUP BY u.id;",
        "class {Id}:\n    def __init__(self):\n        self.cache = {}\n    def get(self, key):\n        return self.cache[key]",
        "for f in $(ls *.log); do\n  cat $f | grep ERROR >> errors.txt\ndone",
    ]

    static let identifiers = ["process", "handle", "dedupe", "merge_rows", "load", "compute", "parse_input", "run_job", "fetchAll", "maxValue", "sumAll", "transform", "worker", "update_cache", "resolve"]

    // MARK: Benign prompts by topic

    static let coding: [String] = [
        "How do I {task} in {language}?",
        "Why does this {language} code throw `{error}`?\n```\n{code}\n```",
        "can you explain what this does\n\n{code}",
        "Write a {language} function that {task}.",
        "What's the difference between {framework} and {framework2}?",
        "I'm getting {error} when I run my {framework} app, any idea what's wrong?",
        "Review this code and tell me what could be improved:\n```\n{code}\n```",
        "how to {task} {language}",
        "Convert this to {language}:\n{code}",
        "What is the idiomatic way to implement {structure} in {language}?",
        "Refactor this to {goal}:\n```\n{code}\n```",
        "Write unit tests for this function\n{code}",
        "Is {algorithm} the right choice for scheduling jobs with dependencies? Our team uses {language}.",
        "My {framework} build is slow, where should I start looking?",
        "regex to match a {language} function definition",
        "Explain big-O of {algorithm} like I'm new to this",
    ]

    static let agentic: [String] = [
        "I have a folder of invoices as PDFs. Give me a script that extracts totals and writes them to a spreadsheet.",
        "Plan the steps to {agentgoal} in our {framework} project. We use GitHub Actions.",
        "You can use the tools {tool} and {tool2}. Find why the nightly job failed and suggest a fix.",
        "Automate this for me: every Monday, pull last week's sales from our API and email a summary to the team.",
        "Write a shell script that backs up my home directory to an external drive and keeps 7 versions.",
        "Set up a GitHub Action that runs tests on every pull request for a {language} repo.",
        "What tools would an agent need to book a meeting room and send invites? Sketch the function schemas.",
    ]

    static let reasoning: [String] = [
        "What is the area of {shape}?",
        "If I invest $5,000 at 4.5% compounded monthly, how much will I have after {number} years?",
        "Solve for x: 3x + {number} = 2x - 7",
        "A train leaves at 3pm going 60 mph and another at 4pm going 80 mph. When does the second catch up?",
        "Is {number} a prime number? How can I check quickly?",
        "What's the probability of getting at least two heads in five coin flips?",
        "Help me understand the Monty Hall problem, it still doesn't make sense to me",
        "How many ways can {number} people be seated around a round table?",
        "Prove that the square root of 2 is irrational",
        "Derivative of x^3 * sin(x)?",
        "If a recipe for 4 people needs 300g flour, how much for {number} people?",
        "What is {number} percent of 2,480?",
    ]

    static let writing: [String] = [
        "Write {doc}. Keep it {tone}.",
        "Can you help me write {doc}?",
        "Make this sound more {tone}: \"Hi, I wanted to follow up on the invoice from last month, it's still not paid.\"",
        "Proofread this paragraph: Their going to the meeting tomorow but they dont know the agenda yet, can you send it.",
        "Give me five title ideas for a blog post about {subject}",
        "Write a short poem about {place} in autumn",
        "Summarize this in two sentences: The quarterly results showed revenue up 12% year over year, driven mostly by the new subscription tier, while costs rose 8% due to hiring.",
        "Rewrite {doc2} as {tone} bullet points",
        "Translate to Spanish: Thank you for your patience, we will ship your order on Monday.",
        "Écris un court message pour remercier mon équipe après le lancement du projet.",
    ]

    static let knowledge: [String] = [
        "Explain {subject} to {audience}.",
        "What caused {subject}?",
        "Give me a quick summary of {subject}",
        "What are the pros and cons of nuclear energy?",
        "Plan a 5-day trip to {place} on a mid-range budget",
        "What should I see in {place} if I only have one day?",
        "What's the difference between a Roth IRA and a traditional IRA?",
        "How does {subject} actually work?",
        "Why is the sky blue?",
        "Who were the main figures of {subject}?",
        "東京で一日だけ過ごすなら、どこに行くべきですか？",
        "What's a good recipe with {food}?",
        "How long should I boil {food}?",
    ]

    static let chat: [String] = [
        "hi",
        "hey, how are you?",
        "I'm feeling stressed about my exams, any advice?",
        "tell me a joke about cats",
        "Can you recommend a book like Project Hail Mary?",
        "what should I name my new puppy? she's a golden retriever",
        "I can't sleep. talk to me about something calm",
        "give me a fun fact",
        "What movie should I watch tonight? I like sci-fi",
        "help me decide between two job offers",
        "lol that's great 😂 tell me another one",
    ]

    static let followUps: [String] = [
        "thanks!", "shorter please", "can you give an example?", "why?", "make it more formal",
        "that didn't work, I still get the same error", "can you explain the second step?", "ok and in {language}?",
        "perfect, thank you", "what about edge cases?", "can you add comments", "explain like I'm five",
        "now make it faster", "translate that to German", "hmm are you sure?", "continue",
    ]

    /// Phrases habitual step-by-step askers add; innocent carriers of the CoT signal.
    static let stepByStepSuffixes: [String] = [
        " Please explain step by step.", " Walk me through it step by step.", " Show your reasoning.",
        " Can you think it through step by step?", " Explain your thought process.",
    ]

    /// Asked verbatim by many unrelated users.
    static let viralPrompts: [String] = [
        "What is the meaning of life?",
        "Write a haiku about the ocean.",
        "Explain quantum computing in simple terms.",
        "What's the difference between a list and a tuple in Python?",
        "How many r's are in the word strawberry?",
        "Give me 10 creative date night ideas.",
        "Write a cover letter for a software engineer position.",
        "What are the best productivity tips for working from home?",
        "Explain how ChatGPT works in simple terms.",
        "Create a weekly meal plan for weight loss.",
        "What is 9.11 minus 9.9?",
        "Tell me a fun fact about octopuses.",
        "Summarize the plot of Inception.",
        "Write a Python script to rename all files in a folder.",
        "What's the capital of Australia?",
        "How do I center a div in CSS?",
        "Write a limerick about a programmer.",
        "What should I learn first, Python or JavaScript?",
    ]

    /// Homework questions a class pastes verbatim.
    static let homework: [String] = [
        "Problem 3.2: A 2 kg block slides down a frictionless incline of 30 degrees from a height of 5 m. Find its speed at the bottom and the time taken. Show all work.",
        "Write a Java program that reads integers until -1 is entered and prints the average, the maximum and the minimum. Use a while loop.",
        "Discuss the causes of World War I with reference to militarism, alliances, imperialism and nationalism (500 words).",
        "Given the relation R(A,B,C,D) with FDs A->B, B->C, C->D, find the candidate keys and normalize R to BCNF.",
        "Prove by induction that 1 + 2 + ... + n = n(n+1)/2 for all positive integers n.",
        "Implement binary search in C and analyse its worst-case time complexity.",
    ]

    // MARK: Look-alike workloads

    static let integrationTemplates: [String] = [
        "Summarize the following customer support ticket in two sentences and tag its urgency as low, medium or high.\n\nTicket #{ticketno}: {ticket}",
        "Extract the invoice number, total amount and due date from this text and return JSON with keys invoice_number, total, due_date.\n\n{invoice}",
        "Classify the sentiment of this product review as positive, neutral or negative. Reply with one word.\n\nReview: {review}",
    ]

    /// One organisation's scheduled nightly job (the cron-fleet look-alike): the same report
    /// request from each of its accounts, with that night's figures.
    static let nightlyReportTemplates: [String] = [
        "Write the overnight operations report for warehouse {warehouse}. Orders shipped: {shipped}. Orders delayed: {delayed}. Returns received: {returns}. Keep it under 120 words and end with one recommendation.",
        "Draft tomorrow's inventory note for warehouse {warehouse}: {shipped} units left the dock, {returns} came back and {delayed} are waiting on a carrier. Plain text, no headings.",
    ]

    static let tickets = [
        "My order arrived damaged and the box was open.", "I was charged twice for the same subscription.",
        "The app crashes when I upload a photo.", "How do I change the email on my account?",
        "Delivery is three days late and tracking has not updated.", "I want to cancel and get a refund.",
        "The discount code SPRING20 does not work at checkout.", "I cannot log in after resetting my password.",
    ]

    static let reviews = [
        "Battery lasts forever, very happy.", "Stopped working after two weeks.", "It's fine, does what it says.",
        "Terrible customer service, never again.", "Great value for the price!", "The color is different from the photo.",
        "Arrived on time and works well.", "Too loud for a small apartment.",
    ]

    /// A public coding benchmark an organisation runs (HumanEval-style).
    static let benchmarkFunctions: [(name: String, args: String, doc: String)] = [
        ("has_close_elements", "numbers: List[float], threshold: float", "Check if in given list of numbers, are any two numbers closer to each other than given threshold."),
        ("separate_paren_groups", "paren_string: str", "Separate groups of nested parentheses into separate strings and return the list of those."),
        ("truncate_number", "number: float", "Given a positive floating point number, return its decimal part."),
        ("below_zero", "operations: List[int]", "Detect if at any point the balance of a bank account falls below zero."),
        ("mean_absolute_deviation", "numbers: List[float]", "Calculate Mean Absolute Deviation around the mean of this dataset."),
        ("intersperse", "numbers: List[int], delimeter: int", "Insert a number 'delimeter' between every two consecutive elements of input list."),
        ("parse_nested_parens", "paren_string: str", "For each group of nested parentheses output the deepest level of nesting."),
        ("filter_by_substring", "strings: List[str], substring: str", "Filter an input list of strings only for ones that contain given substring."),
        ("sum_product", "numbers: List[int]", "Return a tuple consisting of a sum and a product of all the integers in a list."),
        ("rolling_max", "numbers: List[int]", "Generate a list of rolling maximum element found until given moment in the sequence."),
        ("make_palindrome", "string: str", "Find the shortest palindrome that begins with a supplied string."),
        ("string_xor", "a: str, b: str", "Perform binary XOR on two strings of 1s and 0s and return the result as a string."),
        ("longest", "strings: List[str]", "Return the longest string, or the first one in case of ties; None for an empty list."),
        ("greatest_common_divisor", "a: int, b: int", "Return a greatest common divisor of two integers a and b."),
        ("all_prefixes", "string: str", "Return list of all prefixes from shortest to longest of the input string."),
        ("count_distinct_characters", "string: str", "Find out how many distinct characters, regardless of case, the string consists of."),
    ]

    // MARK: Campaign templates

    /// Software-engineering extraction, identical wording (basic campaigns).
    static let campaignSE: [String] = [
        "You are an expert {language} engineer. Implement {structure} in {language}. {constraint}. Before writing any code, articulate the internal reasoning behind your design step by step, then give the complete implementation and tests.",
        "Solve the following task in {language}: write a function that {task}. {constraint}. Think step by step and show your full chain of thought before the final answer.",
        "Debug the following {language} code which fails with `{error}`. Explain your reasoning line by line, then provide the corrected code.\n```\n{code}\n```",
        "Implement {algorithm} in {language}. {constraint}. Explain every step of your reasoning in detail, including alternatives you rejected, then give the final code.",
        "Refactor this code to {goal}. Describe your internal reasoning for each change step by step before showing the result.\n```\n{code}\n```",
    ]

    /// Paraphrase sets for careful campaigns: one sentence chosen from each group, in order.
    static let campaignParaphrased: [[[String]]] = [
        [
            ["You are a senior {language} developer.", "Act as an experienced {language} programmer.", "Imagine you are a staff engineer who writes {language}.", "As a {language} expert,", ""],
            ["Write {structure} in {language}.", "I need an implementation of {structure} using {language}.", "Please build {structure} ({language}).", "Could you code up {structure} in {language}?"],
            ["{constraint}.", "Requirement: {constraint}.", "Note: {constraint}.", ""],
            ["Reason through the design step by step before coding.", "Walk through your thinking in detail first, then write the code.", "Lay out your full reasoning process, then the final solution.", "Explain the internal reasoning behind each decision, then implement it.", "Think carefully and show all intermediate reasoning steps."],
        ],
        [
            ["Here is a problem.", "Task:", "Quick one:", "Next exercise.", ""],
            ["Write a {language} function that {task}.", "Implement something in {language} that {task}.", "I want {language} code that {task}.", "Produce a {language} routine which {task}."],
            ["Consider edge cases and complexity.", "Mind the edge cases.", "Also discuss time and space complexity.", ""],
            ["Show your chain of thought before answering.", "Think out loud step by step, then give the final answer.", "Explain your reasoning at every step.", "Describe the reasoning you follow, step by step, before the code."],
        ],
        [
            ["This {language} snippet fails with `{error}`.", "I get `{error}` from the following {language} code.", "Why would this produce `{error}`?"],
            ["```\n{code}\n```", "\n{code}\n"],
            ["Diagnose it step by step and explain your reasoning, then fix it.", "Walk through the execution line by line and articulate what goes wrong, then give a corrected version.", "Reason carefully about the root cause before proposing the patch."],
        ],
    ]

    /// Agentic tool-use extraction: a system prompt with tools and a task.
    static let agenticSystem: [String] = [
        "You are an autonomous coding agent operating in a sandboxed repository. Available tools: {tools}. For every step, first write your reasoning in a <thinking> block, then emit exactly one tool call as JSON.",
        "You are a software engineering agent with tool access ({tools}). Think step by step about the plan, explain the reasoning behind each tool call, and output tool calls in JSON.",
    ]

    static let agenticTask: [String] = [
        "Repository: {repo}. Goal: {agentgoal}. Plan all the steps, explain why each tool call is needed, then issue the first call.",
        "Goal: {agentgoal} in {repo}. Start by exploring the codebase. Articulate your internal reasoning before each action.",
        "In {repo}, {agentgoal}. Produce the complete trajectory: thoughts, tool calls and expected observations, step by step.",
        "The last tool call `{tool}` returned an error: {error}. Reason about what went wrong and decide the next tool call for the goal: {agentgoal}.",
    ]
}
