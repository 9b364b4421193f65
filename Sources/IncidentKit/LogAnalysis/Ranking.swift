/// Which event is the primary error (SPEC "The primary error is the cause, not the loudest
/// symptom"): signatures raise severities to their floors, then among the most severe events one
/// that is not a symptom of another (a crash loop, a unit's exit), then one that names a
/// dependency, then the one seen first, then the most frequent.
enum Ranking {
    /// How many events are matched against the signatures: every event at medium or above, and
    /// the most frequent others up to this bound (regexes cost; a log can hold thousands of events).
    static let matchBudget = 200

    static func rank(_ events: [LogAnalysis.Event], signatures: SignatureCatalog) -> [LogAnalysis.Event] {
        var events = events
        let matcher = SignatureMatcher(signatures)
        let byWeight = events.indices.sorted { a, b in
            (events[a].severity, events[a].count, events[b].id) > (events[b].severity, events[b].count, events[a].id)
        }
        let chosen = byWeight.enumerated().filter { rank, index in
            rank < matchBudget || events[index].severity >= .medium
        }.map(\.element)
        // Each event is matched on its own (the catalog's regexes are shared and thread-safe): on all cores.
        let found = events.withUnsafeBufferPointer { events in
            Parallel.map(chosen.count, minimumPerPart: 32) { position in
                clues(of: events[chosen[position]], matcher: matcher)
            }
        }
        for (index, clues) in zip(chosen, found) {
            events[index].levelSeverity = events[index].severity
            if let match = clues.match {
                events[index].signature = match.signature.id
                events[index].category = match.signature.category
                events[index].hint = match.hint
                if let floor = match.signature.severity { events[index].severity = max(events[index].severity, floor) }
                if let service = match.service { events[index].services.append(service) }
            }
            for service in clues.services where !events[index].services.contains(service) {
                events[index].services.append(service)
            }
        }
        func namesDependency(_ event: LogAnalysis.Event) -> Bool { event.signature != nil && !event.services.isEmpty }
        let symptoms = Set(signatures.signatures.filter(\.symptom).map(\.id))
        func isSymptom(_ event: LogAnalysis.Event) -> Bool { event.signature.map(symptoms.contains) ?? false }
        events.sort { a, b in
            if a.severity != b.severity { return a.severity > b.severity }
            // "Error: ImagePullBackOff" is explained by the "Failed to pull image …: denied" beside it,
            // "app.service: Main process exited" by the error the process logged itself: a symptom
            // comes after the rest of its severity even when it names the unit or pod it reports on.
            if isSymptom(a) != isSymptom(b) { return isSymptom(b) }
            if namesDependency(a) != namesDependency(b) { return namesDependency(a) }
            // An event its own software marked this severe before one a signature's floor raised.
            let ownA = a.levelSeverity >= a.severity
            let ownB = b.levelSeverity >= b.severity
            if ownA != ownB { return ownA }
            if seenBefore(a, b) { return true }
            if seenBefore(b, a) { return false }
            if a.count != b.count { return a.count > b.count }
            return a.id < b.id
        }
        promoteCause(&events, namesDependency: namesDependency)
        for index in events.indices where events[index].why.isEmpty {
            var reasons = ["\(events[index].severity.rawValue)"]
            if let signature = events[index].signature { reasons.append("signature \(signature)") }
            if namesDependency(events[index]) {
                reasons.append("names \(events[index].services.joined(separator: ", "))")
            }
            reasons.append(
                "first at " + (events[index].firstSeen.map { "\(Time.format($0)), " } ?? "") + "line \(events[index].firstLine)")
            reasons.append("\(events[index].count)×")
            events[index].why = reasons.joined(separator: "; ")
        }
        return events
    }

    /// The signature an event's text matches first, and the services its text and the frames
    /// before it name.
    private static func clues(of event: LogAnalysis.Event, matcher: SignatureMatcher)
        -> (match: Signature.Match?, services: [String])
    {
        // The head line and what continued it: a trace's "Caused by", a message on the next line.
        let text = ([event.example] + StackTrace.failingPart(of: event.detail).prefix(20)).joined(separator: "\n")
        let match = matcher.match(text) ?? matcher.match(event.template)
        // Frames just before the head line (an excerpt that starts inside a trace) name libraries too.
        let frames = event.context.reversed().prefix { $0.first == " " || $0.first == "\t" }
        let services = matcher.services(in: text + "\n" + frames.joined(separator: "\n") + " " + (event.source ?? ""))
        return (match, services)
    }

    /// Whether `a` was seen before `b`: by their first times when both have one (lines from
    /// several pods or files come one source after another, and a shuffled log is the same log),
    /// else by line.
    static func seenBefore(_ a: LogAnalysis.Event, _ b: LogAnalysis.Event) -> Bool {
        if let first = a.firstSeen, let second = b.firstSeen, first != second { return first < second }
        if a.firstLine != b.firstLine { return a.firstLine < b.firstLine }
        return false
    }

    /// The loudest event is often a symptom that names what failed ("readiness failed; failed
    /// services: [redis]") while the cause is logged one level lower, earlier ("Redis connection
    /// failed: … timed out"). When the top event names no dependency through a signature, an
    /// earlier event that does, and whose service the top event mentions, is the primary: it takes
    /// the top event's severity (the incident is as bad as its worst symptom).
    static func promoteCause(_ events: inout [LogAnalysis.Event], namesDependency: (LogAnalysis.Event) -> Bool) {
        guard let top = events.first, !namesDependency(top), top.severity >= .high else { return }
        let mentioned = Set(
            (top.example + " " + top.template).lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
                .map(String.init))
        let cause = events.indices.dropFirst().filter { index in
            let event = events[index]
            return namesDependency(event) && event.severity >= .high && !seenBefore(top, event)
                && event.services.contains(where: mentioned.contains)
        }.min { seenBefore(events[$0], events[$1]) }
        guard let index = cause else { return }
        var promoted = events.remove(at: index)
        promoted.why =
            "\(promoted.severity.rawValue), raised to \(top.severity.rawValue): the cause of '\(String(top.template.prefix(60)))'"
            + " (names \(promoted.services.joined(separator: ", ")), seen first at line \(promoted.firstLine)); signature \(promoted.signature ?? "")"
        promoted.severity = top.severity
        events.insert(promoted, at: 0)
    }
}
