import Foundation

/// Where the crash-safety tests stop a run to kill it: `DISTILL_DETECT_TEST_PAUSE=POINT:SECONDS`
/// sleeps at POINT (`after-read`: new inputs read, nothing written; `nightly-swap`: outputs
/// staged, not yet in place; `in-commit`: outputs in place, the state transaction open;
/// `analyze-detect`, `analyze-write`, `analyze-swap`: `analyze` read its inputs, made its
/// staging directory, staged every output). Unset in normal use, when it costs one lookup.
package enum TestPause {
    static let setting: (point: String, seconds: Double)? = {
        guard let value = ProcessInfo.processInfo.environment["DISTILL_DETECT_TEST_PAUSE"] else { return nil }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let seconds = Double(parts[1]) else { return nil }
        return (String(parts[0]), seconds)
    }()

    package static func at(_ point: String) {
        if let setting, setting.point == point { Thread.sleep(forTimeInterval: setting.seconds) }
    }
}
