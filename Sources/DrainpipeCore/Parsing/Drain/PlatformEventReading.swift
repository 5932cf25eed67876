/// The event of one platform event line (docs/events.md): an `api` line about the whole app, or a dyno manager line
/// about one dyno.
///
/// App-wide (`app api` or `heroku api`; the actor after `by` is not kept):
/// `Deploy 4f2a1c7 by …`, `Release v42 created by …`, `Rollback to v41 by …`, `Scale to web=3, worker=1 by …`,
/// `Set FOO, BAR config vars by …`, `Remove FOO config vars by …`, `Attach DATABASE (@ref:…) by …`,
/// `Detach DATABASE by …`.
///
/// Per dyno (`heroku web.1`): `State changed from starting to up`, `Starting process with command …`,
/// `Stopping all processes with SIGTERM`, `Process exited with status 143`, `Restarting`, `Cycling`, and the R-codes
/// (`Error R14 (Memory quota exceeded)`).
///
/// A line is read whole or rejected: a line that starts like an event but does not follow its shape throws, and
/// nothing of it is kept. The caller has checked that the message is UTF-8 and shorter than the line limit.
struct PlatformEventReading {
    var processType: String
    var detail: PlatformEventDetail

    /// Reads an `api` line.
    /// - Throws: `.malformedEvent` for words out of shape, `.badToken` for a bad commit, version, config var name,
    ///   add-on name or a control character, `.badNumber` for a bad dyno count.
    init(apiLine bytes: [UInt8], message: Range<Int>) throws(LineRejectionReason) {
        let text = try Self.text(bytes, message)
        processType = PlatformEvent.appWideProcessType
        detail = try Self.appWideDetail(text)
    }

    /// Reads a dyno manager line of the dyno `processID`.
    /// - Throws: `.malformedEvent` for words out of shape, `.badToken` for a bad state, signal or code or a control
    ///   character, `.badNumber` for a bad exit status, `.invalidSource` for a bad dyno name.
    init(dynoLine bytes: [UInt8], processID: Range<Int>, message: Range<Int>) throws(LineRejectionReason) {
        let text = try Self.text(bytes, message)
        processType = try ProcessType.named(bytes, in: processID)
        let dyno = String(decoding: bytes[processID], as: UTF8.self)
        let (kind, eventText) = try Self.dynoEvent(text)
        detail = PlatformEventDetail(kind: kind, dyno: dyno, text: Self.shortened(eventText))
    }

    /// Whether the message of an `api` line starts like an app-wide event (its first word is one of the verbs).
    static func isAppWideEvent(_ bytes: [UInt8], message: Range<Int>) -> Bool {
        Literal.apiVerbs.contains { ASCIIBytes.bytes(bytes, in: message, startWith: $0) }
    }

    /// Whether the message of a dyno manager line starts like a dyno event (R-codes are classified separately).
    static func isDynoEvent(_ bytes: [UInt8], message: Range<Int>) -> Bool {
        Literal.dynoPrefixes.contains { ASCIIBytes.bytes(bytes, in: message, startWith: $0) }
    }

    /// The event of an `Error Rxx (Name)[ -> detail]` line whose code is valid: the code and its name, without the
    /// detail.
    static func errorDetail(
        _ bytes: [UInt8], processID: Range<Int>, message: Range<Int>
    ) throws(LineRejectionReason) -> PlatformEventDetail {
        var text = try Self.text(bytes, message).dropFirst("Error ".count)
        if let arrow = text.firstRange(of: " -> ") { text = text[..<arrow.lowerBound] }
        return PlatformEventDetail(
            kind: .error, dyno: String(decoding: bytes[processID], as: UTF8.self), text: shortened(String(text)))
    }

    // MARK: - App-wide events

    private static func appWideDetail(_ text: String) throws(LineRejectionReason) -> PlatformEventDetail {
        // Every app-wide line ends with `by <actor>`; the actor is a person's address, so it is dropped.
        let allWords = text.split(separator: " ", omittingEmptySubsequences: false)
        guard let by = allWords.lastIndex(of: "by"), by > 0, by == allWords.count - 2, !allWords[by + 1].isEmpty
        else { throw .malformedEvent }
        let words = allWords[..<by]
        func event(_ kind: PlatformEventKind, _ text: String) -> PlatformEventDetail {
            PlatformEventDetail(kind: kind, dyno: "", text: shortened(text))
        }
        switch words[0] {
        case "Deploy":
            guard words.count == 2 else { throw .malformedEvent }
            let commit = words[1]
            guard (7...40).contains(commit.utf8.count), commit.utf8.allSatisfy(isLowerHexDigit) else {
                throw .badToken
            }
            return event(.deploy, String(commit))
        case "Release":
            guard words.count == 3, words[2] == "created" else { throw .malformedEvent }
            return event(.release, try version(words[1]))
        case "Rollback":
            guard words.count == 3, words[1] == "to" else { throw .malformedEvent }
            return event(.release, try version(words[2]) + " (rollback)")
        case "Scale":
            guard words.count >= 3, words[1] == "to" else { throw .malformedEvent }
            let formation = words[2...].joined(separator: " ")
            try checkFormation(formation)
            return event(.scale, formation)
        case "Set", "Remove":
            guard words.count >= 4, words[words.count - 1] == "vars" || words[words.count - 1] == "var",
                words[words.count - 2] == "config"
            else { throw .malformedEvent }
            let names = words[1..<(words.count - 2)].joined(separator: " ")
            try checkConfigNames(names)
            return event(.config, (words[0] == "Set" ? "set " : "remove ") + names)
        case "Attach", "Detach":
            guard words.count >= 2 else { throw .malformedEvent }
            let name = words[1]
            guard !name.isEmpty, name.utf8.allSatisfy(isConfigNameByte) else { throw .badToken }
            let reference = words[2...].joined(separator: " ")
            guard reference.isEmpty || (reference.hasPrefix("(") && reference.hasSuffix(")") && reference.count > 2)
            else { throw .malformedEvent }
            let verb = words[0] == "Attach" ? "attach " : "detach "
            return event(.addon, verb + name + (reference.isEmpty ? "" : " " + reference))
        default:
            throw .malformedEvent
        }
    }

    /// `v` and 1–9 digits.
    private static func version(_ word: Substring) throws(LineRejectionReason) -> String {
        let digits = word.utf8.dropFirst()
        guard word.hasPrefix("v"), (1...9).contains(digits.count), digits.allSatisfy(ASCIIBytes.isDigit) else {
            throw .badToken
        }
        return String(word)
    }

    /// `web=3, worker=1` or `web=3:Standard-1X, worker=1:Performance-M`: process type, `=`, a count of 1–5 digits,
    /// an optional `:` and dyno size.
    private static func checkFormation(_ formation: String) throws(LineRejectionReason) {
        for entry in formation.split(separator: ", ", omittingEmptySubsequences: false) {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.allSatisfy(ASCIIBytes.isProcessTypeByte) else {
                throw .malformedEvent
            }
            let sized = parts[1].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let count = sized[0]
            guard (1...5).contains(count.utf8.count), count.utf8.allSatisfy(ASCIIBytes.isDigit) else {
                throw .badNumber
            }
            if sized.count == 2 {
                guard !sized[1].isEmpty, sized[1].utf8.allSatisfy(ASCIIBytes.isProcessTypeByte) else {
                    throw .badToken
                }
            }
        }
    }

    /// `FOO` or `FOO, BAR_2`: config var names, letters, digits and `_`.
    private static func checkConfigNames(_ names: String) throws(LineRejectionReason) {
        for name in names.split(separator: ", ", omittingEmptySubsequences: false) {
            guard !name.isEmpty, name.utf8.allSatisfy(isConfigNameByte) else { throw .badToken }
        }
    }

    // MARK: - Dyno events

    private static func dynoEvent(_ text: String) throws(LineRejectionReason) -> (PlatformEventKind, String) {
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        if text == "Restarting" { return (.restart, "") }
        if text == "Cycling" { return (.cycle, "") }
        if text.hasPrefix("State changed ") {
            guard words.count == 6, words[2] == "from", words[4] == "to" else { throw .malformedEvent }
            let states = [words[3], words[5]]
            guard states.allSatisfy({ (1...20).contains($0.utf8.count) && $0.utf8.allSatisfy(isLowerLetter) }) else {
                throw .badToken
            }
            return (.state, "\(words[3]) -> \(words[5])")
        }
        if text.hasPrefix("Starting process ") {
            let prefix = "Starting process with command "
            guard text.hasPrefix(prefix) else { throw .malformedEvent }
            var command = text.dropFirst(prefix.count)
            if command.count >= 2, command.hasPrefix("`"), command.hasSuffix("`") {
                command = command.dropFirst().dropLast()
            }
            guard !command.isEmpty else { throw .malformedEvent }
            return (.start, String(command))
        }
        if text.hasPrefix("Stopping ") {
            let signal: Substring
            switch words.count {
            case 5 where words[1] == "all" && words[2] == "processes" && words[3] == "with": signal = words[4]
            case 4 where words[1] == "process" && words[2] == "with": signal = words[3]
            default: throw .malformedEvent
            }
            guard signal.hasPrefix("SIG"), signal.utf8.count > 3, signal.utf8.count <= 10,
                signal.utf8.dropFirst(3).allSatisfy(isUpperLetter)
            else { throw .badToken }
            return (.stop, String(signal))
        }
        if text.hasPrefix("Process exited ") {
            guard words.count == 5, words[2] == "with", words[3] == "status" else { throw .malformedEvent }
            guard (1...3).contains(words[4].utf8.count), words[4].utf8.allSatisfy(ASCIIBytes.isDigit),
                let status = Int(words[4]), status <= 255
            else { throw .badNumber }
            return (.exit, "status \(status)")
        }
        // "Restarting …" or "Cycling …" with words after: the prefix matched but the line is not an event's shape.
        throw .malformedEvent
    }

    // MARK: - Text

    /// The message as text.
    /// - Throws: `.badToken` when it holds a control character, which no platform line carries.
    private static func text(_ bytes: [UInt8], _ message: Range<Int>) throws(LineRejectionReason) -> String {
        guard !bytes[message].contains(where: { $0 < ASCIIBytes.space || $0 == 0x7F }) else { throw .badToken }
        return String(decoding: bytes[message], as: UTF8.self)
    }

    /// `text` cut to at most `PlatformEvent.textLimit` UTF-8 bytes, on a character boundary.
    static func shortened(_ text: String) -> String {
        guard text.utf8.count > PlatformEvent.textLimit else { return text }
        var result = ""
        var byteCount = 0
        for character in text {
            byteCount += character.utf8.count
            guard byteCount <= PlatformEvent.textLimit else { break }
            result.append(character)
        }
        return result
    }

    private static func isLowerHexDigit(_ byte: UInt8) -> Bool {
        ASCIIBytes.isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func isLowerLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) }

    private static func isUpperLetter(_ byte: UInt8) -> Bool { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) }

    private static func isConfigNameByte(_ byte: UInt8) -> Bool {
        ASCIIBytes.isLetter(byte) || ASCIIBytes.isDigit(byte) || byte == ASCIIBytes.underscore
    }

    enum Literal {
        static let apiVerbs = ["Deploy ", "Release ", "Rollback ", "Scale ", "Set ", "Remove ", "Attach ", "Detach "]
            .map { Array($0.utf8) }
        static let dynoPrefixes = [
            "State changed", "Starting process", "Stopping ", "Process exited", "Restarting", "Cycling",
        ].map { Array($0.utf8) }
    }
}
