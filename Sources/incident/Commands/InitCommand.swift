import ArgumentParser
import IncidentKit

extension Preset: ExpressibleByArgument {}

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Set up this repo: .incident.yml and incidents/ (safe to run twice).",
        discussion: """
            Existing files are kept as they are. The stage templates stay built in, so an upgrade brings their fixes; \
            copy one into templates/ only to change it (`incident templates eject NAME`). The config names no GitHub \
            API unless --api-url is given: the API follows the repo's host (api.github.com for github.com, \
            https://HOST/api/v3 for an Enterprise server).

            Examples:
              incident init
              incident init --api-url https://ghe.corp.example/api/v3
              incident init --eject-templates
              incident init --preset google   # impact, trigger, factors, lessons
            """)

    @Option(
        name: .customLong("api-url"),
        help: ArgumentHelp("Write github.api_url: only to override the API the repo's host implies.", valueName: "url"))
    var apiURL: String?

    @Flag(
        name: .customLong("eject-templates"),
        help: "Also copy every built-in template into templates/ to edit (they then no longer follow upgrades).")
    var ejectTemplates = false

    @Option(
        help: ArgumentHelp(
            "A stage set after a known postmortem template: google, pagerduty, atlassian or minimal (default: identify → five-whys → test-plan → issue → fix → verify).",
            valueName: "name"))
    var preset: Preset?

    @Flag(help: "Print {root, created, kept, api_url, warnings} as JSON.") var json = false

    @OptionGroup var globals: GlobalOptions

    /// What the arguments ask of the workflow.
    func request() -> (directory: String?, apiURL: String?, preset: Preset?, ejectTemplates: Bool) {
        (globals.dir, apiURL, preset, ejectTemplates)
    }

    func run() throws {
        try Live.perform(globals) { live in
            let request = request()
            let result = try InitWorkflow(env: live.env).run(
                directory: request.directory, apiURL: request.apiURL, preset: request.preset,
                ejectTemplates: request.ejectTemplates)
            for warning in result.warnings { live.warn(warning) }
            if json {
                live.json(result.toValue())
                return
            }
            for path in result.created { live.out("created  \(path)") }
            for path in result.kept { live.out("kept     \(path)") }
            live.out("\nNext: incident new --from-log FILE   (or: kubectl logs POD | incident new --from-log -)")
        }
    }
}
