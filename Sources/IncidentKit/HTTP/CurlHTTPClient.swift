import CCurl
import Foundation

/// HTTP over libcurl: timeouts, proxies from the environment, a custom CA bundle, compressed
/// responses and HTTP/2 where offered. The only file that imports the C shim.
///
/// `send` blocks the calling thread for the whole exchange: call it from a command's thread or a
/// dedicated one, never from the Swift concurrency pool.
public struct CurlHTTPClient: HTTPClient {
    /// `--cacert` or `SSL_CERT_FILE` (libcurl does not read that variable itself).
    public var caFile: String?
    /// `https_proxy` / `HTTPS_PROXY` (and `http_proxy` for plain http), passed explicitly.
    public var httpsProxy: String?
    public var httpProxy: String?
    public var noProxy: String?

    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    public init(caFile: String? = nil, httpsProxy: String? = nil, httpProxy: String? = nil, noProxy: String? = nil) {
        self.caFile = caFile
        self.httpsProxy = httpsProxy
        self.httpProxy = httpProxy
        self.noProxy = noProxy
    }

    /// Settings from environment variables, as curl and gh read them; `cacert` wins over SSL_CERT_FILE.
    public init(variables: [String: String], cacert: String?) {
        func first(_ names: String...) -> String? {
            names.lazy.compactMap { variables[$0] }.first { !$0.isEmpty }
        }
        self.init(
            caFile: cacert ?? first("SSL_CERT_FILE"), httpsProxy: first("https_proxy", "HTTPS_PROXY"),
            httpProxy: first("http_proxy"), noProxy: first("no_proxy", "NO_PROXY"))
    }

    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        guard Self.globalInit, let handle = curl_easy_init() else {
            throw HTTPTransportError(kind: .other, message: "libcurl could not be initialised.")
        }
        defer { curl_easy_cleanup(handle) }
        let exchange = Exchange()
        var errorBuffer = [CChar](repeating: 0, count: ccurl_error_size())
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        _ = ccurl_setopt_string(handle, CURLOPT_URL, request.url)
        _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout * 1000))
        _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        _ = ccurl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")  // every encoding libcurl supports
        _ = ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS)
        _ = ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        if let caFile { _ = ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
        let proxy = request.url.lowercased().hasPrefix("https:") ? httpsProxy : httpProxy
        // An explicit empty proxy stops libcurl from reading proxy variables we did not pass.
        _ = ccurl_setopt_string(handle, CURLOPT_PROXY, proxy ?? "")
        if let noProxy { _ = ccurl_setopt_string(handle, CURLOPT_NOPROXY, noProxy) }

        switch request.method {
        case "GET": _ = ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "HEAD": _ = ccurl_setopt_long(handle, CURLOPT_NOBODY, 1)
        default: _ = ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let body = request.body {
            _ = ccurl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            body.withUnsafeBytes { bytes in
                _ = ccurl_setopt_pointer(
                    handle, CURLOPT_COPYPOSTFIELDS,
                    UnsafeMutableRawPointer(mutating: bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
            }
        }
        // No "Expect: 100-continue" round trip on small JSON bodies.
        for (name, value) in request.headers + [("Expect", "")] {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        _ = ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)

        let box = Unmanaged.passRetained(exchange)
        defer { box.release() }
        _ = ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, box.toOpaque())
        _ = ccurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, userdata in
            let exchange = Unmanaged<Exchange>.fromOpaque(userdata!).takeUnretainedValue()
            exchange.body.append(UnsafeRawPointer(data!).assumingMemoryBound(to: UInt8.self), count: size * count)
            return size * count
        }
        _ = ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, box.toOpaque())
        _ = ccurl_setopt_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, userdata in
            let exchange = Unmanaged<Exchange>.fromOpaque(userdata!).takeUnretainedValue()
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
            exchange.header(line)
            return size * count
        }

        let started = Date()
        let code = errorBuffer.withUnsafeMutableBufferPointer { buffer -> CURLcode in
            _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            return curl_easy_perform(handle)
        }
        let duration = Date().timeIntervalSince(started)
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            throw HTTPTransportError(kind: Self.kind(of: code), message: Self.plain(code, message, url: request.url))
        }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var version = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_HTTP_VERSION, &version)
        return HTTPResponse(
            status: status, headers: exchange.headers, body: exchange.body, duration: duration,
            httpVersion: version == CURL_HTTP_VERSION_2_0 ? "2" : "1.1")
    }

    static func kind(of code: CURLcode) -> HTTPTransportError.Kind {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
            CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .connect
        case CURLE_OPERATION_TIMEDOUT, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
            CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .unknownOutcome
        default:
            return .other
        }
    }

    /// libcurl's error text turned into one plain sentence naming the host.
    static func plain(_ code: CURLcode, _ detail: String, url: String) -> String {
        let host = URLComponents(string: url)?.host ?? url
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST:
            return "could not resolve \(host) (\(detail)); check the network or the API URL."
        case CURLE_COULDNT_CONNECT: return "could not connect to \(host) (\(detail))."
        case CURLE_OPERATION_TIMEDOUT: return "the request to \(host) timed out (\(detail))."
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            return
                "the TLS certificate of \(host) could not be verified (\(detail)); pass --cacert FILE or set SSL_CERT_FILE for a private CA."
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR: return "\(host) closed the connection without a response (\(detail))."
        default: return "the request to \(host) failed: \(detail)."
        }
    }
}

/// What libcurl's callbacks collect for one request.
private final class Exchange {
    var body = Data()
    var headers: [String: String] = [:]

    func header(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            headers = [:]  // a new response (after 100 Continue or a proxy's CONNECT reply)
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = trimmed[..<colon].lowercased()
        headers[name] = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
}
