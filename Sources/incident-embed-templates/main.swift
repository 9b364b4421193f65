import Foundation

// Usage: incident-embed-templates OUTPUT.swift TEMPLATE.md... [signatures.yml]
// Writes a Swift file holding each template's name and text, byte for byte, and the built-in
// failure signatures (a .yml input) as `DefaultSignatureSource.text`.
let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: incident-embed-templates OUTPUT.swift TEMPLATE.md...\n".utf8))
    exit(64)
}
var source = """
    // Generated at build time from templates/*.md and signatures.yml by incident-embed-templates. Do not edit.

    enum DefaultTemplateSources {
        static let all: [(name: String, text: String)] = [

    """
/// A Swift raw string literal holding `text` byte for byte.
func literal(_ text: String) -> String {
    // A raw string with enough #s that no sequence in the text can close it.
    var hashes = "#"
    while text.contains("\"" + hashes) || text.contains("\\" + hashes) { hashes += "#" }
    return "\(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)"
}
var signatures = ""
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    if url.pathExtension == "yml" {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            FileHandle.standardError.write(Data("\(path) is missing or not UTF-8\n".utf8))
            exit(1)
        }
        signatures = text
        continue
    }
    let data = try Data(contentsOf: url)
    guard let text = String(data: data, encoding: .utf8) else {
        FileHandle.standardError.write(Data("\(path) is not UTF-8\n".utf8))
        exit(1)
    }
    let name = url.deletingPathExtension().lastPathComponent
    source += "        (\(String(reflecting: name)), \(literal(text))),\n"
}
source += "    ]\n}\n\nenum DefaultSignatureSource {\n    static let text = \(literal(signatures))\n}\n"
try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
