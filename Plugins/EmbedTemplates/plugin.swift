import Foundation
import PackagePlugin

/// Compiles the package's top-level `templates/*.md` and `signatures.yml` into Swift source, so an
/// installed binary carries its default templates and failure signatures and needs no resource folder.
@main
struct EmbedTemplates: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = context.package.directoryURL.appending(path: "templates")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".md") }
            .sorted()
        let signatures = context.package.directoryURL.appending(path: "signatures.yml")
        let inputs = names.map { folder.appending(path: $0) } + [signatures]
        let output = context.pluginWorkDirectoryURL.appending(path: "DefaultTemplates.generated.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(names.count) default templates",
                executable: try context.tool(named: "incident-embed-templates").url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
