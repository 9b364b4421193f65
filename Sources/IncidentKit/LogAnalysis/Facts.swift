import Foundation
import OrderedCollections

extension LogAnalyzer {
    /// A short, stable hash (FNV-1a, 48 bits as 12 hex digits) of a template.
    public static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01B3
        }
        let hex = String(value, radix: 16)
        return String((String(repeating: "0", count: max(0, 16 - hex.count)) + hex).prefix(12))
    }
}

/// The facts read from the shapes of a log: environment, services, sources, warnings, title.
enum Facts {
    static let environments: [(String, String)] = [
        ("production", "production"), ("prod", "production"), ("prd", "production"), ("staging", "staging"),
        ("stage", "staging"), ("stg", "staging"), ("development", "development"), ("dev", "development"), ("qa", "qa"),
        ("uat", "uat"), ("sandbox", "sandbox"), ("preprod", "preprod"),
    ]

    static let knownServices = [
        "redis", "postgres", "postgresql", "mysql", "mariadb", "mongodb", "mongo", "kafka", "rabbitmq", "elasticsearch",
        "opensearch", "memcached", "etcd", "zookeeper", "cassandra", "clickhouse", "nats", "consul", "vault", "s3",
        "dynamodb",
        "bigquery", "pubsub", "spanner", "firestore", "cloudsql", "memorystore", "nginx", "envoy", "haproxy", "sqs",
        "sns",
    ]

    static let ports: [String: String] = [
        "6379": "redis", "5432": "postgres", "3306": "mysql", "27017": "mongodb", "9092": "kafka", "5672": "rabbitmq",
        "9200": "elasticsearch", "11211": "memcached", "2379": "etcd", "2181": "zookeeper", "9042": "cassandra",
        "8123": "clickhouse", "4222": "nats", "8500": "consul", "8200": "vault",
    ]

    static let commandWords = ["kubectl", "docker", "podman", "journalctl"].map { Array($0.utf8) }
    static let environmentBytes = environments.map { (Array($0.0.utf8), $0.1) }
    static let knownServiceBytes = knownServices.map { Array($0.utf8) }

    /// For ASCII text, calls `body` with each run of letters (and digits, when asked), lower-cased:
    /// the words `lowercased().split(whereSeparator:)` with `isLetter`/`isNumber` gives, without
    /// making a Character of each byte. False (and no calls) when the text is not all ASCII.
    static func forEachASCIIWord(_ text: String, digits: Bool, _ body: ([UInt8]) -> Void) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return false }
            var word: [UInt8] = []
            for byte in bytes {
                let lower = byte | 0x20
                if lower >= 0x61 && lower <= 0x7A {
                    word.append(lower)
                } else if digits && byte >= 0x30 && byte <= 0x39 {
                    word.append(byte)
                } else if !word.isEmpty {
                    body(word)
                    word.removeAll(keepingCapacity: true)
                }
            }
            if !word.isEmpty { body(word) }
            return true
        }
    }

    /// `Character.isLetter` and `isNumber`, answered without Unicode tables for ASCII ("\r\n" is
    /// neither either way).
    static func isLetter(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return character.isLetter }
        return (ascii | 0x20) >= 0x61 && (ascii | 0x20) <= 0x7A
    }

    static func isNumber(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return character.isNumber }
        return ascii >= 0x30 && ascii <= 0x39
    }

    static func fill(
        _ analysis: inout LogAnalysis, shapes: [AnalysisEngine.Shape], clusterIDs: [String], extraServices: [String]
    ) {
        let primaryID = analysis.primary?.id
        var environmentCounts = OrderedDictionary<String, Int>()
        var services: [String] = []
        func addService(_ raw: String) {
            let name = raw == "postgresql" ? "postgres" : raw == "mongo" ? "mongodb" : raw
            if !name.isEmpty, !services.contains(name) { services.append(name) }
        }
        var warnings: [String] = []
        // The primary event's shapes first, so its services and sources lead.
        let ordered = shapes.enumerated().sorted { a, b in
            let pa = clusterIDs[a.element.cluster] == primaryID
            let pb = clusterIDs[b.element.cluster] == primaryID
            return pa != pb ? pa : a.offset < b.offset
        }.map(\.element)
        // Services the ranked events name (signatures, ports, URL schemes, client libraries): the
        // primary's first, then those of other severe or recognised events.
        for event in analysis.events.prefix(1) { event.services.forEach(addService) }
        for event in analysis.events.dropFirst().prefix(200) where event.severity >= .high || event.signature != nil {
            event.services.forEach(addService)
        }
        for shape in ordered {
            // Environment words may sit anywhere in the line (a revision or host name); services and
            // warnings are read from the message, not from the logger's name.
            let asciiExample = forEachASCIIWord(shape.example, digits: false) { word in
                if let match = environmentBytes.first(where: { $0.0 == word }) {
                    environmentCounts[match.1, default: 0] += shape.count
                }
            }
            if !asciiExample {
                for word in shape.example.lowercased().split(whereSeparator: { !isLetter($0) }) {
                    if let match = environments.first(where: { $0.0 == word }) {
                        environmentCounts[match.1, default: 0] += shape.count
                    }
                }
            }
            let lowered = shape.message.lowercased()
            // ASCII text is searched byte by byte (the same answers; shapes number in thousands).
            let loweredBytes = SignatureMatcher.asciiLowercased(lowered)
            func contains(_ needle: String) -> Bool {
                guard let loweredBytes else { return lowered.contains(needle) }
                return SignatureMatcher.find(Array(needle.utf8), in: loweredBytes) != nil
            }
            if loweredBytes == nil || contains("failed services"),
                let range = shape.message.range(of: "failed services", options: .caseInsensitive),
                let open = shape.message[range.upperBound...].firstIndex(of: "["),
                let close = shape.message[open...].firstIndex(of: "]")
            {
                for name in shape.message[shape.message.index(after: open)..<close].split(separator: ",") {
                    addService(name.trimmingCharacters(in: .whitespaces).lowercased())
                }
            }
            guard shape.severity >= .medium || contains("connect") else { continue }
            let asciiMessage = forEachASCIIWord(shape.message, digits: true) { word in
                if let name = knownServiceBytes.first(where: { $0 == word }) {
                    addService(String(decoding: name, as: UTF8.self))
                }
            }
            if !asciiMessage {
                for word in lowered.split(whereSeparator: { !isLetter($0) && !isNumber($0) })
                where knownServices.contains(String(word)) {
                    addService(String(word))
                }
            }
            for (port, service) in ports where contains(":" + port) { addService(service) }
            if shape.level == .medium,
                ["config", "deprecat", "setting", "environment variable", "localhost in"].contains(where: contains)
            {
                var message = shape.message
                if let colon = message.range(of: ": "), message[..<colon.lowerBound].lowercased().contains("config") {
                    message = String(message[colon.upperBound...])
                }
                if !warnings.contains(message) { warnings.append(message) }
            }
        }
        for name in extraServices { addService(name) }
        let severe = Set(analysis.events.filter { $0.severity >= .high }.map(\.id))
        // What a pasted command read the log from: `kubectl logs POD -c git-sync`, `docker logs api`,
        // `journalctl -u worker.service`; and the image a severe event failed to pull.
        for shape in shapes {
            if let name = commandTarget(shape.example) { addService(name) }
            if severe.contains(clusterIDs[shape.cluster]), let name = workload(in: shape.example) { addService(name) }
            if severeImage(shape, severe: analysis.events, clusterIDs: clusterIDs), let name = imageName(shape.message) {
                addService(name)
            }
        }
        // The program that logged a severe event, as syslog and journald name it ("pglookout:",
        // "nginx[1234]:"): a service of the incident too, after the dependencies it names.
        for shape in shapes where severe.contains(clusterIDs[shape.cluster]) {
            if let name = shape.source.flatMap(programName) { addService(name) }
        }
        analysis.environment = environmentCounts.max { $0.value < $1.value }?.key
        analysis.services = services
        analysis.warnings = Array(warnings.prefix(20))
        var sources: [String] = []
        if let source = analysis.primary?.source { sources.append(normalizeSource(source)) }
        if let primary = analysis.primary, let location = fileLine(primary.example), !sources.contains(location) {
            sources.append(location)
        }
        for event in analysis.events where event.severity >= .high {
            if let source = event.source.map(normalizeSource), !sources.contains(source) { sources.append(source) }
        }
        analysis.sourceLocations = Array(sources.prefix(5))
        analysis.title = title(analysis, shapes: shapes)
    }

    /// The container, pod or unit a pasted `kubectl logs`, `docker logs`, `docker compose logs` or
    /// `journalctl -u` command names (a shell prompt may come before it).
    static func commandTarget(_ line: String) -> String? {
        // Each command word holds one of these: most lines hold none, and are not split.
        let bytes = Array(line.utf8)
        guard commandWords.contains(where: { SignatureMatcher.find($0, in: bytes) != nil }) else { return nil }
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        func after(_ index: Int) -> [String] { Array(words[(index + 1)...]) }
        for (index, word) in words.enumerated() {
            guard ["kubectl", "docker", "podman", "docker-compose", "journalctl"].contains(word) else { continue }
            let rest = index + 1 < words.count ? after(index) : []
            switch word {
            case "kubectl" where rest.first == "logs":
                var pod: String?
                var container: String?
                var i = 1
                while i < rest.count {
                    let arg = rest[i]
                    if (arg == "-c" || arg == "--container"), i + 1 < rest.count {
                        container = rest[i + 1]
                        i += 2
                        continue
                    }
                    if arg.hasPrefix("--container=") { container = String(arg.dropFirst(12)) }
                    if (arg == "-n" || arg == "--namespace" || arg == "--tail" || arg == "--since"), i + 1 < rest.count {
                        i += 2
                        continue
                    }
                    if !arg.hasPrefix("-"), pod == nil { pod = arg.split(separator: "/").last.map(String.init) }
                    i += 1
                }
                return (container ?? pod).flatMap(cleanName)
            case "docker", "podman":
                var args = rest
                if args.first == "compose" { args.removeFirst() }
                guard args.first == "logs" else { continue }
                return firstOperand(args.dropFirst()).flatMap(cleanName)
            case "docker-compose" where rest.first == "logs":
                return firstOperand(rest.dropFirst()).flatMap(cleanName)
            case "journalctl":
                guard let u = rest.firstIndex(where: { $0 == "-u" || $0 == "--unit" }), u + 1 < rest.count else {
                    continue
                }
                var unit = rest[u + 1]
                if unit.hasSuffix(".service") { unit = String(unit.dropLast(8)) }
                return cleanName(unit)
            default: continue
            }
        }
        return nil
    }

    /// The workload a Kubernetes pod belongs to, from a severe line that names the pod: a
    /// `kubectl get pods` row (`api-7d9c8b7f6-abcde   0/1   CrashLoopBackOff …`) or a `pod/NAME`
    /// reference. A Deployment's pod name ends in its ReplicaSet's hash and its own suffix.
    static func workload(in line: String) -> String? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        var pods: [Substring] = []
        if words.count > 2, words[1].contains("/"), words[1].split(separator: "/").allSatisfy({ $0.allSatisfy(\.isNumber) }) {
            pods.append(words[0])
        }
        for word in words where word.hasPrefix("pod/") { pods.append(word.dropFirst(4)) }
        for pod in pods {
            let parts = pod.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count >= 3 else { continue }
            let podSuffix = parts[parts.count - 1]
            let replicaSet = parts[parts.count - 2]
            let alphanumeric = { (part: Substring) in part.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber) } }
            guard podSuffix.count == 5, (6...10).contains(replicaSet.count), alphanumeric(podSuffix),
                alphanumeric(replicaSet), replicaSet.contains(where: \.isNumber)
            else { continue }
            if let name = cleanName(parts.dropLast(2).joined(separator: "-")) { return name }
        }
        return nil
    }

    /// The first argument that is neither an option nor an option's value (`--tail 100`).
    private static func firstOperand(_ args: ArraySlice<String>) -> String? {
        var skipNext = false
        for arg in args {
            if skipNext {
                skipNext = false
                continue
            }
            if ["--tail", "-n", "--since", "--until"].contains(arg) {
                skipNext = true
                continue
            }
            if !arg.hasPrefix("-") { return arg }
        }
        return nil
    }

    private static func cleanName(_ raw: String) -> String? {
        let name = raw.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "'\"`|;"))
        guard (1...63).contains(name.count), name.first?.isLetter == true,
            name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else { return nil }
        return name
    }

    private static func severeImage(
        _ shape: AnalysisEngine.Shape, severe events: [LogAnalysis.Event], clusterIDs: [String]
    ) -> Bool {
        shape.message.asciiFastContains("image \"")
            && events.contains { $0.id == clusterIDs[shape.cluster] && $0.severity >= .high }
    }

    /// `… image "ghcr.io/acme/kubestr:latest" …` → `kubestr`: the image's name, without registry,
    /// path, tag or digest.
    static func imageName(_ message: String) -> String? {
        guard let open = message.range(of: "image \"") else { return nil }
        let rest = message[open.upperBound...]
        guard let close = rest.firstIndex(of: "\"") else { return nil }
        var reference = rest[..<close]
        if let at = reference.firstIndex(of: "@") { reference = reference[..<at] }
        var name = reference.split(separator: "/").last ?? ""
        if let colon = name.firstIndex(of: ":") { name = name[..<colon] }
        return cleanName(String(name))
    }

    /// A header's source when it is a program's name: lower-case letters, digits, `-` and `_`,
    /// with an optional `[pid]` (not a dotted logger, a file or a path); the kernel is not a service.
    static func programName(_ source: String) -> String? {
        var name = Substring(source)
        if name.hasSuffix("]"), let open = name.firstIndex(of: "["),
            name[name.index(after: open)..<name.index(before: name.endIndex)].allSatisfy(\.isNumber)
        {
            name = name[..<open]
        }
        guard (2...32).contains(name.count), let first = name.first, first.isASCII, first.isLowercase,
            name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }),
            !["kernel", "main", "root", "app", "systemd"].contains(name)
        else { return nil }
        return String(name)
    }

    /// `pkg.module:function:412` (loguru, Python logging) reads as `pkg.module.function`;
    /// `file.go:42` and `Class@774` stay as they are.
    static func normalizeSource(_ source: String) -> String {
        let parts = source.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].contains("."), !parts[1].isEmpty, parts[1].first?.isNumber == false,
            parts[1].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "<" || $0 == ">" })
        else { return source }
        let module = parts[0].hasSuffix(".py") ? parts[0].dropLast(3) : parts[0]
        return "\(module).\(parts[1])"
    }

    /// A `path/file.ext:line` mention in a message.
    static func fileLine(_ text: String) -> String? {
        for token in text.split(separator: " ") {
            let trimmed = token.trimmingCharacters(in: CharacterSet(charactersIn: "()[],;\"'"))
            let parts = trimmed.split(separator: ":")
            if parts.count >= 2, parts[0].contains("."), let ext = parts[0].split(separator: ".").last,
                ["py", "go", "java", "js", "ts", "rb", "swift", "rs", "c", "cc", "cpp", "kt", "php", "cs"].contains(
                    String(ext)),
                Int(parts[1]) != nil
            {
                return "\(parts[0]):\(parts[1])"
            }
        }
        return nil
    }

    static let categoryPhrases = [
        "connectivity": "connection failure", "timeout": "timeouts", "dns": "DNS resolution failure",
        "tls": "TLS failure", "oom": "out of memory", "crash-loop": "crash loop", "auth": "authentication failure",
        "permission": "permission failure", "disk": "disk failure", "quorum": "quorum loss",
        "resource-exhaustion": "resource exhaustion", "probe": "failing health probes", "upstream": "upstream errors",
        "dependency-down": "unavailable", "rate-limit": "rate limiting", "config": "configuration error",
        "scheduling": "scheduling failure", "image": "image pull failure", "deadlock": "deadlocks",
        "crash": "crash", "data": "data error",
    ]

    static func displayName(_ service: String) -> String {
        let names = [
            "redis": "Redis", "postgres": "Postgres", "mysql": "MySQL", "mongodb": "MongoDB", "kafka": "Kafka",
            "rabbitmq": "RabbitMQ", "elasticsearch": "Elasticsearch", "s3": "S3", "dynamodb": "DynamoDB",
            "etcd": "etcd", "dns": "DNS", "mssql": "SQL Server", "nginx": "nginx", "aws": "AWS", "gcp": "GCP",
            "gcs": "GCS", "sqs": "SQS", "sns": "SNS", "github": "GitHub", "gitlab": "GitLab",
        ]
        return names[service] ?? service.prefix(1).uppercased() + service.dropFirst()
    }

    static func title(_ analysis: LogAnalysis, shapes: [AnalysisEngine.Shape]) -> String {
        guard let primary = analysis.primary else { return "Log excerpt with no events" }
        let lowered = shapes.map { $0.message.lowercased() }.joined(separator: "\n")
        var title: String
        if let category = primary.category, let phrase = categoryPhrases[category] {
            if let service = primary.services.first ?? analysis.services.first {
                title = displayName(service) + " " + phrase
            } else {
                title = phrase.prefix(1).uppercased() + phrase.dropFirst()
                // "Crash" alone names nothing: the failure's own first clause says which.
                if vagueCategories.contains(category) {
                    let words = clause(of: primary.template, skippingGenericLead: true, capitalized: false)
                    if !words.isEmpty, words.lowercased() != phrase { title += ": " + words }
                }
            }
        } else if let service = analysis.services.first {
            let name = displayName(service)
            let connection = [
                "\(service) connection", "connecting to \(service)", "connect to \(service)", "connection refused",
                "connection timed out", "connection reset",
            ].contains { lowered.asciiFastContains($0) }
            let timeout = lowered.asciiFastContains("timeout") || lowered.asciiFastContains("timed out")
            title = "\(name) \(connection ? "connection failure" : timeout ? "timeouts" : "failure")"
        } else {
            let oom = lowered.asciiFastContains("oomkilled") || lowered.asciiFastContains("out of memory")
            if oom {
                title = "Out of memory"
            } else {
                title = clause(of: primary.template)
                if title.isEmpty { title = "Unclassified \(primary.severity.rawValue) error" }
                title = title.prefix(1).uppercased() + title.dropFirst()
            }
        }
        // Whole words only ("weeks" is no EKS), and not twice ("AWS authentication failure in AWS").
        var platform = [
            ("gcp", "GCP"), ("cloud run", "GCP"), ("gke", "GKE"), ("aws", "AWS"), ("eks", "EKS"), ("azure", "Azure"),
            ("kubernetes", "Kubernetes"),
        ].first { containsWord(lowered, $0.0) }?.1
        if let named = platform, containsWord(title.lowercased(), named.lowercased()) { platform = nil }
        let place = [platform, analysis.environment].compactMap { $0 }.joined(separator: " ")
        if !place.isEmpty { title += " in " + place }
        return title
    }

    /// Categories whose phrase alone says too little without a service to name.
    static let vagueCategories: Set<String> = ["crash", "data", "config", "deadlock"]

    /// Words that leave a title hanging when it ends on them.
    static let danglingWords: Set<String> = [
        "a", "an", "the", "of", "for", "to", "in", "on", "at", "by", "from", "with", "into", "via", "and", "or", "but",
        "because", "after", "before", "while", "when", "since", "until", "as", "than", "due",
    ]

    /// A title from a template: its first clause, at most eight words. Variable words (a wildcard,
    /// a redacted value) are left out and quotes around a word taken off; the clause ends at a ':',
    /// '.' or ';' that ends a word ("failed: …"), not one inside it (a host name, a version), and
    /// not on a word that needs more after it. `skippingGenericLead` passes over a first clause
    /// that only says an error happened ("runtime error: …", "panic: …").
    static func clause(of template: String, skippingGenericLead: Bool = false, capitalized: Bool = true) -> String {
        let words = template.split(separator: " ").filter {
            !$0.asciiFastContains("<*>") && !$0.asciiFastContains("[REDACTED:")
        }.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "'\"`")) }
            .filter { $0.contains(where: { $0.isLetter || $0.isNumber }) }
        var clauses: [[String]] = [[]]
        for word in words {
            if let last = word.last, [":", ".", ";"].contains(last) {
                clauses[clauses.count - 1].append(String(word.dropLast()))
                clauses.append([])
            } else {
                clauses[clauses.count - 1].append(word)
            }
        }
        clauses = clauses.filter { !$0.isEmpty }
        let generic: Set<String> = ["error", "runtime error", "fatal error", "panic", "fatal", "exception", "unhandled exception"]
        var chosen = clauses.first ?? []
        if skippingGenericLead, clauses.count > 1, generic.contains(chosen.joined(separator: " ").lowercased()) {
            chosen = clauses[1]
        } else if chosen.count == 1, clauses.count > 1 {
            // One word is a label ("Authorization: …", "KeyError: …"): the clause after it goes with it.
            chosen = [chosen[0] + ":"] + clauses[1]
        }
        var kept = Array(chosen.prefix(8))
        while let last = kept.last, danglingWords.contains(last.lowercased()) { kept.removeLast() }
        var title = kept.joined(separator: " ").trimmingCharacters(in: CharacterSet.punctuationCharacters.union(.whitespaces))
        // A bracket the cut left open is closed ("… of undefined (reading reduce" gets its ")").
        let open = title.filter { $0 == "(" }.count - title.filter { $0 == ")" }.count
        if open > 0 { title += String(repeating: ")", count: open) }
        return capitalized ? title.prefix(1).uppercased() + title.dropFirst() : title
    }

    /// Whether `text` holds `word` with no letter or digit on either side.
    static func containsWord(_ text: String, _ word: String) -> Bool {
        var from = text.startIndex
        while let range = text.range(of: word, range: from..<text.endIndex) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if !(before?.isLetter ?? false || before?.isNumber ?? false)
                && !(after?.isLetter ?? false || after?.isNumber ?? false)
            {
                return true
            }
            from = text.index(after: range.lowerBound)
        }
        return false
    }
}
