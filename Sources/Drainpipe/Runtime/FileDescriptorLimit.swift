#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The process's open-file limit (`RLIMIT_NOFILE`).
package enum FileDescriptorLimit {
    /// The soft and hard limits, after raising.
    package struct Limits: Sendable, Equatable {
        package var soft: Int
        package var hard: Int
    }

    /// Raises the soft limit to the hard one (capped at 1 048 576, which an unlimited hard limit would exceed) and
    /// returns both; nil when the limits cannot be read.
    package static func raiseSoftLimitToHard() -> Limits? {
        var limits = rlimit()
        guard getrlimit(resourceNumber, &limits) == 0 else { return nil }
        let target = min(limits.rlim_max, rlim_t(1_048_576))
        if limits.rlim_cur < target {
            var raised = limits
            raised.rlim_cur = target
            if setrlimit(resourceNumber, &raised) == 0 { limits = raised }
        }
        return Limits(soft: Int(clamping: limits.rlim_cur), hard: Int(clamping: limits.rlim_max))
    }

    #if canImport(Glibc)
        private static let resourceNumber = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let resourceNumber = RLIMIT_NOFILE
    #endif
}
