import ArgumentParser
import DistillDetect
import DistillPipeline
import DistillReport

@main
struct DistillDetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill-detect",
        abstract: "Find coordinated distillation campaigns in LLM API access logs.",
        discussion: """
            Reads API access logs, plain or gzip (several gzip members allowed): JSON Lines, JSON \
            arrays and {"data"|"records"|"items"|...: [...]} wrappers, pretty-printed or joined JSON values, \
            CloudWatch Logs envelopes and exports, OpenTelemetry OTLP/JSON exports; --preset NAME \
            reads the shapes of LiteLLM, Bedrock, CloudWatch, the Anthropic and OpenAI APIs, \
            OpenTelemetry GenAI, Cloudflare, Azure OpenAI, nginx and Langfuse. See README.md for the \
            input contract.

            Exit codes: 0 success; 1 failure (no input could be read, output not writable); \
            2 outputs written but incomplete (the rejected-line share was above --max-reject-rate, \
            or an input was not read in full: see input_problems in summary.json); 3 (nightly) \
            --fail-on matched; 64 usage error.
            """,
        version: DistillDetectVersion.current,
        subcommands: [AnalyzeCommand.self, NightlyCommand.self, CheckCommand.self, FeaturesCommand.self, StateCommand.self, DetectCommand.self, GenerateCommand.self, EvaluateCommand.self]
    )
}
