// User agents of web browsers are no shared identity. People at one site (an office, a campus
// lab) use the site's browser, often one managed build nobody else sends, and a group of them
// concentrated on it says where they sit, which their shared networks already say. Programmatic
// clients (SDKs, HTTP libraries, tools) stay identifiers: many accounts driven by one client
// build are what an operator's scripts leave behind.

enum BrowserAgents {
    /// The hashes (as `AccountState.userAgents` holds them) of the run's user agents that are
    /// web browsers: their text begins with `Mozilla/`, the compatibility token every major
    /// browser sends first (MDN, "User-Agent" header; RFC 9110 §10.1.5 for the header). A user
    /// agent's text is kept with each account's two smallest hashes (`LabelledSet`), so one
    /// whose text no account keeps is taken for a client. O(accounts).
    static func hashes(_ accounts: [AccountState]) -> Set<UInt64> {
        var browsers = Set<UInt64>()
        for i in accounts.indices {
            let agents = accounts[i].userAgents
            for (h, label) in zip(agents.values.hashes, agents.labels) where label.hasPrefix("Mozilla/") { browsers.insert(h) }
        }
        return browsers
    }
}
