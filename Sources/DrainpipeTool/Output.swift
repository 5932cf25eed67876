import Foundation

/// Writes one line to standard output at once, unbuffered, so scripts and log files see it immediately.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
