/// A metric-name pattern of a tenant's allow or deny list: literal bytes where `*` stands for any run of bytes
/// (dots included), e.g. `prod.*.checkout.*`, `*.debug.*`, `load_avg`.
package struct MetricPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written in the tenants file.
    package let text: String
    /// The literal pieces between the `*`s; the first must start the name and the last end it.
    private let pieces: [[UInt8]]

    /// A pattern from its text; nil when it is empty.
    package init?(_ text: String) {
        guard !text.isEmpty else { return nil }
        self.text = text
        pieces = text.utf8.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false).map(Array.init)
    }

    package var description: String { text }

    /// Whether `name` matches the whole pattern.
    package func matches(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { matches(Array($0)) }
    }

    private func matches(_ name: [UInt8]) -> Bool {
        guard pieces.count > 1 else { return name == pieces[0] }
        guard let first = pieces.first, let last = pieces.last, name.count >= first.count + last.count,
            name.starts(with: first), name.suffix(last.count).elementsEqual(last)
        else { return false }
        var position = first.count
        let end = name.count - last.count
        for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
            guard let found = Self.firstIndex(of: piece, in: name, from: position, before: end) else { return false }
            position = found + piece.count
        }
        return true
    }

    private static func firstIndex(of piece: [UInt8], in name: [UInt8], from start: Int, before end: Int) -> Int? {
        var candidate = start
        while candidate + piece.count <= end {
            if name[candidate..<(candidate + piece.count)].elementsEqual(piece) { return candidate }
            candidate += 1
        }
        return nil
    }
}
