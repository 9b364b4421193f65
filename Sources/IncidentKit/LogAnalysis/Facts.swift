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
            for word in shape.example.lowercased().split(whereSeparator: { !isLetter($0) }) {
                if let match = environments.first(where: { $0.0 == word }) {
                    environmentCounts[match.1, default: 0] += shape.count
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
            for word in lowered.split(whereSeparator: { !isLetter($0) && !isNumber($0) })
            where knownServices.contains(String(word)) {
                addService(String(word))
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
            "etcd": "etcd", "dns": "DNS", "mssql": "SQL Server", "nginx": "nginx",
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
            }
        } else if let service = analysis.services.first {
            let names = [
                "redis": "Redis", "postgres": "Postgres", "mysql": "MySQL", "mongodb": "MongoDB", "kafka": "Kafka",
                "rabbitmq": "RabbitMQ", "elasticsearch": "Elasticsearch", "s3": "S3", "dynamodb": "DynamoDB",
            ]
            let name = names[service] ?? service.prefix(1).uppercased() + service.dropFirst()
            let connection = [
                "\(service) connection", "connecting to \(service)", "connect to \(service)", "connection refused",
                "connection timed out", "connection reset",
            ].contains { lowered.contains($0) }
            let timeout = lowered.contains("timeout") || lowered.contains("timed out")
            title = "\(name) \(connection ? "connection failure" : timeout ? "timeouts" : "failure")"
        } else {
            let oom = lowered.contains("oomkilled") || lowered.contains("out of memory")
            if oom {
                title = "Out of memory"
            } else {
                let words = primary.template.split(separator: " ").filter { !$0.contains("<*>") }.prefix(8)
                title = words.joined(separator: " ")
                if let cut = title.firstIndex(where: { $0 == ":" || $0 == "." || $0 == ";" }) {
                    title = String(title[..<cut])
                }
                title = title.trimmingCharacters(in: CharacterSet.punctuationCharacters.union(.whitespaces))
                if title.isEmpty { title = "Unclassified \(primary.severity.rawValue) error" }
                title = title.prefix(1).uppercased() + title.dropFirst()
            }
        }
        let platform = [
            ("gcp", "GCP"), ("cloud run", "GCP"), ("gke", "GKE"), ("aws", "AWS"), ("eks", "EKS"), ("azure", "Azure"),
            ("kubernetes", "Kubernetes"),
        ].first { lowered.contains($0.0) }?.1
        let place = [platform, analysis.environment].compactMap { $0 }.joined(separator: " ")
        if !place.isEmpty { title += " in " + place }
        return title
    }
}
