import ArgumentParser
import Foundation
import IncidentKit

struct SignaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signatures",
        abstract: "The failure signatures: known failure shapes that set category, service, severity and a hint.",
        discussion: """
            Built-in signatures are compiled in; a signatures.yml beside .incident.yml adds entries (checked first) or \
            replaces one by id. Each entry: id, match (a regex on an event's line), category, service (a name or $1), \
            severity (a floor) and hint.

            Examples:
              incident signatures list
              incident signatures show redis-connection-refused
              incident signatures test app.log   # which signatures matched which events
            """,
        subcommands: [List.self, Show.self, Test.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the signatures in force, most specific first.")
        @Flag(help: "Print them as a JSON array.") var json = false
        @OptionGroup var globals: GlobalOptions

        func run() throws {
            try Live.perform(globals) { live in
                let catalog = try SignaturesWorkflow(workspace: try live.workspace()).catalog()
                if json {
                    live.json(.array(catalog.signatures.map(SignaturesWorkflow.value)))
                    return
                }
                let width = catalog.signatures.map(\.id.count).max() ?? 2
                live.out(live.paint("ID".padding(toLength: width + 2, withPad: " ", startingAt: 0) + "CATEGORY             SEVERITY  SERVICE", 1))
                for signature in catalog.signatures {
                    live.out(
                        signature.id.padding(toLength: width + 2, withPad: " ", startingAt: 0)
                            + signature.category.padding(toLength: 21, withPad: " ", startingAt: 0)
                            + (signature.severity?.rawValue ?? "-").padding(toLength: 10, withPad: " ", startingAt: 0)
                            + (signature.service ?? "-") + (signature.origin == "built-in" ? "" : "  (\(signature.origin))"))
                }
                live.out("\(catalog.signatures.count) signatures")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one signature.")
        @Argument(help: "The signature's id.") var id: String
        @Flag(help: "Print it as JSON.") var json = false
        @OptionGroup var globals: GlobalOptions

        func run() throws {
            try Live.perform(globals) { live in
                let signature = try SignaturesWorkflow(workspace: try live.workspace()).show(id)
                if json {
                    live.json(SignaturesWorkflow.value(signature))
                    return
                }
                live.out(live.paint(signature.id, 1) + "  (\(signature.origin))")
                live.out("category: \(signature.category)")
                live.out("severity: \(signature.severity?.rawValue ?? "-") (a floor)")
                live.out("service:  \(signature.service ?? "-")")
                live.out("match:    \(signature.match)")
                live.out("hint:     \(signature.hint)")
                for example in signature.examples { live.out("example:  \(example)") }
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Analyse a log and show which signatures matched which events, and why.")
        @Argument(help: "The log file, or - for standard input.") var source: String
        @Flag(help: "Print the matches as JSON.") var json = false
        @OptionGroup var globals: GlobalOptions

        /// The log to test: `-` is standard input.
        func request() -> LogSource { LogSource(argument: source) }

        func run() throws {
            try Live.perform(globals) { live in
                let result = try SignaturesWorkflow(workspace: try live.workspace()).test(source: request())
                if json {
                    live.json(result)
                    return
                }
                let matches = result["matches"]?.array ?? []
                for match in matches {
                    live.out(
                        live.paint(match["id"]?.string ?? "", 1)
                            + "  \(match["category"]?.string ?? "")  severity ≥ \(match["severity"]?.string ?? "-")")
                    live.out("  hint: \(match["hint"]?.string ?? "")")
                    for event in match["events"]?.array ?? [] {
                        live.out("  \(event["count"]?.int ?? 0)×  \(event["template"]?.string ?? "")")
                        if let matched = event["matched"]?.string { live.out("      matched: \(matched)") }
                    }
                }
                let unmatched = result["unmatched_events"]?.int ?? 0
                live.out(
                    "\(matches.count) signature\(matches.count == 1 ? "" : "s") matched; \(unmatched) event\(unmatched == 1 ? "" : "s") matched none.")
            }
        }
    }
}
