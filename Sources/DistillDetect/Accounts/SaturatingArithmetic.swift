// Sums of counts from the logs (tokens, exchanges) stop at the type's maximum instead of
// trapping: a hostile line or state file must never crash a run.

extension FixedWidthInteger {
    /// `self + other`, or the nearest bound when that overflows.
    @inline(__always)
    func addingSaturating(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}

extension Sequence where Element: FixedWidthInteger {
    /// The saturating sum of the elements.
    func saturatingSum() -> Element { reduce(0) { $0.addingSaturating($1) } }
}
