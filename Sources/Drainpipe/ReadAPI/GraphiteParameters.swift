import Foundation
import HTTPTypes
import Hummingbird

/// The parameters of a Graphite request: the URL's query string, then a form-encoded POST body, in order, keys
/// repeated as sent (graphite-web merges both the same way).
struct GraphiteParameters: Sendable {
    private(set) var pairs: [(name: String, value: String)]

    /// The largest form body read.
    static let maximumBodyBytes = 1 << 20

    init(pairs: [(name: String, value: String)]) {
        self.pairs = pairs
    }

    /// The parameters of `request`, reading its body when it is a form.
    /// - Throws: 413 for a body over ``maximumBodyBytes``.
    init(_ request: Request) async throws {
        var pairs = Self.decode(request.uri.query ?? "")
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if request.method == .post, contentType.hasPrefix("application/x-www-form-urlencoded") {
            var request = request
            let body = try await request.collectBody(upTo: Self.maximumBodyBytes)
            pairs += Self.decode(String(buffer: body))
        }
        self.init(pairs: pairs)
    }

    /// The first value of `name`, nil when absent or empty.
    func first(_ name: String) -> String? {
        pairs.first { $0.name == name && !$0.value.isEmpty }?.value
    }

    /// Every non-empty value of `name`, in order.
    func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name && !$0.value.isEmpty }.map(\.value)
    }

    /// Whether `name` is set to a true value (`1`, `true`, `yes`, `on`, any case).
    func flag(_ name: String) -> Bool {
        guard let value = first(name)?.lowercased() else { return false }
        return ["1", "true", "yes", "on"].contains(value)
    }

    /// `application/x-www-form-urlencoded` pairs: `+` is a space, `%XX` a byte; undecodable escapes stay as sent.
    static func decode(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (unescape(parts[0]), parts.count > 1 ? unescape(parts[1]) : "")
        }
    }
}
