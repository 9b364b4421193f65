import Foundation

// Usage: incident-embed-templates OUTPUT.swift TEMPLATE.md...
// Writes a Swift file holding each template's name and text, byte for byte.
let arguments = CommandLine.arguments.dropFirst()
guard let output = arguments.first else {
    FileHandle.standardError.write(Data("usage: incident-embed-templates OUTPUT.swift TEMPLATE.md...\n".utf8))
    exit(64)
}
var source = """
    // Generated at build time from templates/*.md by incident-embed-templates. Do not edit.

    enum DefaultTemplateSources {
        static let all: [(name: String, text: String)] = [

    """
for path in arguments.dropFirst() {
    let url = URL(fileURLWithPath: path)
    let data = try Data(contentsOf: url)
    guard let text = String(data: data, encoding: .utf8) else {
        FileHandle.standardError.write(Data("\(path) is not UTF-8\n".utf8))
        exit(1)
    }
    // A raw string with enough #s that no sequence in the text can close it.
    var hashes = "#"
    while text.contains("\"" + hashes) || text.contains("\\" + hashes) { hashes += "#" }
    let name = url.deletingPathExtension().lastPathComponent
    source += "        (\(String(reflecting: name)), \(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)),\n"
}
source += "    ]\n}\n"
try Data(source.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
