import DrainpipeTestSupport
import Foundation
import Testing

/// The dashboard in a real browser: `deploy/check-dashboard` drives Debian's headless chromium through
/// chromium-driver against the real `ingress` executable over a seeded Postgres, and checks the charts' own data.
///
/// The script does the work (Python's standard library speaks WebDriver in a few lines); this test runs it with
/// the servers of the test command, so `deploy/test --filter DashboardBrowser` runs it and CI fails with it.
@Suite("Dashboard in headless Chromium", .timeLimit(.minutes(4)))
struct DashboardBrowserTests {
    @Test("every chart holds the seeded points at every range and process type; markers, empty state, bad tokens")
    func browserCheck() throws {
        _ = try TestServers.binPath()
        _ = try TestServers.databaseShards()
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent(
            "check-dashboard-\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let log = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [repository.appendingPathComponent("deploy/check-dashboard").path]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try log.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        // The screenshot's path, for a person to look at.
        for line in text.split(separator: "\n") where line.hasPrefix("screenshot:") || line.hasPrefix("dashboard") {
            print(line)
        }
        #expect(process.terminationStatus == 0, "deploy/check-dashboard failed:\n\(text)")
    }
}
