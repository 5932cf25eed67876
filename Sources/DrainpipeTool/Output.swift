import Foundation

/// Writes one line to standard output at once, unbuffered, so scripts and log files see it immediately.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Writes one line of progress to standard error, so long benchmarks show where they are without mixing into their
/// figures on standard output.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
