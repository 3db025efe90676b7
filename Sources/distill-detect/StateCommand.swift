import ArgumentParser

struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Account state as a partitioned artefact: build it from logs, merge it; `detect` analyses it.",
        discussion: """
            The three steps of `analyze`, each able to run on its own machine: `state build` reads \
            logs (files, or lines on standard input) into N partition files by a stable hash of \
            the account id; `state merge` merges state files exactly (one partition's files from \
            several input splits, or all N partitions into the whole state); `detect` runs \
            linkage, clustering, scoring and writes the outputs of `analyze` from the state. \
            Together they write the clusters.csv and accounts.csv that `analyze` writes from the \
            same records, however the records were split. `state keys` and `state pairs` take \
            candidate generation out of `detect`: keys per account, grouped anywhere, turned into \
            the pairs `detect --candidates` verifies. spark/ runs all of it on Apache Spark.
            """,
        subcommands: [StateBuildCommand.self, StateMergeCommand.self, StateKeysCommand.self, StatePairsCommand.self]
    )
}
