// The outputs of a detection run, written one way for `analyze`, `detect` and `nightly`.
import DistillDetect
import DistillReport
import Foundation

enum RunOutputs {
    /// Writes clusters.csv, accounts.csv, candidates.csv (and their JSON with `json`),
    /// report.html, what `extra` adds (nightly's changes.csv) and summary.json into a fresh
    /// staging directory beside `directory`, then swaps it into place whole (`OutputSet`): a
    /// run that dies or fails leaves the previous set. `summary` gains the `write` stage, in
    /// seconds since `writeStarted` (`monotonicSeconds()`), before it is written.
    /// `pauses` name the `TestPause` points: once the staging directory exists, and before
    /// the swap. Throws `OutputError` / `OutputSetError` when a file cannot be written.
    static func write(
        _ detection: DetectionResult, accounts: [AccountState], topicNames: [String], to directory: String, json: Bool,
        annotations: ReportAnnotations? = nil, page: HTMLReport.Page, summary: inout RunSummary, writeStarted: Double,
        pauses: (staged: String?, swap: String), extra: @escaping @Sendable (_ staging: String) throws -> Void = { _ in }
    ) throws {
        let output = try OutputSet(directory: directory)
        if let staged = pauses.staged { TestPause.at(staged) }
        let staging = output.staging
        // The tables and the page are independent: written side by side.
        let failures = ResultSlots<UncheckedSendable<Error?>>(count: 2)
        let shared = UncheckedSendable((detection, accounts, page))
        runOnThreads(2) { part in
            let (detection, accounts, page) = shared.value
            do {
                if part == 0 {
                    try DetectionReport.write(
                        detection, accounts: accounts, topicNames: topicNames, directory: staging, json: json,
                        annotations: annotations)
                    try extra(staging)
                } else {
                    try HTMLReport.write(page, to: DetectionReport.path(staging, "report.html"))
                }
                failures.set(part, UncheckedSendable(nil))
            } catch {
                failures.set(part, UncheckedSendable(error))
            }
        }
        for part in 0..<2 { if let error = failures.take(part).value { throw error } }
        summary.stageSeconds["write"] = monotonicSeconds() - writeStarted
        try AtomicFile.write(try summary.jsonData(), to: DetectionReport.path(staging, "summary.json"))
        TestPause.at(pauses.swap)
        try output.commit()
    }
}
