import Foundation
import OrderedCollections

/// Answers typed for a stage that did not complete (a cancel, a failed gate, an editor that failed),
/// kept under `incident/drafts/` in the repo's git folder (in a linked worktree, the folder its
/// `.git` file names, so a draft never lands in the work tree), or `incidents/.drafts/` outside
/// git, mode 0600, until the stage completes. The next `advance` of that stage offers to start from it.
public struct Drafts: Sendable {
    let workspace: Workspace

    public init(workspace: Workspace) { self.workspace = workspace }

    var folder: String {
        workspace.store.gitFolder.map { $0 + "/incident/drafts" } ?? workspace.store.folder + "/.drafts"
    }

    public func path(id: String, stage: String) -> String { folder + "/\(id)-\(stage).yml" }

    /// The path as the user reads it, relative to the repo root.
    public func shown(id: String, stage: String) -> String {
        let full = path(id: id, stage: stage)
        return full.hasPrefix(workspace.root + "/") ? String(full.dropFirst(workspace.root.count + 1)) : full
    }

    /// Keeps `answers` (nothing when they are all blank); never throws: a draft is best effort.
    @discardableResult
    public func keep(_ answers: Answers, id: String, stage: String) -> Bool {
        guard answers.values.contains(where: { !$0.isBlank }) else { return false }
        // Secrets are redacted before anything is stored, drafts included.
        var counts = OrderedDictionary<String, Int>()
        let redactor = try? Redactor(config: workspace.config)
        let answers = redactor.map { redactor in answers.mapValues { redactor.redact($0, counts: &counts) } } ?? answers
        return keep(
            text: "# Draft answers for \(id), stage \(stage) (incident advance \(id) offers them).\n"
                + YAML.emit(answers), id: id, stage: stage)
    }

    /// What to throw when a stage's answers stopped short of being written: edited text or typed
    /// answers are kept, and the error says where and how to pick them up (`resume` is the command
    /// that offers the draft). Any other error, or nothing to keep, is passed on as it is.
    public func keep(after error: any Error, typed: Answers, id: String, stage: String, resume: String) -> any Error {
        if let edited = error as? EditedAnswersError {
            keep(text: edited.text, id: id, stage: stage)
            return IncidentError.usage(
                "\(edited.problem); nothing was written. The edited text is kept in \(shown(id: id, stage: stage)); `\(resume) --edit` opens it again."
            )
        }
        if let failure = error as? IncidentError, keep(typed, id: id, stage: stage) {
            return failure.noting(
                "Your answers are kept in \(shown(id: id, stage: stage)); `\(resume)` offers to start from them.")
        }
        return error
    }

    /// Keeps text as it was edited (answers YAML that may not parse yet).
    @discardableResult
    public func keep(text: String, id: String, stage: String) -> Bool {
        let fileSystem = workspace.env.fileSystem
        do {
            try fileSystem.createDirectory(folder)
            try fileSystem.writePrivately(Data(text.utf8), to: path(id: id, stage: stage))
            Interrupts.keptDraft()
            return true
        } catch {
            return false
        }
    }

    /// The draft's text, if there is one.
    public func text(id: String, stage: String) -> String? {
        guard let data = try? workspace.env.fileSystem.read(path(id: id, stage: stage)) else { return nil }
        return String(validatingUTF8Data: data)
    }

    public func discard(id: String, stage: String) {
        try? workspace.env.fileSystem.remove(path(id: id, stage: stage))
    }
}
