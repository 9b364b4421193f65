import Foundation
import IncidentKit

/// A prompter that answers from a script, in order, and records every question. Running out of
/// answers is a cancellation, as end of input is on a terminal.
public final class ScriptedPrompter: Prompter, @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [String]
    public private(set) var questions: [String] = []
    public private(set) var shown: [String] = []

    public init(_ answers: [String]) { self.answers = answers }

    public var remaining: [String] { lock.withLock { answers } }

    private func next(_ question: String) throws -> String {
        try lock.withLock {
            questions.append(question)
            guard !answers.isEmpty else { throw IncidentError.cancelled("input ended; nothing was written.") }
            return answers.removeFirst()
        }
    }

    public func line(_ question: String, help: String?, defaultValue: String?) throws -> String {
        let answer = try next(question)
        return answer.isEmpty ? (defaultValue ?? "") : answer
    }

    public func text(_ question: String, help: String?) throws -> String { try next(question) }

    public func choose(_ question: String, options: [String], defaultIndex: Int?) throws -> Int {
        let answer = try next(question)
        if answer.isEmpty, let defaultIndex { return defaultIndex }
        if let index = options.firstIndex(of: answer) { return index }
        throw IncidentError.usage("scripted answer '\(answer)' is not one of \(options)")
    }

    public func choose(_ question: String, options: [String], defaultIndex: Int?, optional: Bool) throws -> Int? {
        let answer = try next(question)
        if answer.isEmpty, let defaultIndex { return defaultIndex }
        if answer.isEmpty && optional { return nil }
        if let index = options.firstIndex(of: answer) { return index }
        throw IncidentError.usage("scripted answer '\(answer)' is not one of \(options)")
    }

    public func chooseMany(_ question: String, options: [String]) throws -> [Int] {
        let answer = try next(question)
        return answer.split(separator: ",").compactMap { options.firstIndex(of: String($0)) }
    }

    public func confirm(_ question: String, defaultYes: Bool) throws -> Bool {
        let answer = try next(question)
        return answer.isEmpty ? defaultYes : answer.lowercased().hasPrefix("y")
    }

    public func show(_ text: String) { lock.withLock { shown.append(text) } }
}
