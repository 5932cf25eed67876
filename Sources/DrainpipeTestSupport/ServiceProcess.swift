import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One of the pipeline's executables (`aggregator`, `postgres-sink`…) running as a child process of a test, so the
/// test can stop it the hard way (`SIGKILL`) or the polite way (`SIGTERM`) and start it again.
///
/// The executables come from `DRAINPIPE_TEST_BIN_PATH`, which the README's test command sets to
/// `swift build --show-bin-path`. Output goes to a log file under the temporary directory, named in failures.
package final class ServiceProcess: @unchecked Sendable {
    /// The executable is not where the test command builds it.
    package struct ExecutableNotFound: Error, CustomStringConvertible {
        package var path: String
        package var description: String {
            "no executable at \(path); run the tests through deploy/test, "
                + "which builds every product and sets DRAINPIPE_TEST_BIN_PATH"
        }
    }

    package let executable: String
    package let logFile: URL
    private let process: Process

    /// Starts `executable` with `arguments` and exactly `environment` (plus `PATH`), writing stdout and stderr to a
    /// fresh log file.
    package init(_ executable: String, arguments: [String] = [], environment: [String: String]) throws {
        let directory = try TestServers.binPath()
        let path = URL(fileURLWithPath: directory).appendingPathComponent(executable).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ExecutableNotFound(path: path)
        }
        self.executable = executable
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(executable)-\(UUID().uuidString.prefix(8)).log")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: logFile.path])
        }
        let log = try FileHandle(forWritingTo: logFile)
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var environment = environment
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    package var isRunning: Bool { process.isRunning }

    /// The process id, e.g. to read `/proc/<pid>/` (descriptors, resident memory).
    package var processIdentifier: Int32 { process.processIdentifier }

    /// Sends `signal` and waits for the exit; returns the exit status (nil when a signal ended it).
    package func stop(with signal: Int32) -> Int32? {
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : nil
    }

    /// Kills the process at once, as a crash or `kill -9` would, and waits until it is gone.
    package func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Sends `SIGTERM` and waits for the exit; returns the exit status (nil when a signal ended it).
    package func terminate() -> Int32? {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return process.terminationReason == .exit ? process.terminationStatus : nil
    }

    /// Sends `signal` (e.g. `SIGHUP`) to the running process.
    package func send(signal: Int32) {
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
    }

    /// The process's output so far, for failure messages.
    package var output: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    deinit { kill() }
}
