import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Drainpipe

@Suite("Dashboard routes")
struct DashboardRoutesTests {
    /// A Dygraphs directory laid out like Debian's, holding recognisable stand-ins.
    static func fakeDygraphs() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dygraphs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("extras"), withIntermediateDirectories: true)
        for (file, text) in [
            ("dygraph.min.js", "/* dygraphs */"), ("dygraph.min.css", ".dygraph {}"),
            ("extras/synchronizer.js", "/* synchronize */"),
        ] {
            try text.write(to: directory.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        return directory
    }

    static func application(dygraphs: String) -> some ApplicationProtocol {
        let router = Router()
        DashboardRoutes(assets: DashboardAssets(dygraphsDirectory: dygraphs)).register(on: router)
        return Application(router: router)
    }

    @Test("serves the page, its script and style sheet from the build and Dygraphs from the package directory")
    func servesEverything() async throws {
        let dygraphs = try Self.fakeDygraphs()
        defer { try? FileManager.default.removeItem(at: dygraphs) }
        let assets = DashboardAssets(dygraphsDirectory: dygraphs.path)
        #expect(assets.warning == nil)
        try await Self.application(dygraphs: dygraphs.path).test(.router) { client in
            for (path, type, content) in [
                ("/", "text/html", "/dashboard/dashboard.js"),
                ("/dashboard/dashboard.js", "text/javascript", "/api/v1/series/"),
                ("/dashboard/dashboard.css", "text/css", "font"),
                ("/dashboard/vendor/dygraph.min.js", "text/javascript", "/* dygraphs */"),
                ("/dashboard/vendor/dygraph.min.css", "text/css", ".dygraph {}"),
                ("/dashboard/vendor/synchronizer.js", "text/javascript", "/* synchronize */"),
            ] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.contentType]?.hasPrefix(type) == true, "\(path)")
                    #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                    #expect(String(buffer: response.body).contains(content), "\(path)")
                }
            }
            try await client.execute(uri: "/dashboard/other.js", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test("the page and its script name no host but this one: no CDN, no web font, no token in a URL")
    func staysOnThisServer() throws {
        let dygraphs = try Self.fakeDygraphs()
        defer { try? FileManager.default.removeItem(at: dygraphs) }
        let assets = DashboardAssets(dygraphsDirectory: dygraphs.path)
        for path in ["/", "/dashboard/dashboard.js", "/dashboard/dashboard.css"] {
            let text = String(decoding: try #require(assets.files[path]).bytes, as: UTF8.self)
            #expect(!text.contains("//cdn") && !text.contains("@font-face") && !text.contains("@import"), "\(path)")
            #expect(!text.contains("token="), "\(path)")
            let absolute = text.components(separatedBy: "http").dropFirst().filter {
                $0.hasPrefix("://") || $0.hasPrefix("s://")
            }
            // The only absolute URL is the drain example, whose host is this server's.
            #expect(absolute.allSatisfy { $0.hasPrefix("s://user:secret@") }, "\(path) names another host")
        }
    }

    @Test("without libjs-dygraphs, / says which package to install and the assets carry a startup warning")
    func missingPackage() async throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-dygraphs-\(UUID().uuidString)")
        let assets = DashboardAssets(dygraphsDirectory: missing.path)
        #expect(assets.missingVendorFiles.count == 3)
        #expect(assets.warning?.contains("apt-get install libjs-dygraphs") == true)
        try await Self.application(dygraphs: missing.path).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let page = String(buffer: response.body)
                #expect(page.contains("apt-get install libjs-dygraphs"))
                #expect(page.contains(missing.appendingPathComponent("dygraph.min.js").path))
            }
            try await client.execute(uri: "/dashboard/vendor/dygraph.min.js", method: .get) {
                #expect($0.status == .notFound)
            }
        }
    }
}
