import Foundation
import IncidentKit

extension Live {
    /// Flushes what `print` buffered and fails when standard output could not take it all (a full
    /// disk, `> /dev/full`): a result that never arrived is not a success. (`fflush(nil)` flushes
    /// every stream: Swift 6 does not let code name C's `stdout`.)
    func finishOutput(_ what: String) throws {
        if let failed = Self.keptLock.withLock({ Self.outputError }) {
            throw IncidentError.failure(
                "standard output could not be written (\(String(cString: strerror(failed)))); \(what).")
        }
        errno = 0
        if fflush(nil) != 0 {
            let reason = errno != 0 ? String(cString: strerror(errno)) : "write error"
            throw IncidentError.failure("standard output could not be written (\(reason)); \(what).")
        }
    }
}
