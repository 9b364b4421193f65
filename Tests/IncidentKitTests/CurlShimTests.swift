import CCurl
import Foundation
import IncidentTestSupport
import Testing

/// Collects the bytes libcurl hands to the write callback.
final class Sink {
    var data = Data()
}

@Suite struct CurlShimTests {
    @Test func typedWrappersDriveTheRealLibcurl() throws {
        let repo = try TestRepo(git: false)
        try repo.write("payload.txt", "hello from libcurl\n")
        #expect(curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK)
        let handle = try #require(curl_easy_init())
        defer { curl_easy_cleanup(handle) }
        let sink = Sink()
        var errorBuffer = [CChar](repeating: 0, count: ccurl_error_size())
        #expect(ccurl_setopt_string(handle, CURLOPT_URL, "file://" + repo.path("payload.txt")) == CURLE_OK)
        #expect(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1) == CURLE_OK)
        #expect(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque()) == CURLE_OK)
        let callback: ccurl_data_callback = { data, size, count, userdata in
            let sink = Unmanaged<Sink>.fromOpaque(userdata!).takeUnretainedValue()
            sink.data.append(UnsafeRawPointer(data!).assumingMemoryBound(to: UInt8.self), count: size * count)
            return size * count
        }
        #expect(ccurl_setopt_callback(handle, CURLOPT_WRITEFUNCTION, callback) == CURLE_OK)
        let code = errorBuffer.withUnsafeMutableBufferPointer { buffer -> CURLcode in
            _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            return curl_easy_perform(handle)
        }
        #expect(code == CURLE_OK)
        #expect(String(decoding: sink.data, as: UTF8.self) == "hello from libcurl\n")
        var size: curl_off_t = 0
        #expect(ccurl_getinfo_off_t(handle, CURLINFO_SIZE_DOWNLOAD_T, &size) == CURLE_OK)
        #expect(size == 19)

        // A missing file fails with libcurl's own message in the error buffer.
        _ = ccurl_setopt_string(handle, CURLOPT_URL, "file://" + repo.path("missing.txt"))
        let failure = errorBuffer.withUnsafeMutableBufferPointer { buffer -> (CURLcode, String) in
            _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
            let code = curl_easy_perform(handle)
            return (code, String(cString: buffer.baseAddress!))
        }
        #expect(failure.0 == CURLE_FILE_COULDNT_READ_FILE)
        #expect(failure.1.contains("missing.txt"))
    }
}
