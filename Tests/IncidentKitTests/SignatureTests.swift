import Foundation
import IncidentTestSupport
import Testing

@testable import IncidentKit

/// The failure-signature catalog (SPEC "Failure signatures") and how analysis uses it.
@Suite struct SignatureTests {
    @Test func everyBuiltInSignatureMatchesItsExamplesFirstAndNoneOfItsCounterexamples() {
        let catalog = SignatureCatalog.builtIn
        #expect(catalog.signatures.count >= 60)
        for signature in catalog.signatures {
            #expect(!signature.examples.isEmpty, "\(signature.id) has no test line")
            #expect(!signature.hint.isEmpty, "\(signature.id) has no hint")
            for example in signature.examples {
                // The first match in catalog order must be this signature: no other shadows it.
                #expect(catalog.match(example)?.signature.id == signature.id, "\(signature.id): \(example)")
            }
            for counter in signature.counterexamples {
                #expect(signature.match(counter) == nil, "\(signature.id) matched its counterexample: \(counter)")
            }
        }
    }

    @Test func theCatalogSpansTheStacksItShould() {
        let categories = Set(SignatureCatalog.builtIn.signatures.map(\.category))
        for category in ["connectivity", "dns", "tls", "timeout", "oom", "crash-loop", "auth", "disk", "quorum"] {
            #expect(categories.contains(category), "no \(category) signature")
        }
    }

    @Test func aRepoFileAddsSignaturesFirstAndReplacesByID() throws {
        let repo = try TestRepo()
        try repo.write(
            "signatures.yml",
            """
            services:
              ports: {"7777": ledger}
            signatures:
              - id: ledger-down
                match: '(?i)ledger service unavailable'
                category: dependency-down
                service: ledger
                severity: critical
                hint: "the ledger is down: page the payments team"
                examples: ["ERROR ledger service unavailable"]
              - id: \(SignatureCatalog.builtIn.signatures[0].id)
                match: 'never matches anything 12345'
                category: other
                hint: replaced
            """)
        let catalog = try SignatureCatalog.load(root: repo.root, fileSystem: LocalFileSystem())
        #expect(catalog.signatures.first?.id == "ledger-down")
        #expect(catalog.signatures.count == SignatureCatalog.builtIn.signatures.count + 1)
        #expect(catalog.signatures.first { $0.id == SignatureCatalog.builtIn.signatures[0].id }?.hint == "replaced")
        #expect(catalog.services(in: "dial tcp 10.0.0.9:7777: i/o timeout") == ["ledger"])

        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date(), signatures: catalog).analyze(
            Data("2025-09-09 02:25:04 INFO ledger service unavailable for tx 42\n".utf8))
        #expect(analysis.primary?.signature == "ledger-down")
        #expect(analysis.severity == .critical, "a signature's floor raises an INFO line")
        #expect(analysis.services == ["ledger"])
    }

    @Test func aBrokenRepoFileIsOneSentence() throws {
        let repo = try TestRepo()
        try repo.write("signatures.yml", "signatures:\n  - id: x\n    match: '(unclosed'\n")
        #expect {
            try SignatureCatalog.load(root: repo.root, fileSystem: LocalFileSystem())
        } throws: { error in
            "\(error)".contains("signature 'x'") && "\(error)".contains("not a valid regex")
        }
    }

    @Test func servicesComeFromSchemesPortsAndClientLibrariesNotFromClocks() {
        let catalog = SignatureCatalog.builtIn
        #expect(catalog.services(in: "could not connect to postgres://svc@db.internal/app") == ["postgres"])
        #expect(catalog.services(in: "dial tcp 10.0.0.5:6379: connect: connection refused") == ["redis"])
        #expect(catalog.services(in: "connecting to [::1]:5432 failed") == ["postgres"])
        #expect(catalog.services(in: "at io.lettuce.core.RedisClient.connect(RedisClient.java:216)") == ["redis"])
        #expect(catalog.services(in: "psycopg2.OperationalError: server closed the connection") == ["postgres"])
        // 02:25:53 is a time, 1.5432 a number, 16379 another port: none of them is a service.
        #expect(catalog.services(in: "retry at 02:25:53 after 1.5432 s on port 16379").isEmpty)
    }

    @Test func aSymptomSignatureYieldsToTheEventThatExplainsIt() throws {
        // Kubernetes events: the back-off comes first, the refused pull that explains it later.
        let log = """
              Warning  Failed   12s (x2 over 13s)  kubelet  Error: ImagePullBackOff
              Normal   Pulling  2s (x2 over 14s)   kubelet  Pulling image "registry.example.com/shop/web:1.4"
              Warning  Failed   1s (x2 over 14s)   kubelet  Failed to pull image "registry.example.com/shop/web:1.4": rpc error: code = Unknown desc = denied: requested access to the resource is denied

            """
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(log.utf8))
        let primary = try #require(analysis.primary)
        #expect(primary.signature == "registry-pull-auth-failed", "\(primary.template)")
        #expect(analysis.events.contains { $0.signature == "k8s-image-pull-failed" })
        #expect(SignatureCatalog.builtIn.signatures.first { $0.id == "k8s-image-pull-failed" }?.symptom == true)

        let repo = try TestRepo()
        try repo.write("signatures.yml", "signatures:\n  - id: x\n    match: 'x'\n    symptom: maybe\n")
        #expect {
            try SignatureCatalog.load(root: repo.root, fileSystem: LocalFileSystem())
        } throws: { error in
            "\(error)".contains("signature 'x' has symptom 'maybe', not true or false")
        }
    }

    @Test func theCauseOutranksTheLouderSymptomItNames() throws {
        let log = """
            2025-09-09 02:25:01 INFO app starting
            2025-09-09 02:25:09 ERROR db pool: dial tcp 10.0.0.7:5432: connect: connection refused
            2025-09-09 02:25:11 CRITICAL startup failed: dependency postgres is not ready
            2025-09-09 02:26:09 ERROR db pool: dial tcp 10.0.0.7:5432: connect: connection refused
            2025-09-09 02:26:11 CRITICAL startup failed: dependency postgres is not ready

            """
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(log.utf8))
        let primary = try #require(analysis.primary)
        #expect(primary.template.contains("connection refused"), "\(primary.template)")
        #expect(primary.severity == .critical)
        #expect(primary.category == "connectivity")
        #expect(analysis.services.first == "postgres")
        #expect(primary.why.contains("the cause of"))
        // Without a named dependency, the loudest event stays primary.
        let other = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(
            Data("2025-09-09 02:25:09 ERROR cache warmup slow\n2025-09-09 02:25:11 CRITICAL disk array degraded\n".utf8))
        #expect(other.primary?.template.contains("disk array degraded") == true)
    }

    @Test func amongEquallySevereEventsTheFirstSeenWinsOverTheMostFrequent() throws {
        var log = "2025-09-09 02:25:01 ERROR job 7 failed: upstream returned garbage\n"
        for index in 0..<20 { log += "2025-09-09 02:25:\(10 + index) ERROR request \(index) rejected by the filter\n" }
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(log.utf8))
        #expect(analysis.primary?.template.contains("failed: upstream returned garbage") == true)
        #expect(analysis.primary?.firstLine == 1)
    }
}

/// SPEC "Excerpt" and messages that sit on the line after their header.
@Suite struct ExcerptTests {
    @Test func theExcerptIsTheFirstOccurrenceWithItsContextAndWholeTrace() throws {
        var log = ""
        for index in 1...7 { log += "2025-09-09 02:25:0\(index) INFO step \(index) done\n" }
        log += """
            2025-09-09 02:25:08 ERROR job failed
            Traceback (most recent call last):
              File "/app/billing/charge.py", line 88, in charge_card
                raise PaymentError(reason)
            billing.errors.PaymentError: card declined for token=hunter2hunter2
            2025-09-09 02:25:09 INFO step 8 done
            2025-09-09 02:26:08 ERROR job failed
            Traceback (most recent call last):
              File "/app/billing/charge.py", line 88, in charge_card
            billing.errors.PaymentError: second time

            """
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(log.utf8))
        let excerpt = try #require(analysis.excerpt).split(separator: "\n").map(String.init)
        #expect(excerpt.count == 5 + 1 + 4, "\(excerpt)")
        #expect(excerpt.first == "2025-09-09 02:25:03 INFO step 3 done")
        #expect(excerpt[5] == "2025-09-09 02:25:08 ERROR job failed")
        #expect(excerpt.last?.hasPrefix("billing.errors.PaymentError: card declined") == true, "the first occurrence's")
        #expect(!excerpt.joined().contains("hunter2"), "redacted")
    }

    @Test func aHeaderWithoutAMessageTakesItFromTheNextLine() throws {
        let log = """
            info: Microsoft.Hosting.Lifetime[0]
                  Now listening on: http://localhost:5000
            crit: Microsoft.AspNetCore.Hosting.Diagnostics[6]
                  Application startup exception
                  Npgsql.NpgsqlException (0x80004005): Failed to connect to 10.0.0.7:5432
                     at Npgsql.Internal.NpgsqlConnector.Connect(NpgsqlTimeout timeout)
            2024-05-28T15:19:15-0400 - celery.backends.redis - CRITICAL [redis.py:132 - reconnect_on_error()]
            Retry limit exceeded while trying to reconnect to the Celery redis result store backend.

            """
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(log.utf8))
        let templates = analysis.events.map(\.template)
        #expect(templates.contains { $0.contains("Application startup exception") }, "\(templates)")
        #expect(templates.contains { $0.contains("Retry limit exceeded") }, "\(templates)")
        #expect(!templates.contains { $0.trimmingCharacters(in: .whitespaces).isEmpty }, "no event without words")
        #expect(analysis.severity == .critical)
        #expect(analysis.services.contains("postgres"), "the port in the continued trace")
        // Every input line still has an event row.
        let rows = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(log.utf8)).lineEvents
        #expect(rows.count == 8)
    }
}

/// Shapes of real pasted logs (issue 7's corpus, dev half): each rule general, none keyed to one system.
@Suite struct PastedLogShapeTests {
    func analyze(_ text: String) throws -> LogAnalysis {
        LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(text.utf8))
    }

    @Test func dockerComposePrefixesAreContainerNamesNotMessages() throws {
        let analysis = try analyze(
            """
            api-1     | 2025-09-09 02:25:04 ERROR config load failed
            api-1     | Traceback (most recent call last):
            api-1     |   File "/app/svc/config.py", line 170, in create
            api-1     |   File "/usr/local/lib/python3.10/site-packages/redis/connection.py", line 665, in _connect
            api-1     | ConnectionRefusedError: [Errno 111] Connection refused
            worker_2  | 2025-09-09 02:25:05 INFO idle

            """)
        let primary = try #require(analysis.primary)
        #expect(primary.template == "config load failed", "\(analysis.events.map(\.template))")
        #expect(primary.category == "connectivity", "the exception at the end of its trace")
        #expect(primary.source == "svc/config.py:170")
        #expect(analysis.services.first == "redis", "the package directory in the trace")
        #expect(analysis.services.contains("api-1") && analysis.services.contains("worker_2"))
        #expect(analysis.events.allSatisfy { !$0.template.contains("|") })
    }

    @Test func anExcerptThatStartsInsideATraceEndsWithItsException() throws {
        let analysis = try analyze(
            """
                lambda: self._connect(), lambda error: self.disconnect(error)
              File "/app/common/config.py", line 170, in create
                sock.connect(socket_address)
            ConnectionRefusedError: [Errno 111] Connection refused

            """)
        #expect(analysis.primary?.template.contains("Connection refused") == true)
        #expect(analysis.primary?.severity == .high)
    }

    @Test func anIndentedLineWithItsOwnTimeIsANewEventOutsideATrace() throws {
        let analysis = try analyze(
            """
            -- | --
              | 2022-10-04T12:23:01.595-04:00 | [INFO] Create kube config file.
              | 2022-10-04T12:23:04.626-04:00 | Task timed out after 3.03 seconds

            """)
        #expect(analysis.events.count >= 2, "\(analysis.events.map(\.template))")
    }

    @Test func aHeaderFollowedOnlyByBracketedContextTakesTheNextLineAsItsMessage() throws {
        let analysis = try analyze(
            """
            2024-05-28T15:19:15-0400 - celery.backends.redis - CRITICAL {Dummy-1} [pid:2] [redis.py:132 - reconnect()]
            Retry limit exceeded while trying to reconnect to the Celery redis result store backend.

            """)
        #expect(analysis.primary?.template.contains("Retry limit exceeded") == true, "\(analysis.events.map(\.template))")
        #expect(analysis.severity == .critical)
    }
}

@Suite struct KubernetesEventTableTests {
    @Test func eventRowsAreEventsWithTheirTypeAsLevelAndTheirRepeatCount() throws {
        let log = """
            Events:
              Type     Reason     Age                From               Message
              ----     ------     ----               ----               -------
              Normal   Scheduled  2m                 default-scheduler  Successfully assigned default/api-7f9 to node-1
              Normal   Pulled     90s (x4 over 2m)   kubelet            Container image "api:1.2" already present on machine
              Warning  BackOff    10s (x9 over 2m)   kubelet            Back-off restarting failed container api in pod api-7f9
            LAST SEEN   TYPE      REASON    OBJECT        MESSAGE
            12s         Warning   Unhealthy pod/api-7f9   Readiness probe failed: HTTP probe failed with statuscode: 503

            """
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(log.utf8))
        let primary = try #require(analysis.primary)
        #expect(primary.template.contains("Back-off restarting failed container"), "\(analysis.events.map(\.template))")
        #expect(primary.count == 9, "x9 is nine occurrences")
        #expect(primary.severity == .high && primary.category == "crash-loop")
        let pulled = analysis.events.first { $0.template.contains("already present") }
        #expect(pulled?.severity == .low && pulled?.count == 4)
        #expect(analysis.events.contains { $0.template.contains("Readiness probe failed") && $0.severity == .high })
    }
}

@Suite struct BoundedAnalysisTests {
    @Test func pastTheShapeBoundLowLevelLinesShareOneEventAndErrorsAreStillMined() throws {
        var log = ""
        // Words without digits, different on every line: each line is a shape of its own.
        func word(_ number: Int) -> String {
            String(String(number * 7919 + 104_729, radix: 26).map { Character(Unicode.Scalar(UInt8($0.hexDigitValue ?? 0) + 97)) })
        }
        for index in 0..<300 { log += "2025-09-09 02:25:04 INFO \(word(index)) \(word(index + 1000)) \(word(index + 2000))\n" }
        log += "2025-09-09 02:26:00 ERROR payment gateway refused the charge\n"
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date(), maxShapes: 20).analyze(Data(log.utf8))
        #expect(analysis.unminedLines > 0)
        #expect(analysis.events.contains { $0.template == "<rare lines>" })
        #expect(analysis.primary?.template == "payment gateway refused the charge")
        #expect(analysis.lineEvents.count == 301)
    }
}

@Suite struct FuzzFoundAnalyzerTests {
    /// `make fuzz` (analyzer target): a JSON timestamp too large for Int64 crashed the analysis.
    @Test func aHugeNumericTimestampIsNoTimeNotACrash() throws {
        let log = "{\"time\":1e30,\"msg\":\"x\"}\n{\"ts\":-1e19,\"msg\":\"y\"}\n{\"time\":1757385611,\"msg\":\"z\"}\n"
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(log.utf8))
        #expect(analysis.lines == 3)
        #expect(analysis.events.contains { $0.firstSeen != nil })
    }
}

/// Issue 7, general classes of mistake found on logs nobody tuned for (bench/excerpts dev set):
/// a level the software gave its own line, the unit lines systemd writes about a process that
/// logged its own error, a label pasted above an exception, a server's own packages.
@Suite struct UnseenLogClassTests {
    func analyze(_ log: String) throws -> LogAnalysis {
        LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(log.utf8))
    }

    @Test func aWarningWithTheExceptionItToleratedStaysAWarning() throws {
        let warned = try analyze(
            """
            2024-03-01 10:00:00,001 - WARN  [worker-3:Pump@88] - peer went away, will retry
            BrokenPipeError: peer closed the stream
            \tat org.acme.pump.Pump.read(Pump.java:120)
            2024-03-01 10:00:01,001 - INFO  [worker-3:Pump@90] - reconnected

            """)
        #expect(warned.primary?.template.contains("peer went away") == true, "\(warned.events.map(\.template))")
        #expect(warned.severity == .medium)
        // A trace under a line with no level at all is an error.
        let bare = try analyze("pump stopped\nBrokenPipeError: peer closed the stream\n\tat org.acme.pump.Pump.read(Pump.java:120)\n")
        #expect(bare.severity == .high)
    }

    @Test func aUnitsExitYieldsToTheErrorItsProcessLoggedAndNamesTheUnit() throws {
        let log = """
            Apr 22 11:33:01 host-1 web-hooks[7742]: Exception: could not reach the admin API at 127.0.0.1:80: [Errno 111] Connection refused
            Apr 22 11:33:01 host-1 systemd[1]: webgate.service: Control process exited, code=exited, status=1/FAILURE
            Apr 22 11:33:01 host-1 systemd[1]: webgate.service: Failed with result 'exit-code'.
            Apr 22 11:33:01 host-1 systemd[1]: Failed to start Web gate.

            """
        let analysis = try analyze(log)
        let primary = try #require(analysis.primary)
        #expect(primary.template.contains("could not reach the admin API"), "\(primary.template)")
        #expect(analysis.services.contains("webgate"), "\(analysis.services)")
        #expect(analysis.events.contains { $0.signature == "systemd-main-process-exited" })
        // With nothing but systemd's own lines, the first of them (the exit status) is the primary.
        let unitOnly = try analyze(log.split(separator: "\n").dropFirst().joined(separator: "\n") + "\n")
        #expect(unitOnly.primary?.template.contains("Control process exited") == true, "\(unitOnly.primary?.template ?? "")")
        #expect(unitOnly.services.first == "webgate")
    }

    @Test func aLabelPastedAboveAnExceptionDoesNotHeadIt() throws {
        let analysis = try analyze(
            """
            Show raw exception details
            System.InvalidOperationException: The pool is closed
               at Acme.Pool.Rent()

            """)
        let primary = try #require(analysis.primary)
        #expect(primary.example.hasPrefix("System.InvalidOperationException: The pool is closed"), "\(primary.example)")
        #expect(primary.severity == .high)
        // A line with a level keeps the exception under it.
        let headed = try analyze(
            "2024-03-01 10:00:00 ERROR job failed\nSystem.InvalidOperationException: The pool is closed\n   at Acme.Pool.Rent()\n")
        #expect(headed.primary?.example.contains("job failed") == true)
    }

    @Test func aDotNetExceptionWithAnErrorCodeIsAnExceptionLine() throws {
        #expect(StackTrace.exceptionLine("Acme.Data.StoreException (0x80004005): Failed to open the store"))
        #expect(StackTrace.exceptionLine("System.Net.Sockets.SocketException (111): Connection refused"))
        #expect(!StackTrace.exceptionLine("Error (see the docs) happened twice"))
        #expect(!StackTrace.exceptionLine("Error handling request /api"))
        // Indented under a line with no level, such a trace continues it and makes it an error.
        let analysis = try analyze(
            "store: open failed\n   Acme.Data.StoreException (0x80004005): Failed to open the store\n   at Acme.Data.Store.Open()\n")
        #expect(analysis.severity == .high)
        #expect(analysis.events.count == 1, "\(analysis.events.map(\.template))")
    }

    @Test func aCrashLoopEventNamesItsContainer() throws {
        let analysis = try analyze(
            """
              Normal   Pulled   4m (x5 over 9m)   kubelet  Container image "acme/ledger:1.2" already present on machine
              Warning  BackOff  3m (x20 over 8m)  kubelet  Back-off restarting failed container ledger-api in pod ledger-5d8c7b9f6-q2w3e_prod(0a1b2c3d)

            """)
        #expect(analysis.primary?.signature == "k8s-crash-loop-container")
        #expect(analysis.services.contains("ledger-api"), "\(analysis.services)")
        // The kubelet's wording before 1.25.
        let older = try analyze(
            "  Warning  BackOff  2m  kubelet, node-3  Back-off 5m0s restarting failed container=ledger-api pod=ledger-5d8c7b9f6-q2w3e_prod(0a1b)\n")
        #expect(older.services.contains("ledger-api"), "\(older.services)")
    }

    @Test func aServersOwnPackagesNameIt() {
        let catalog = SignatureCatalog.builtIn
        #expect(catalog.services(in: "at org.apache.cassandra.service.StorageService.initServer(StorageService.java:600)") == ["cassandra"])
        #expect(catalog.services(in: "at org.apache.zookeeper.server.NIOServerCnxn.doIO(NIOServerCnxn.java:228)") == ["zookeeper"])
    }
}
