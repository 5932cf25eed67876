import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The files of the dashboard at `/`: its own page, style sheet and script (SwiftPM resources of this module,
/// `Sources/Drainpipe/ReadAPI/Dashboard/`, copied next to the executables by `swift build`) and Dygraphs from
/// Debian's `libjs-dygraphs`, all read once at start-up and served from memory.
package struct DashboardAssets: Sendable {
    /// One file the dashboard serves.
    package struct File: Sendable {
        package var contentType: String
        package var bytes: [UInt8]
    }

    /// Where Debian installs Dygraphs (`apt-get install libjs-dygraphs`).
    package static let debianDygraphsDirectory = "/usr/share/javascript/dygraphs"
    /// The Debian package that provides Dygraphs.
    package static let dygraphsPackage = "libjs-dygraphs"

    /// Served path → file below the Dygraphs directory (the synchronizer is the browser build of its extra).
    static let vendorFiles: [(path: String, file: String, contentType: String)] = [
        ("/dashboard/vendor/dygraph.min.js", "dygraph.min.js", "text/javascript; charset=utf-8"),
        ("/dashboard/vendor/dygraph.min.css", "dygraph.min.css", "text/css; charset=utf-8"),
        ("/dashboard/vendor/synchronizer.js", "extras/synchronizer.js", "text/javascript; charset=utf-8"),
    ]
    /// Served path → the page's own resource.
    static let pageFiles: [(path: String, file: String, contentType: String)] = [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/dashboard/dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
        ("/dashboard/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
    ]

    /// Every file found, by served path.
    package let files: [String: File]
    /// The Dygraphs files that could not be read (full paths); when any is missing, `/` explains what to install.
    package let missingVendorFiles: [String]
    package let dygraphsDirectory: String

    /// Reads the page's files from `pageDirectory` (default: this module's resources) and Dygraphs from
    /// `dygraphsDirectory`.
    package init(pageDirectory: URL? = nil, dygraphsDirectory: String = debianDygraphsDirectory) {
        guard let pageDirectory = pageDirectory ?? Bundle.module.url(forResource: "Dashboard", withExtension: nil)
        else {
            preconditionFailure("the dashboard's resources are missing from the build (\(Bundle.module.bundlePath))")
        }
        var files: [String: File] = [:]
        for entry in Self.pageFiles {
            let url = pageDirectory.appendingPathComponent(entry.file)
            // The page's own files are part of the build: without them the build itself is broken.
            guard let data = FileManager.default.contents(atPath: url.path) else {
                preconditionFailure("the dashboard resource \(url.path) is missing from the build")
            }
            files[entry.path] = File(contentType: entry.contentType, bytes: Array(data))
        }
        var missing: [String] = []
        for entry in Self.vendorFiles {
            let path = URL(fileURLWithPath: dygraphsDirectory).appendingPathComponent(entry.file).path
            if let data = FileManager.default.contents(atPath: path) {
                files[entry.path] = File(contentType: entry.contentType, bytes: Array(data))
            } else {
                missing.append(path)
            }
        }
        self.files = files
        missingVendorFiles = missing
        self.dygraphsDirectory = dygraphsDirectory
    }

    /// The startup warning for a missing package, nil when everything is there.
    package var warning: String? {
        guard !missingVendorFiles.isEmpty else { return nil }
        return "The dashboard at / needs Debian's \(Self.dygraphsPackage) (apt-get install \(Self.dygraphsPackage)); "
            + "missing: \(missingVendorFiles.joined(separator: ", "))"
    }

    /// The page `/` shows while Dygraphs is missing.
    var missingPackagePage: String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Drainpipe: install \(Self.dygraphsPackage)</title></head>
        <body style="font-family: system-ui, sans-serif; margin: 2rem">
        <h1>The dashboard needs Debian's <code>\(Self.dygraphsPackage)</code></h1>
        <p>Install it on the machine that runs the <code>web</code> process, then restart that process:</p>
        <pre>apt-get install \(Self.dygraphsPackage)</pre>
        <p>Not found: \(missingVendorFiles.map { "<code>\($0)</code>" }.joined(separator: ", ")).</p>
        <p>The read API works without it: <code>/api/v1/series/&lt;type&gt;</code>.</p>
        </body></html>
        """
    }
}

/// `GET /` and `/dashboard/…`: the dashboard's page, its script and style sheet and Dygraphs.
///
/// The page reads only the public read API, so it shows what any client sees. A Content-Security-Policy keeps
/// every request on this server (no CDN, no web fonts).
package struct DashboardRoutes: Sendable {
    package var assets: DashboardAssets

    package init(assets: DashboardAssets) {
        self.assets = assets
    }

    static let contentSecurityPolicy =
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
        + "base-uri 'none'; frame-ancestors 'none'"

    package func register(on router: Router<BasicRequestContext>) {
        for path in DashboardAssets.pageFiles.map(\.path) + DashboardAssets.vendorFiles.map(\.path) {
            router.get(RouterPath(path)) { _, _ in try serve(path) }
        }
    }

    private func serve(_ path: String) throws -> Response {
        var headers = HTTPFields()
        headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        if path == "/", !assets.missingVendorFiles.isEmpty {
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(
                status: .serviceUnavailable, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: assets.missingPackagePage)))
        }
        guard let file = assets.files[path] else {
            throw HTTPError(.notFound, message: "\(path) is not installed; see the page at /.")
        }
        headers[.contentType] = file.contentType
        // The page may change with every release; the vendored library only with the Debian package.
        headers[.cacheControl] = path.hasPrefix("/dashboard/vendor/") ? "public, max-age=3600" : "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
