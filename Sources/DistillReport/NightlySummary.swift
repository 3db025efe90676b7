import Foundation

/// What summary.json says about the nightly side of a run.
public struct NightlySummary: Codable, Sendable {
    public struct SkippedInput: Codable, Sendable, Equatable {
        public var file: String
        public var reason: String

        public init(file: String, reason: String) {
            self.file = file
            self.reason = reason
        }
    }

    public var state: String
    public var run: Int
    /// True when every input had been read before: the state is left as it was.
    public var replay: Bool
    public var asOf: String?
    public var windowDays: Int
    public var windowStart: String?
    public var inputsRead: Int
    public var inputsSkipped: [SkippedInput]
    /// New inputs read only in part (a gzip member cut short, an inflate or read error part-way):
    /// their records are left out of the stored days and the input is not remembered, so the
    /// next night reads it again, whole once it is complete, with nothing counted twice.
    public var inputsLeftOut: [SkippedInput] = []
    /// Records those inputs gave before their cut: reported, not stored.
    public var recordsLeftOut = 0
    public var daysExpired: [String]
    public var recordsBeforeWindow: Int
    /// Records dated after tomorrow by this machine's clock: not stored.
    public var recordsAfterTomorrow: Int
    public var accountsInWindow: Int
    public var changes: [String: Int]
    public var failOn: String
    public var alert: Bool

    public init(
        state: String, run: Int, replay: Bool, asOf: String?, windowDays: Int, windowStart: String?,
        inputsRead: Int, inputsSkipped: [SkippedInput], daysExpired: [String], recordsBeforeWindow: Int,
        recordsAfterTomorrow: Int, accountsInWindow: Int, changes: [String: Int], failOn: String, alert: Bool
    ) {
        self.state = state
        self.run = run
        self.replay = replay
        self.asOf = asOf
        self.windowDays = windowDays
        self.windowStart = windowStart
        self.inputsRead = inputsRead
        self.inputsSkipped = inputsSkipped
        self.daysExpired = daysExpired
        self.recordsBeforeWindow = recordsBeforeWindow
        self.recordsAfterTomorrow = recordsAfterTomorrow
        self.accountsInWindow = accountsInWindow
        self.changes = changes
        self.failOn = failOn
        self.alert = alert
    }

    enum CodingKeys: String, CodingKey {
        case state, run, replay, changes, alert
        case asOf = "as_of"
        case windowDays = "window_days"
        case windowStart = "window_start"
        case inputsRead = "inputs_read"
        case inputsSkipped = "inputs_skipped"
        case inputsLeftOut = "inputs_left_out"
        case recordsLeftOut = "records_left_out"
        case daysExpired = "days_expired"
        case recordsBeforeWindow = "records_before_window"
        case recordsAfterTomorrow = "records_after_tomorrow"
        case accountsInWindow = "accounts_in_window"
        case failOn = "fail_on"
    }
}
