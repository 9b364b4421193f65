import Foundation

/// The fields of a JSON-lines or logfmt entry that the analysis needs.
struct StructuredLine {
    var message: String
    var level: Severity?
    var time: Int64?
    var source: String?
    /// Names from `resource.labels` and similar: services, containers.
    var services: [String] = []
}

/// A small JSON reader for log lines: objects, arrays, strings, numbers, literals.
enum MiniJSON {
    indirect enum Node {
        case object([(String, Node)])
        case array([Node])
        case string(String)
        case number(Double)
        case bool(Bool)
        case null

        subscript(key: String) -> Node? {
            if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
            return nil
        }

        var string: String? {
            switch self {
            case .string(let text): return text
            case .number(let number): return number == number.rounded() ? String(Int64(number)) : String(number)
            default: return nil
            }
        }
    }

    /// Deeper nesting is not a log entry: such a line is read as plain text, and the recursive
    /// descent stays far from the end of the stack (`{"a":[[[[…` 40 KB deep crashed it).
    static let maxDepth = 64

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Node? {
        var index = 0
        guard let node = value(bytes, &index, depth: 0) else { return nil }
        skip(bytes, &index)
        return index == bytes.count ? node : nil
    }

    private static func skip(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D || b[i] == 0x0A { i += 1 }
    }

    private static func value(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, depth: Int) -> Node? {
        skip(b, &i)
        guard i < b.count, depth < maxDepth || (b[i] != 0x7B && b[i] != 0x5B) else { return nil }
        switch b[i] {
        case 0x7B:
            i += 1
            var fields: [(String, Node)] = []
            skip(b, &i)
            if i < b.count, b[i] == 0x7D {
                i += 1
                return .object(fields)
            }
            while true {
                skip(b, &i)
                guard i < b.count, b[i] == 0x22, let key = string(b, &i) else { return nil }
                skip(b, &i)
                guard i < b.count, b[i] == 0x3A else { return nil }
                i += 1
                guard let item = value(b, &i, depth: depth + 1) else { return nil }
                fields.append((key, item))
                skip(b, &i)
                guard i < b.count else { return nil }
                if b[i] == 0x2C {
                    i += 1
                    continue
                }
                guard b[i] == 0x7D else { return nil }
                i += 1
                return .object(fields)
            }
        case 0x5B:
            i += 1
            var items: [Node] = []
            skip(b, &i)
            if i < b.count, b[i] == 0x5D {
                i += 1
                return .array(items)
            }
            while true {
                guard let item = value(b, &i, depth: depth + 1) else { return nil }
                items.append(item)
                skip(b, &i)
                guard i < b.count else { return nil }
                if b[i] == 0x2C {
                    i += 1
                    continue
                }
                guard b[i] == 0x5D else { return nil }
                i += 1
                return .array(items)
            }
        case 0x22:
            return string(b, &i).map(Node.string)
        case 0x74 where literal(b, &i, "true"): return .bool(true)
        case 0x66 where literal(b, &i, "false"): return .bool(false)
        case 0x6E where literal(b, &i, "null"): return .null
        default:
            let start = i
            while i < b.count,
                b[i] == 0x2D || b[i] == 0x2B || b[i] == 0x2E || b[i] == 0x65 || b[i] == 0x45 || (b[i] &- 0x30) < 10
            {
                i += 1
            }
            guard i > start,
                let number = Double(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
            else { return nil }
            return .number(number)
        }
    }

    private static func literal(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, _ word: String) -> Bool {
        let bytes = Array(word.utf8)
        guard i + bytes.count <= b.count, Array(b[i..<i + bytes.count]) == bytes else { return false }
        i += bytes.count
        return true
    }

    private static func string(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> String? {
        i += 1
        var out: [UInt8] = []
        while i < b.count {
            let byte = b[i]
            if byte == 0x22 {
                i += 1
                return String(decoding: out, as: UTF8.self)
            }
            if byte == 0x5C, i + 1 < b.count {
                i += 1
                switch b[i] {
                case 0x6E: out.append(0x0A)
                case 0x74: out.append(0x09)
                case 0x72: out.append(0x0D)
                case 0x62, 0x66: out.append(0x20)
                case 0x75:
                    guard i + 4 < b.count,
                        let code = UInt32(
                            String(decoding: UnsafeBufferPointer(rebasing: b[i + 1...i + 4]), as: UTF8.self), radix: 16)
                    else { return nil }
                    out += Array(String(Unicode.Scalar(code).map(Character.init) ?? "\u{FFFD}").utf8)
                    i += 4
                default: out.append(b[i])
                }
                i += 1
                continue
            }
            out.append(byte)
            i += 1
        }
        return nil
    }
}

enum Structured {
    /// `text.trimmingCharacters(in: .newlines)` without Foundation's bridging (this runs on every
    /// JSON line): U+000A–U+000D, U+0085, U+2028 and U+2029 off both ends, no copy when none are there.
    static func trimmingNewlines(_ text: String) -> String {
        func isNewline(_ scalar: Unicode.Scalar) -> Bool {
            (0x0A...0x0D).contains(scalar.value) || scalar.value == 0x85 || scalar.value == 0x2028
                || scalar.value == 0x2029
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last, isNewline(first) || isNewline(last) else {
            return text
        }
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, isNewline(scalars[start]) { start = scalars.index(after: start) }
        while end > start, isNewline(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }

    /// GCP Cloud Logging, Kubernetes/Docker json-file, pino/bunyan, zap, logrus.
    static func json(_ bytes: UnsafeBufferPointer<UInt8>) -> StructuredLine? {
        guard let node = MiniJSON.parse(bytes), case .object = node else { return nil }
        let payload = node["jsonPayload"]
        var message =
            node["message"]?.string ?? node["msg"]?.string ?? node["textPayload"]?.string ?? payload?["message"]?.string
            ?? payload?["msg"]?.string ?? node["log"]?.string ?? node["MESSAGE"]?.string ?? node["error"]?.string
            ?? node["@m"]?.string ?? node["@mt"]?.string ?? ""
        // Serilog's compact JSON: the exception's first line belongs to the message.
        if let exception = node["@x"]?.string, let first = exception.split(separator: "\n").first {
            message += (message.isEmpty ? "" : ": ") + first
        }
        // Blank lines around a message ("\n\n***aborting after fassert() failure\n\n") are not part of it.
        var entry = StructuredLine(message: Self.trimmingNewlines(message))
        for key in ["severity", "level", "lvl", "log.level", "levelname", "loglevel", "@l"] {
            guard let field = node[key] else { continue }
            if case .number(let number) = field {
                // pino/bunyan numeric levels
                entry.level = number >= 60 ? .critical : number >= 50 ? .high : number >= 40 ? .medium : .low
            } else if let text = field.string {
                entry.level = levelWord(text)
            }
            break
        }
        // MongoDB 4.4+: {"t":{"$date":"…"},"s":"E",…}, one letter for the level (F, E, W, I, D1–D5).
        if entry.level == nil, let letter = node["s"]?.string, (1...2).contains(letter.utf8.count),
            let first = letter.utf8.first, first &- 0x41 < 26
        {
            entry.level = HeaderParser.letterLevel(first)
        }
        // Serilog's compact JSON leaves "@l" out for Information.
        if entry.level == nil, node["@t"] != nil, node["@mt"] != nil || node["@m"] != nil { entry.level = .low }
        for key in ["timestamp", "time", "ts", "@timestamp", "datetime", "date", "t", "@t"] {
            guard var field = node[key] else { continue }
            if let date = field["$date"] { field = date }
            if case .number(let number) = field {
                // Epoch ms or s; anything past year 9999 (or not finite) is no time, not a crash.
                let seconds = number > 1e12 ? number / 1000 : number
                entry.time = seconds.isFinite && abs(seconds) < 253_402_300_800 ? Int64(seconds) : nil
            } else if let text = field.string, let date = Time.parse(text) {
                entry.time = Int64(date.timeIntervalSince1970)
            }
            break
        }
        // SPEC "Source location": file:line first; the function where the entry names no file.
        let location = node["sourceLocation"] ?? node["logging.googleapis.com/sourceLocation"]
        let line = location?["line"]?.string
        if let file = location?["file"]?.string, !file.isEmpty {
            entry.source = file + (line.map { ":" + $0 } ?? "")
        } else if let function = location?["function"]?.string, !function.isEmpty {
            entry.source = function
        } else {
            entry.source =
                node["logger"]?.string ?? node["caller"]?.string ?? node["logger_name"]?.string ?? node["name"]?.string
        }
        if let labels = node["resource"]?["labels"] {
            for key in ["service_name", "container_name", "module_id", "function_name", "job"] {
                if let name = labels[key]?.string, !name.isEmpty { entry.services.append(name) }
            }
        }
        // The emitting service as common schemas name it: ECS/OpenTelemetry `service.name`, a plain
        // `service`/`app`, GCP Error Reporting's `serviceContext`, Kubernetes metadata added by a
        // log shipper, Docker's fluentd `container_name`, journald's export.
        var named: [MiniJSON.Node?] = [
            node["service.name"], node["service"]?["name"], node["service"], node["app"], node["application"],
            node["serviceContext"]?["service"], node["kubernetes"]?["container_name"], node["container_name"],
            node["SYSLOG_IDENTIFIER"], node["_SYSTEMD_UNIT"],
        ]
        // bunyan (and pino given a name): `name` is the application's, beside hostname and pid.
        if node["hostname"] != nil, node["pid"] != nil, case .number = node["level"] { named.append(node["name"]) }
        if let name = named.lazy.compactMap({ $0?.string }).compactMap(serviceName).first,
            !entry.services.contains(name)
        {
            entry.services.append(name)
        }
        return entry
    }

    /// A service name as a log field holds it: one short word (`checkout`, `api-gateway`, `nginx.service`
    /// without `.service`), not a sentence or a path.
    static func serviceName(_ raw: String) -> String? {
        var name = raw.lowercased()
        if name.hasSuffix(".service") { name = String(name.dropLast(8)) }
        guard (1...63).contains(name.count), name.first?.isLetter == true,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else { return nil }
        return name
    }

    static func levelWord(_ text: String) -> Severity? {
        let upper = text.uppercased()
        return HeaderParser.levels.first { $0.0 == upper }?.1
            ?? (upper == "DEFAULT" ? .low : nil)
    }

    /// `time=… level=error msg="…" caller=…`: three or more pairs with a level or msg key.
    static func logfmt(_ bytes: UnsafeBufferPointer<UInt8>) -> StructuredLine? {
        var pairs: [(String, String)] = []
        var i = 0
        let n = bytes.count
        while i < n {
            while i < n, bytes[i] == 0x20 { i += 1 }
            let keyStart = i
            while i < n, bytes[i] != 0x3D, bytes[i] != 0x20 { i += 1 }
            guard i < n, bytes[i] == 0x3D, i > keyStart else {
                while i < n, bytes[i] != 0x20 { i += 1 }
                continue
            }
            let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[keyStart..<i]), as: UTF8.self)
            i += 1
            var value: [UInt8] = []
            if i < n, bytes[i] == 0x22 {
                i += 1
                while i < n, bytes[i] != 0x22 {
                    if bytes[i] == 0x5C, i + 1 < n { i += 1 }
                    value.append(bytes[i])
                    i += 1
                }
                i += 1
            } else {
                while i < n, bytes[i] != 0x20 {
                    value.append(bytes[i])
                    i += 1
                }
            }
            pairs.append((key, String(decoding: value, as: UTF8.self)))
        }
        // Three pairs, or logfmt's own two keys alone (`level=error msg="…"`).
        let levelAndMessage = pairs.contains { $0.0 == "level" } && pairs.contains { $0.0 == "msg" }
        guard pairs.count >= 3 || levelAndMessage,
            let message = pairs.first(where: { ["msg", "message"].contains($0.0) })?.1
                ?? (pairs.contains { $0.0 == "level" } ? "" : nil)
        else { return nil }
        var entry = StructuredLine(message: message)
        entry.level = pairs.first { $0.0 == "level" || $0.0 == "lvl" }.flatMap { levelWord($0.1) }
        if let time = pairs.first(where: { ["time", "ts", "t"].contains($0.0) })?.1, let date = Time.parse(time) {
            entry.time = Int64(date.timeIntervalSince1970)
        }
        entry.source = pairs.first { ["caller", "logger", "source", "component"].contains($0.0) }?.1
        if let name = pairs.first(where: { ["service", "service.name", "app"].contains($0.0) }).flatMap({ serviceName($0.1) }) {
            entry.services.append(name)
        }
        if entry.message.isEmpty {
            entry.message = pairs.filter { !["time", "ts", "t", "level", "lvl", "caller", "logger"].contains($0.0) }
                .map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        }
        return entry
    }
}

/// Stack-trace lines that belong to the event before them, and the frames worth naming.
enum StackTrace {
    static let prefixes: [[UInt8]] = [
        "Caused by", "Traceback", "During handling", "The above", "Stack dump", "Current stack", "Stack trace",
        "Fatal error", "[signal ", "goroutine ", "...",
    ].map { Array($0.utf8) }

    /// A byte-level first look, so ordinary lines never reach the string checks of `continues`.
    static func mayContinue(_ line: UnsafeBufferPointer<UInt8>, inTrace: Bool) -> Bool {
        guard let first = line.first else { return false }
        if first == 0x20 || first == 0x09 || inTrace { return true }
        // A lone closing bracket ends what the lines before it opened ("… {", indented fields, "}").
        if line.count <= 2, first == 0x7D || first == 0x5D { return true }
        for prefix in prefixes where line.count >= prefix.count && line.starts(with: prefix) { return true }
        // "pkg.SomeError: …" / "ValueError: …": the first token ends in an exception word.
        var end = 0
        while end < line.count, end < 160, line[end] != 0x3A, line[end] != 0x20 { end += 1 }
        for word in ["Error", "Exception", "Throwable", "Exit", "Interrupt", "Fault"] {
            let bytes = Array(word.utf8)
            if end >= bytes.count, Array(line[end - bytes.count..<end]) == bytes { return true }
        }
        // Ruby: "app/models/user.rb:12:in `save'…"
        var index = 0
        while index + 4 < min(line.count, 200) {
            if line[index] == 0x2E, line[index + 1] == 0x72, line[index + 2] == 0x62, line[index + 3] == 0x3A {
                return true
            }
            index += 1
        }
        return false
    }

    /// Whether `line` continues the previous event (a frame, a cause, an exception line).
    static func continues(_ line: String, inTrace: Bool) -> Bool {
        guard let first = line.unicodeScalars.first else { return false }
        if first == " " || first == "\t" { return true }
        for prefix in [
            "Caused by:", "Traceback (most recent call last)", "During handling of the above exception",
            "The above exception was the direct cause", "Stack dump:", "Current stack trace:", "Stack trace:",
            "Fatal error:", "[signal ",
        ] where line.hasPrefix(prefix) {
            return true
        }
        // Ruby: "app/models/user.rb:12:in `save': undefined method … (NoMethodError)".
        if let range = line.range(of: ":in `"), line[..<range.lowerBound].contains(".rb:") { return true }
        if line.hasPrefix("goroutine "), line.hasSuffix("]:") { return true }
        if line.hasPrefix("...") && line.hasSuffix("more") { return true }
        // The end of what the lines before opened (Node: "… at main (…) {", "  code: 'ECONNREFUSED'", "}").
        if line == "}" || line == "]" || line == "})" { return true }
        guard inTrace else { return exceptionLine(line) }
        // Go frames ("main.main()", "net/http.(*conn).serve(0xc000…)") and Swift crash frames ("3  libswiftCore.so 0x…").
        // Go frames: the call before its arguments has no space ("os/exec.(*Cmd).Wait(0x0, 0x5bc683)").
        if line.hasSuffix(")"), let open = line.lastIndex(of: "("), open > line.startIndex,
            !line[..<open].contains(" ") || line.hasPrefix("created by ")
        {
            return true
        }
        // Go 1.21 and later: "created by pkg.Start in goroutine 1".
        if line.hasPrefix("created by "), line.range(of: " in goroutine ") != nil { return true }

        if let space = line.firstIndex(of: " "), line[..<space].allSatisfy(\.isNumber), line.asciiFastContains(" 0x") {
            return true
        }
        return exceptionLine(line)
    }

    /// `java.lang.IllegalStateException: …`, `ValueError: …`, `TypeError: …`, and .NET's
    /// `Npgsql.NpgsqlException (0x80004005): …`, `SocketException (111): …` (an error code in parentheses).
    static func exceptionLine(_ line: String) -> Bool {
        let head = line.prefix { $0 != ":" && $0 != " " }
        guard !head.isEmpty, head.count < 160 else { return false }
        let name = head.lastIndex(of: ".").map { head[head.index(after: $0)...] } ?? head
        guard name.first?.isUppercase == true,
            ["Exception", "Error", "Throwable", "Exit", "Interrupt", "Fault"].contains(where: { name.hasSuffix($0) })
        else { return false }
        let rest = line.dropFirst(head.count)
        if rest.isEmpty || rest.first == ":" { return true }
        guard rest.hasPrefix(" ("), let close = rest.prefix(24).firstIndex(of: ")") else { return false }
        return rest[rest.index(after: close)...].first == ":"
    }

    /// Python's opener of an uncaught exception's report, which names nothing that failed.
    static let bareOpener = "Traceback (most recent call last)"
    private static let bareOpenerBytes = Array(bareOpener.utf8)

    static func isBareTracebackOpener(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.count >= bareOpenerBytes.count && line.starts(with: bareOpenerBytes)
    }

    /// A line that is only a place in code, `file:line` (Node's report of an uncaught exception
    /// opens with where it was thrown, `node:internal/process/promises:289`, then the source line,
    /// a caret, and the error): like Python's opener, it names nothing that failed.
    static func isLocationOnly(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        guard line.count >= 4, line.count <= 300, let first = line.first, first != 0x20, first != 0x09 else { return false }
        var end = line.count
        while end > 0, line[end - 1] &- 0x30 < 10 { end -= 1 }
        guard end < line.count, end > 1, line[end - 1] == 0x3A else { return false }
        let path = UnsafeBufferPointer(rebasing: line[..<(end - 1)])
        return !path.contains(0x20) && !path.contains(0x09) && path.contains { ($0 | 0x20) &- 0x61 < 26 }
            && (path.contains(0x2F) || path.contains(0x2E))
    }

    /// Whether an event's head names nothing that failed (its closing exception line does).
    static func isOpener(_ message: String) -> Bool {
        if message.hasPrefix(bareOpener) { return true }
        var message = message
        return message.withUTF8 { isLocationOnly($0) }
    }

    /// The lines of a trace that are about the failure: a Go panic lists the goroutine that
    /// panicked first, then every other one (a Kafka client waiting on its socket is not what
    /// crashed); the dump stops at the second "goroutine N [state]:".
    static func failingPart(of detail: [String]) -> ArraySlice<String> {
        var goroutines = 0
        for (index, line) in detail.enumerated() where line.hasPrefix("goroutine ") && line.hasSuffix("]:") {
            goroutines += 1
            if goroutines == 2 { return detail[..<index] }
        }
        return detail[...]
    }

    /// Whether `line` opens a trace that following unindented frames may continue.
    static func opens(_ line: String) -> Bool {
        line.hasPrefix("panic:") || line.hasPrefix("goroutine ") || line.hasPrefix("Traceback")
            || line.asciiFastContains("Exception")
            || line.hasPrefix("Fatal error:") || line.asciiFastContains("Error:") || line.hasPrefix("Stack dump:")
    }

    private static let libraryMarkers = [
        // Node's own modules: "node:internal/…", or "(internal/…)" before Node 16 (a Go module's
        // internal/ packages are the application's).
        "site-packages", "dist-packages", "/lib/python", "<frozen", "node_modules", "node:internal", "(internal/",
        "(node:",  // Node's core modules: "(node:net:1555:16)"
        "/usr/lib/", "runtime/", "java.", "javax.", "jdk.", "sun.", "kotlin.", "scala.", "org.springframework.",
        "org.apache.", "io.netty.", "/gems/", "/ruby/", "libswift", "libc.so", "Foundation",
        // Go's own sources and the module cache (GOPATH/src of the application is not a library).
        "/usr/local/go/src/", "/usr/lib/go", "/go/pkg/mod/", "GOROOT/",
    ]

    static func isLibrary(_ text: String) -> Bool { libraryMarkers.contains { text.asciiFastContains($0) } }

    /// Whether frames of this trace are listed outermost first (Python): then the deepest
    /// application frame, the last one, is the one to name.
    static func outermostFirst(_ line: String) -> Bool {
        line.trimmingCharacters(in: .whitespaces).hasPrefix("File \"")
    }

    /// An application frame named the way people search code: `file:line` or `pkg.Class.method`.
    static func frame(_ line: String) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        // Python: File "/app/netra_backend/app/smd.py", line 412, in _validate → netra_backend/app/smd.py:412
        if trimmed.hasPrefix("File \""), let close = trimmed.dropFirst(6).firstIndex(of: "\"") {
            var path = String(trimmed[trimmed.index(trimmed.startIndex, offsetBy: 6)..<close])
            guard !isLibrary(path) else { return nil }
            for root in ["/app/", "/src/", "/code/", "/srv/", "/opt/", "/home/", "/usr/src/app/"] where path.hasPrefix(root) {
                path = String(path.dropFirst(root.count))
                break
            }
            let rest = trimmed[trimmed.index(after: close)...]
            guard let lineRange = rest.range(of: ", line ") else { return path }
            let number = rest[lineRange.upperBound...].prefix { $0.isNumber }
            return number.isEmpty ? path : "\(path):\(number)"
        }
        // Java / Node: at com.acme.Service.run(Service.java:42) · at handler (/app/src/x.js:10:5)
        if trimmed.hasPrefix("at ") {
            var body = String(trimmed.dropFirst(3))
            // Node prints an error's properties after its last frame: "at main (/app/x.js:8:9) {".
            if body.hasSuffix(") {") { body.removeLast(2) }
            // Logback's packaging data says where a frame's class came from: "~[classes/:na]" is
            // the application, "~[postgresql-42.jar:42.7]" a library jar.
            if let open = body.range(of: " ~[") ?? body.range(of: ") ["), body.hasSuffix("]") {
                let packaging = body[open.upperBound...]
                if packaging.contains(".jar") { return nil }
                body = String(body[..<open.lowerBound]) + (body[open.lowerBound] == ")" ? ")" : "")
                if packaging.hasPrefix("classes") || packaging.contains("classes/") { return body }
            }
            // .NET: "at Ns.Type.Method(Int32 id) in /src/Api/Handler.cs:line 42". Without the
            // " in file:line" part (no symbols) a .NET frame names no place in the code.
            if let marker = body.range(of: ") in "), let lineMark = body.range(of: ":line ", options: .backwards),
                lineMark.lowerBound > marker.upperBound
            {
                var path = String(body[marker.upperBound..<lineMark.lowerBound])
                guard !isLibrary(path) else { return nil }
                for root in ["/app/", "/src/", "/source/", "/home/"] where path.hasPrefix(root) {
                    path = String(path.dropFirst(root.count))
                    break
                }
                let number = body[lineMark.upperBound...].prefix { $0.isNumber }
                return number.isEmpty ? path : "\(path):\(number)"
            }
            guard !isLibrary(body) else { return nil }
            if let open = body.firstIndex(of: "("), body.hasSuffix(")") {
                let name = String(body[..<open]).trimmingCharacters(in: .whitespaces)
                let location = String(body[body.index(after: open)..<body.index(before: body.endIndex)])
                // A JVM frame as the JVM writes it: the method and its file:line.
                if location.hasSuffix(".java") || location.contains(".java:") || location.contains(".kt:") {
                    return "\(name)(\(location))"
                }
                // An argument list ("EndPoint remoteEP, Boolean async"), not a place: .NET without symbols.
                if location.contains(" "), !location.contains("/"), !location.contains("\\") { return nil }
                // "Open()": a frame with no file names no place in the code.
                return location.isEmpty ? nil : location
            }
            return body
        }
        // Go: /app/cmd/api/main.go:42 +0x1d
        if trimmed.contains(".go:"), !isLibrary(trimmed) {
            return String(trimmed.split(separator: " ").first ?? "")
        }
        // Ruby: from app/models/user.rb:12:in `save'
        if trimmed.hasPrefix("from "), !isLibrary(trimmed) {
            return String(trimmed.dropFirst(5).split(separator: ":in").first ?? "")
        }
        return nil
    }
}
