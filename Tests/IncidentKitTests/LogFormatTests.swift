import Foundation
import IncidentTestSupport
import Testing

@testable import IncidentKit

func analyze(_ text: String) -> LogAnalysis {
    LogAnalyzer(redactor: try! Redactor(), now: Time.parse("2025-12-01T00:00:00Z")!).analyze(Data(text.utf8))
}

@Suite struct LogFormatTests {
    /// (layout, line, severity, time, message as templated, source)
    @Test(
        arguments: [
            (
                "ISO 8601", "2025-09-09T02:25:11.531Z ERROR payment failed for order 42", Severity.high,
                "2025-09-09T02:25:11Z", "payment failed for order <*>", nil as String?
            ),
            (
                "ISO with offset", "2025-09-09T04:25:11+02:00 [WARN] disk at 91%", .medium, "2025-09-09T02:25:11Z",
                "disk at <*>", nil
            ),
            (
                // No level word, but SPEC's signature floor: an upstream timeout is high.
                "syslog", "Sep  9 02:25:11 web-1 nginx[1234]: upstream timed out (110: Connection timed out)", .high,
                "2025-09-09T02:25:11Z", "upstream timed out (<*>: Connection timed out)", "nginx[1234]"
            ),
            (
                // A level in brackets after the program.
                "syslog, [ERROR]", "Sep  9 02:25:11 web-1 app[11]: [ERROR] request failed for tenant 4", .high,
                "2025-09-09T02:25:11Z", "request failed for tenant <*>", "app[11]"
            ),
            (
                // RFC 5424: the level from the priority (163 = local4.err), the application as the source.
                "RFC 5424",
                #"<163>1 2025-09-09T02:25:11.003Z mail-1 dovecot 1880 AUTH [origin software="dovecot"] auth-worker(1902): Error: connect failed"#,
                .high, "2025-09-09T02:25:11Z", "auth-worker(<*>): Error: connect failed", "dovecot"
            ),
            (
                "EMERGENCY", "2025-09-09T02:25:11Z EMERGENCY [main] disk array offline", .critical, "2025-09-09T02:25:11Z",
                "disk array offline", nil
            ),
            (
                "log4j", "2025-09-09 02:25:11,531 ERROR [main] com.acme.OrderService - order 42 rejected", .high,
                "2025-09-09T02:25:11Z", "order <*> rejected", "com.acme.OrderService"
            ),
            (
                "logback",
                "2025-09-09 02:25:11.531 [http-nio-8080-exec-1] WARN  c.a.api.Controller - slow request 1200 ms",
                .medium, "2025-09-09T02:25:11Z", "slow request <*>", "c.a.api.Controller"
            ),
            (
                "Python logging", "2025-09-09 02:25:11,531 - app.db - CRITICAL - pool exhausted", .critical,
                "2025-09-09T02:25:11Z", "pool exhausted", "app.db"
            ),
            (
                "loguru", "2025-09-09 02:25:11.531 | ERROR    | app.redis:connect:73 - Redis connection failed", .high,
                "2025-09-09T02:25:11Z", "Redis connection failed", "app.redis.connect"
            ),
            (
                "Go log", "2025/09/09 02:25:11 http: TLS handshake error from 10.0.0.1:443: EOF", .low,
                "2025-09-09T02:25:11Z", "http: TLS handshake error from <*> EOF", nil
            ),
            (
                "Apache error", "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6", .high,
                "2005-12-04T04:47:44Z", "mod_jk child workerEnv in error state <*>", nil
            ),
            (
                // A 502 answered to a client is an upstream 5xx: SPEC's floor is high.
                "nginx access", "10.0.0.1 - - [09/Sep/2025:02:25:11 +0000] \"GET /api HTTP/1.1\" 502 157", .high,
                // A request path is a variable like any path (one segment or many), so requests group by
                // method; the status is its class, a word (2xx and 5xx requests are two events).
                "2025-09-09T02:25:11Z", "<*> - - <*> \"GET <*> <*>\" server-error <*>", nil
            ),
            (
                "Windows CBS",
                "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505", .low,
                "2016-09-28T04:30:30Z", "CBS Loaded Servicing Stack <*>", nil
            ),
            (
                "Android logcat", "03-17 16:13:38.811  1702  2395 E WindowManager: Failure taking screenshot", .high,
                "2025-03-17T16:13:38Z", "Failure taking screenshot", "WindowManager"
            ),
            (
                "HDFS",
                "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating",
                .low, "2008-11-09T20:36:15Z", "PacketResponder <*> for block <*> terminating",
                "dfs.DataNode$PacketResponder"
            ),
            (
                "Spark", "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers",
                .low, "2017-06-09T20:10:40Z", "Registered signal handlers", "executor.CoarseGrainedExecutorBackend"
            ),
            (
                "epoch", "- 1117838570 2005.06.03 R02-M1-N0 RAS KERNEL FATAL data storage interrupt", .critical,
                "2005-06-03T22:42:50Z", nil, nil
            ),
            (
                "Spring Boot default",
                "2016-12-07 08:56:24.723 ERROR 7264 --- [  restartedMain] o.a.tomcat.jdbc.pool.ConnectionPool      : Unable to create initial connections of pool.",
                .high, "2016-12-07T08:56:24Z", "Unable to create initial connections of pool.",
                "o.a.tomcat.jdbc.pool.ConnectionPool"
            ),
            (
                // log4j "%m (%c)": the logger closes the line.
                "log4j logger last",
                "[2025-10-15 16:46:37,654] ERROR [BrokerServer id=1] Fatal error during startup (kafka.server.BrokerServer)",
                .high, "2025-10-15T16:46:37Z", nil, "kafka.server.BrokerServer"
            ),
            (
                "Envoy file:line",
                "[2019-11-16 11:36:07.653][1][warning][config] [source/common/config/grpc_stream.h:87] gRPC config stream closed: 14",
                .medium, "2019-11-16T11:36:07Z", "gRPC config stream closed: <*>", "source/common/config/grpc_stream.h:87"
            ),
            (
                // A version in parentheses is not a logger.
                "version last", "2025-09-09T02:25:11Z WARN upgrade needed (v1.2.3)", .medium, "2025-09-09T02:25:11Z",
                nil, nil
            ),
            (
                "Python logging default", "ERROR:app.db:could not connect to server: Connection refused", .high, nil,
                "could not connect to server: Connection refused", "app.db"
            ),
            (
                // A level closing a bracket: Serilog's console, with a time of day and no date.
                "Serilog console", "[10:00:05 ERR] Failed to process order 42", .high, nil,
                "Failed to process order <*>", nil
            ),
            (
                "Apache error log",
                "[Sun Nov 30 10:00:00.123456 2025] [proxy:error] [pid 1234:tid 140] AH00957: attempt to connect to backend failed",
                .high, "2025-11-30T10:00:00Z", nil, nil
            ),
            (
                "PHP error log",
                "[30-Nov-2025 10:00:01 UTC] PHP Warning:  Undefined variable $x in /var/www/html/index.php on line 12",
                .medium, "2025-11-30T10:00:01Z", nil, nil
            ),
            (
                // Ruby's Logger; a namespaced exception class starts the message, it is no logger.
                "Ruby Logger",
                "E, [2025-11-30T10:00:00.223456 #1234] ERROR -- : ActiveRecord::ConnectionNotEstablished (connection refused)",
                .high, "2025-11-30T10:00:00Z", "ActiveRecord::ConnectionNotEstablished (connection refused)", nil
            ),
            (
                // "DD Mon YYYY" after a pid:role field, and a one-character mark before the message.
                "Redis", "1:M 30 Nov 2025 10:20:01.101 # Can't save in background: fork: Cannot allocate memory",
                .high, "2025-11-30T10:20:01Z", "Can't save in background: fork: Cannot allocate memory", nil
            ),
            (
                // Fields before the level that no rule names (a user@database pair): FATAL is critical.
                "PostgreSQL prefix",
                "2016-12-20 11:14:09 CST [25669-1] app@orders FATAL:  sorry, too many clients already", .critical,
                "2016-12-20T11:14:09Z", "sorry, too many clients already", nil
            ),
            (
                // A syslog/journald line wrapping an application's own header: its level is the line's.
                "journald wrapping gunicorn",
                "Jul 05 09:13:44 web-3 wsgi.sh[3129704]: [2024-07-05 09:13:44 +0200] [3129704] [CRITICAL] WORKER TIMEOUT (pid:3129714)",
                .critical, "2025-07-05T09:13:44Z", "WORKER TIMEOUT (pid:<*>)", nil
            ),
            (
                // MySQL before 5.7 and MariaDB before 10.1: YYMMDD, the hour padded with a space.
                "MySQL 5.5 error log", "180610 10:48:06 [ERROR] table cache is read only", .high,
                "2018-06-10T10:48:06Z", "table cache is read only", nil
            ),
            (
                "MariaDB 10.0, one-digit hour", "170403  9:43:41 [Warning] could not raise the open files limit",
                .medium, "2017-04-03T09:43:41Z", "could not raise the open files limit", nil
            ),
        ] as [(String, String, Severity, String?, String?, String?)])
    func plainHeadersAreFoundWithoutBeingTold(
        layout: String, line: String, severity: Severity, time: String?, template: String?, source: String?
    ) throws {
        let analysis = analyze(line + "\n")
        let event = try #require(analysis.primary, "\(layout)")
        #expect(event.severity == severity, "\(layout)")
        #expect(event.firstSeen.map(Time.format) == time, "\(layout)")
        if let template { #expect(event.template == template, "\(layout): \(event.template)") }
        if let source {
            #expect(analysis.sourceLocations.first == source, "\(layout): \(analysis.sourceLocations)")
        } else if layout == "version last" {
            #expect(analysis.sourceLocations.isEmpty, "\(analysis.sourceLocations)")
        }
        #expect(analysis.format == "plain")
    }

    @Test(
        arguments: [
            (
                "GCP",
                #"{"severity":"ERROR","timestamp":"2025-09-09T02:25:11.531Z","textPayload":"Readiness failed for redis","resource":{"type":"cloud_run_revision","labels":{"service_name":"netra-backend"}},"sourceLocation":{"file":"smd.py","line":"412","function":"netra_backend.app.smd._validate"}}"#,
                // SPEC "Source location": file:line first (the function named no line to open).
                Severity.high, "Readiness failed for redis", "smd.py:412"
            ),
            (
                "GCP jsonPayload",
                #"{"severity":"CRITICAL","timestamp":"2025-09-09T02:25:11Z","jsonPayload":{"message":"chat is broken"}}"#,
                .critical, "chat is broken", nil
            ),
            (
                "Kubernetes/Docker",
                #"{"log":"2025-09-09T02:25:11Z ERROR dial tcp 10.0.0.5:5432: connect: connection refused\n","stream":"stderr","time":"2025-09-09T02:25:11.531Z"}"#,
                .high, "dial tcp <*> connect: connection refused", nil
            ),
            (
                "pino", #"{"level":50,"time":1757385911531,"pid":42,"hostname":"web-1","msg":"request failed"}"#, .high,
                "request failed", nil
            ),
            (
                "bunyan",
                #"{"name":"api","hostname":"web-1","pid":42,"level":60,"msg":"out of memory","time":"2025-09-09T02:25:11.531Z","v":0}"#,
                .critical, "out of memory", nil
            ),
            (
                "zap",
                #"{"level":"error","ts":1757385911.531,"caller":"server/handler.go:42","msg":"handler panicked"}"#,
                .high, "handler panicked", "server/handler.go:42"
            ),
            (
                "logrus", #"{"level":"warning","msg":"config deprecated","time":"2025-09-09T02:25:11Z"}"#, .medium,
                "config deprecated", nil
            ),
        ] as [(String, String, Severity, String, String?)])
    func jsonLinesAreRead(kind: String, line: String, severity: Severity, template: String, source: String?) throws {
        let analysis = analyze(line + "\n")
        let event = try #require(analysis.primary, "\(kind)")
        #expect(event.severity == severity, "\(kind)")
        #expect(event.template == template, "\(kind): \(event.template)")
        #expect(event.firstSeen != nil, "\(kind)")
        if let source { #expect(analysis.sourceLocations.first == source, "\(kind): \(analysis.sourceLocations)") }
        #expect(analysis.format == "json")
    }

    @Test func gcpResourceLabelsNameServices() {
        let analysis = analyze(
            #"{"severity":"ERROR","textPayload":"boom","resource":{"labels":{"service_name":"netra-backend"}}}"# + "\n")
        #expect(analysis.services.contains("netra-backend"))
    }

    @Test func logfmtIsRead() throws {
        let analysis = analyze(
            #"time=2025-09-09T02:25:11Z level=error msg="cache miss storm" caller=cache.go:88 keys=1200"# + "\n")
        let event = try #require(analysis.primary)
        #expect(event.severity == .high && event.template == "cache miss storm")
        #expect(analysis.format == "logfmt")
        #expect(analysis.sourceLocations.first == "cache.go:88")
    }

    /// logfmt's two own keys are enough, with nothing else on the line (one of them alone needs
    /// two more pairs: "status=ok msg" in a sentence is not logfmt).
    /// A request log's outcome is its status class: ok and failed requests to one path are two
    /// events, and which comes first decides neither the severity nor the primary (SPEC: the
    /// analysis is stable across input order). The example keeps the status as logged.
    @Test func requestsGroupByStatusClassInAnyOrder() throws {
        let ok = (1...3).map { "10.0.0.\($0) - - [30/Nov/2026:10:00:0\($0) +0000] \"GET /api/items HTTP/1.1\" 200 512 \"-\" \"curl/8.5\"" }
        let failed = (1...5).map { "10.0.1.\($0) - - [30/Nov/2026:10:01:0\($0) +0000] \"GET /api/items HTTP/1.1\" 503 190 \"-\" \"curl/8.5\"" }
        for lines in [ok + failed, failed.reversed() + ok.reversed()] {
            let analysis = analyze(lines.joined(separator: "\n") + "\n")
            let primary = try #require(analysis.primary)
            #expect(primary.severity == .high && primary.count == 5 && primary.example.contains("\" 503 "), "\(primary.template)")
            #expect(primary.signature == "http-503-service-unavailable")
            #expect(analysis.events.map(\.count).sorted() == [3, 5])
        }
        // Unquoted HTTP/2 too; a number that is no HTTP status stays a number.
        #expect(analyze("GET /x HTTP/2 404 12\n").primary?.template == "GET /x <*> client-error <*>")
        #expect(analyze("\"GET /x HTTP/1.1\" 999 12\n").primary?.template == "\"GET /x <*>\" <*> <*>")
    }

    /// An RFC 5424 priority and version with nothing after them is no header to read past its end.
    @Test func aSyslogPriorityCutShortIsReadAsText() {
        let analysis = analyze("<13>1 \n<13>1 -\n<13>1 - host\n")
        #expect(analysis.lines == 3 && !analysis.events.isEmpty)
    }

    @Test func levelAndMessageAloneAreLogfmt() throws {
        let analysis = analyze(#"level=error msg="token rejected by gateway""# + "\n")
        #expect(analysis.format == "logfmt")
        #expect(analysis.primary?.severity == .high && analysis.primary?.template == "token rejected by gateway")
        // A one-word first clause is a label: the title takes the clause after it too.
        let label = analyze(#"level=error msg="Authorization: Bearer abcdefSECRETTOKEN1234567890 rejected by gateway""# + "\n")
        #expect(label.title == "Authorization: Bearer rejected by gateway")
        #expect(analyze("2025-09-09T02:25:11Z INFO retry with level=3 of 5\n").format == "plain")
        #expect(analyze("2025-09-09T02:25:11Z INFO sent msg=hello to peer\n").format == "plain")
    }

    @Test func mixedInputIsSaidSo() {
        #expect(analyze("2025-09-09T02:25:11Z INFO a\n{\"level\":\"info\",\"msg\":\"b\"}\n").format == "mixed")
    }
}

@Suite struct StackTraceTests {
    /// (language, log, the event count, the frame named as source)
    @Test(
        arguments: [
            (
                "Python",
                """
                2025-09-09 02:25:11,531 ERROR app.worker: job failed
                Traceback (most recent call last):
                  File "/usr/lib/python3.11/site-packages/celery/app/trace.py", line 451, in trace_task
                    R = retval = fun(*args, **kwargs)
                  File "/app/billing/charge.py", line 88, in charge_card
                    raise PaymentError(reason)
                billing.errors.PaymentError: card declined
                2025-09-09 02:25:12,001 INFO app.worker: next job
                """, "billing/charge.py:88"
            ),
            (
                "Java",
                """
                2025-09-09 02:25:11,531 ERROR [main] com.acme.App - request failed
                java.lang.IllegalStateException: pool closed
                \tat com.acme.db.Pool.get(Pool.java:42)
                \tat com.acme.App.handle(App.java:17)
                Caused by: java.net.ConnectException: Connection refused
                \tat java.base/sun.nio.ch.Net.connect0(Native Method)
                \t... 12 more
                2025-09-09 02:25:12,001 INFO [main] com.acme.App - next
                """, "com.acme.db.Pool.get(Pool.java:42)"
            ),
            (
                "Go",
                """
                2025/09/09 02:25:11 starting worker
                panic: runtime error: invalid memory address or nil pointer dereference
                [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]

                goroutine 1 [running]:
                main.(*Server).handle(0x0)
                \t/app/cmd/api/server.go:42 +0x1d
                main.main()
                \t/app/cmd/api/main.go:12 +0x25
                """, "/app/cmd/api/server.go:42"
            ),
            (
                // An exception whose message goes on over a line without a header, before its frames
                // (the exception class read as the logger).
                "Java, a message of two lines",
                """
                2025-09-09 02:25:11,001 ERROR [worker-3] com.acme.billing.InvoiceException: Invoice 42 could not be totalled
                The line items disagree with the order's currency.
                \tat com.acme.billing.Invoices.total(Invoices.java:88)
                \tat com.acme.billing.Worker.run(Worker.java:20)
                2025-09-09 02:25:12,001 INFO [main] com.acme.App - next
                """, "com.acme.billing.Invoices.total(Invoices.java:88)"
            ),
            (
                // Go 1.21: "created by … in goroutine N"; a module's own internal/ packages are no
                // library; the other goroutines of the dump stay in the trace.
                "Go 1.21",
                """
                2025/09/09 02:25:11 ingest: batch committed offset=88121
                panic: runtime error: invalid memory address or nil pointer dereference
                [signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=0x9a1f3c]

                goroutine 87 [running]:
                github.com/acme/ingest/internal/sink.(*Writer).Flush(0x0, {0xc0001a2000, 0x40, 0x40})
                	/src/internal/sink/writer.go:118 +0x3c
                created by github.com/acme/ingest/internal/pipeline.Start in goroutine 1
                	/src/internal/pipeline/pipeline.go:40 +0x1b8

                goroutine 34 [IO wait]:
                github.com/IBM/sarama.(*Broker).responseReceiver(0xc0000f4000)
                	/go/pkg/mod/github.com/!i!b!m/sarama@v1.42.1/broker.go:1180 +0x8f
                """, "/src/internal/sink/writer.go:118"
            ),
            (
                "Node",
                """
                2025-09-09T02:25:11.531Z ERROR unhandled rejection
                TypeError: Cannot read properties of undefined (reading 'id')
                    at getUser (/app/src/users.js:10:15)
                    at processTicksAndRejections (node:internal/process/task_queues:95:5)
                2025-09-09T02:25:12.001Z INFO recovered
                """, "/app/src/users.js:10:15"
            ),
            (
                "Ruby",
                """
                2025-09-09T02:25:11Z ERROR request failed
                app/models/user.rb:12:in `save': undefined method `name' for nil:NilClass (NoMethodError)
                \tfrom app/controllers/users_controller.rb:30:in `create'
                \tfrom /usr/lib/ruby/gems/3.2.0/gems/actionpack/lib/abstract_controller/base.rb:215:in `process'
                2025-09-09T02:25:12Z INFO next
                """, "app/controllers/users_controller.rb:30"
            ),
            (
                "Swift",
                """
                2025-09-09T02:25:11Z CRITICAL worker crashed
                Fatal error: Index out of range
                Current stack trace:
                0    libswiftCore.so                    0x00007f1c2d8a1c40 swift_reportError + 50
                1    api                                0x000055d5e1a2b3c4 $s3api6WorkerC3runyyF + 120
                2025-09-09T02:25:12Z INFO restarted
                """, nil
            ),
        ] as [(String, String, String?)])
    func tracesJoinTheLineThatOpenedThem(language: String, log: String, frame: String?) throws {
        let analysis = analyze(log + "\n")
        #expect(analysis.events.count == 2, "\(language): \(analysis.events.map(\.template))")
        let primary = try #require(analysis.primary)
        #expect(primary.severity >= .high, "\(language)")
        // Only the failing part of a trace names services: a goroutine of a Kafka client merely
        // waiting in the same dump does not make the panic a Kafka failure.
        #expect(analysis.services.isEmpty, "\(language): \(analysis.services)")
        if let frame { #expect(analysis.sourceLocations.contains(frame), "\(language): \(analysis.sourceLocations)") }
        // Every line of the trace carries its event's id (the Go log ends in its trace).
        let lines = log.split(separator: "\n", omittingEmptySubsequences: false).count
        #expect(analysis.lineEvents.count == lines, "\(language)")
        let traceLines = analysis.lineEvents[1..<(language.hasPrefix("Go") ? lines : lines - 1)]
        #expect(Set(traceLines).count == 1, "\(language): \(analysis.lineEvents)")
        #expect(traceLines.first == primary.id, "\(language): primary \(primary.id) \(primary.template), lines \(analysis.lineEvents), events \(analysis.events.map { "\($0.id) \($0.template)" })")
    }

    @Test func anExcerptThatStartsInsideAJavaTraceEndsAtItsCauseWhichTakesTheApplicationFrame() throws {
        let analysis = analyze(
            """
            \tat org.springframework.boot.SpringApplication.run(SpringApplication.java:334) ~[spring-boot-3.2.2.jar:3.2.2]
            \tat com.example.shop.Application.main(Application.java:13) ~[classes/:2.1.1]
            \tat java.base/java.lang.reflect.Method.invoke(Unknown Source) ~[na:na]
            Caused by: org.postgresql.util.PSQLException: Connection to db:5432 refused.

            """)
        let primary = try #require(analysis.primary)
        #expect(primary.example.hasPrefix("Caused by: org.postgresql.util.PSQLException"), "\(primary.example)")
        #expect(primary.severity >= .high)
        #expect(analysis.sourceLocations.first == "com.example.shop.Application.main(Application.java:13)")
    }

    /// A bare Python traceback (no header: `kubectl logs` of a crashed pod) says what failed in its
    /// closing exception line: that line heads the event and its fingerprint, with the trace's
    /// application frame; the opener names nothing and stays low. Two different crashes are two
    /// fingerprints, not one "Traceback (most recent call last):" event.
    @Test func aBareTracebackIsTheEventOfItsException() throws {
        func traceback(_ file: String, _ exception: String) -> String {
            """
            Traceback (most recent call last):
              File "/app/\(file).py", line 42, in <module>
                main()
              File "/usr/local/lib/python3.11/site-packages/lib/__init__.py", line 122, in connect
                return _connect(dsn)
            \(exception)

            """
        }
        let dns = analyze(traceback("worker", #"psycopg2.OperationalError: could not translate host name "db" to address"#))
        let json = analyze(traceback("sync", "json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)"))
        let (first, second) = (try #require(dns.primary), try #require(json.primary))
        #expect(first.example.hasPrefix("psycopg2.OperationalError"), "\(first.example)")
        #expect(second.example.hasPrefix("json.decoder.JSONDecodeError"), "\(second.example)")
        #expect(dns.fingerprint != json.fingerprint)
        #expect(first.severity == .high && dns.sourceLocations.first == "worker.py:42")
        #expect(dns.events.first { $0.template.hasPrefix("Traceback") }?.severity == .low)
        // Cut before its exception line, the traceback is still the failure.
        let cut = analyze(traceback("worker", "").components(separatedBy: "\n").prefix(4).joined(separator: "\n"))
        #expect(cut.primary?.template.hasPrefix("Traceback") == true && cut.primary?.severity == .high)
    }

    /// Node's report of an uncaught exception opens with where it was thrown (a line that is
    /// only file:line), the source line and a caret: the error after them is the event, its
    /// first frame outside Node's own modules the source, and the printed properties ("{ … }")
    /// part of it.
    @Test func nodesUncaughtReportIsTheEventOfItsError() throws {
        let analysis = analyze(
            """
            2024-09-30T17:40:01.900Z info: http server listening on :3000
            node:internal/process/promises:289
                        triggerUncaughtException(err, true /* fromPromise */);
                        ^

            Error: connect ECONNREFUSED 10.96.14.7:6379
                at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)
                at Object.subscribe (/usr/src/app/src/queue/subscriber.js:41:17) {
              errno: -111,
              code: 'ECONNREFUSED'
            }

            """)
        let primary = try #require(analysis.primary)
        #expect(primary.example.hasPrefix("Error: connect ECONNREFUSED"), "\(analysis.events.map(\.template))")
        #expect(analysis.sourceLocations.first == "/usr/src/app/src/queue/subscriber.js:41:17")
        #expect(analysis.events.first { $0.template.hasPrefix("node:internal") }?.severity == .low)
        #expect(!analysis.events.contains { $0.template == "}" })
    }

    /// After an info line (a server booting its worker) or after a trace that closed, a bare
    /// traceback is another failure; after an error line it is that error's trace, and after
    /// "During handling of the above exception" it is the same chain.
    @Test func aBareTracebackJoinsOnlyAnErrorOrTheChainBeforeIt() throws {
        let trace = """
            Traceback (most recent call last):
              File "/app/settings.py", line 5, in <module>
                SECRET = os.environ["APP_SECRET"]
            KeyError: 'APP_SECRET'
            """
        let booting = analyze("[2025-11-30 10:00:00 +0000] [8] [INFO] Booting worker with pid: 8\n\(trace)\n")
        #expect(booting.primary?.example == "KeyError: 'APP_SECRET'", "\(booting.events.map(\.template))")
        #expect(booting.sourceLocations.first == "settings.py:5")
        let logged = analyze("2025-11-30 10:00:00 ERROR worker: settings failed to load\n\(trace)\n")
        #expect(logged.primary?.template == "settings failed to load", "\(logged.events.map(\.template))")
        #expect(logged.events.count == 1)
        let twice = analyze("\(trace)\n\(trace.replacingOccurrences(of: "KeyError: 'APP_SECRET'", with: "ValueError: bad port"))\n")
        #expect(Set(twice.events.filter { $0.severity == .high }.map(\.example)) == ["KeyError: 'APP_SECRET'", "ValueError: bad port"])
        let chained = analyze(
            """
            \(trace)

            During handling of the above exception, another exception occurred:

            \(trace.replacingOccurrences(of: "KeyError: 'APP_SECRET'", with: "RuntimeError: no settings"))

            """)
        #expect(chained.events.filter { $0.severity == .high }.map(\.example) == ["KeyError: 'APP_SECRET'"])
    }

    @Test func aDotNetFrameNamesAFileOnlyWhenItHasOne() {
        #expect(
            StackTrace.frame("   at Shop.Api.OrdersController.Get(Int32 id) in /src/Shop.Api/OrdersController.cs:line 42")
                == "Shop.Api/OrdersController.cs:42")
        // Without symbols: an argument list or empty parentheses are no place in the code.
        #expect(StackTrace.frame("   at Shop.Data.Store.Connect(EndPoint remoteEP, Boolean async)") == nil)
        #expect(StackTrace.frame("   at Shop.Data.Store.Open()") == nil)
        // Java and Node frames are as they were.
        #expect(StackTrace.frame("\tat com.acme.db.Pool.get(Pool.java:42)") == "com.acme.db.Pool.get(Pool.java:42)")
        #expect(StackTrace.frame("    at getUser (/app/src/users.js:10:15)") == "/app/src/users.js:10:15")
    }

    @Test func aGoPanicIsCriticalAndItsFramesFollowIt() throws {
        let analysis = analyze(
            "2025/09/09 02:25:11 starting\npanic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:9 +0x1d\n"
        )
        let primary = try #require(analysis.primary)
        #expect(primary.severity == .critical && primary.template == "boom" && primary.example == "panic: boom")
        #expect(Array(analysis.lineEvents.suffix(5)) == Array(repeating: primary.id, count: 5))
    }
}

@Suite struct ReaderAndStabilityTests {
    func stream(_ bytes: [UInt8]) throws -> LogAnalysis {
        let repo = try TestRepo(git: false)
        try repo.writeBytes("in.log", bytes)
        let descriptor = open(repo.path("in.log"), O_RDONLY)
        return try LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(descriptor: descriptor)
    }

    @Test func invalidUTF8LongLinesAndAMissingFinalNewlineAllSurvive() throws {
        var bytes = Array("2025-09-09T02:25:11Z ERROR caf".utf8) + [0xE9, 0xFF] + Array(" broken\n".utf8)
        bytes +=
            Array("2025-09-09T02:25:12Z INFO ".utf8) + Array(repeating: UInt8(ascii: "x"), count: (1 << 20) + 5000) + [
                0x0A
            ]
        bytes += Array("2025-09-09T02:25:13Z WARN last line without newline".utf8)
        let analysis = try stream(bytes)
        #expect(analysis.lines == 3)
        #expect(analysis.cutLines == 1)
        #expect(analysis.primary?.example.contains("caf\u{FFFD}\u{FFFD} broken") == true)
        #expect(analysis.lineEvents.count == 3)
    }

    @Test func readingInTwoHalvesGivesTheSameEventsAsReadingInOrder() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/redis-staging.log")
        let text = String(repeating: try String(contentsOf: url, encoding: .utf8), count: 40)
        let repo = try TestRepo(git: false)
        try repo.write("big.log", text)
        let analyzer = LogAnalyzer(redactor: try Redactor(), now: Date())
        let inOrder = try analyzer.analyze(descriptor: open(repo.path("big.log"), O_RDONLY))
        let halves = try analyzer.analyze(
            first: open(repo.path("big.log"), O_RDONLY), second: open(repo.path("big.log"), O_RDONLY),
            size: text.utf8.count)
        #expect(halves.lines == inOrder.lines && halves.lines == 85 * 40)
        #expect(halves.events.map(\.id) == inOrder.events.map(\.id))
        #expect(halves.events.map(\.count) == inOrder.events.map(\.count))
        #expect(halves.fingerprint == inOrder.fingerprint && halves.title == inOrder.title)
        #expect(halves.redactions == inOrder.redactions)
        #expect(halves.lineEvents == inOrder.lineEvents)
        #expect(halves.primary?.times.count == 280)
        // Every event's sample of times, first and last seen survive the merge (absorb lets go
        // of the second engine's samples as it merges them).
        #expect(halves.events.map { $0.times.sorted() } == inOrder.events.map { $0.times.sorted() })
        #expect(halves.events.map(\.firstSeen) == inOrder.events.map(\.firstSeen))
        #expect(halves.events.map(\.lastSeen) == inOrder.events.map(\.lastSeen))
    }

    @Test func gzipInputIsReadAsSuch() throws {
        let repo = try TestRepo(git: false)
        try repo.write("app.log", "2025-09-09T02:25:11Z ERROR disk full on /dev/sda1\n")
        try TestRepo.run(["gzip", "app.log"], in: repo.root)
        let analysis = try LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(
            descriptor: open(repo.path("app.log.gz"), O_RDONLY))
        #expect(analysis.primary?.template == "disk full on <*>")
    }

    @Test func maskingCoversTheUsualVariables() {
        let line =
            "2025-09-09T02:25:11Z ERROR req 7f3a2c9d-1b2e-4c5d-8e9f-0a1b2c3d4e5f from 10.1.2.3:5432 to db-1.internal:6379 took 7.51s id=0xdeadbeef path /var/lib/data/x.db hash deadbeefcafebabe at Fri Jun 17 07:07:00 2005 via SOCKS5 (18.4 KB)\n"
        #expect(
            analyze(line).primary?.template
                == "req <*> from <*> to <*> took <*> id=<*> path <*> hash <*> at <*> via SOCKS5 <*>")
    }

    @Test func fingerprintsAreStableAcrossOrderDatesAndRuns() {
        let a = """
            2025-09-09T02:25:11Z ERROR pool exhausted after 30s on 10.0.0.1:5432
            2025-09-09T02:25:12Z INFO ok 1
            2025-09-09T02:25:13Z ERROR pool exhausted after 12s on 10.0.0.2:5432
            """
        let b = """
            2026-01-01T10:00:00Z INFO ok 7
            2026-01-01T10:00:01Z ERROR pool exhausted after 99s on 10.9.9.9:5432
            """
        #expect(analyze(a).fingerprint == analyze(b).fingerprint)
        #expect(analyze(a).fingerprint == analyze(a).fingerprint)
        #expect(analyze(a).fingerprint == "\(LogAnalyzer.hash("pool exhausted after <*> on <*>"))")
    }

    @Test func theExampleLogHasSevenOccurrencesEveryMinuteAndAnIntervalAndSparkline() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/redis-staging.log")
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(try Data(contentsOf: url))
        #expect(analysis.primary?.times.count == 7)
        #expect(analysis.intervalSeconds == 60)
    }
}

@Suite struct NestedHeaderTests {
    /// rsyslog escapes the tabs of a tab-separated application line as "#011": decoded, the inner
    /// line's level counts (WARNING), and the connection-refused floor raises it to high.
    @Test func anRsyslogEscapedTabSeparatedLineHasItsInnerLevel() throws {
        let analysis = analyze(
            "Nov 18 09:14:49 vm-db1 pglookout: 2021-11-18 09:14:49,632#011ClusterMonitor#011Thread-1#011WARNING#011OperationalError (could not connect to server: Connection refused\n"
        )
        let primary = try #require(analysis.primary)
        #expect(primary.levelSeverity == .medium, "\(primary.template)")
        #expect(primary.severity == .high)
        #expect(primary.template.hasPrefix("OperationalError (could not connect"), "\(primary.template)")
        #expect(!primary.example.contains("#011"))
    }
}

@Suite struct JavaUtilLoggingTests {
    /// java.util.logging's SimpleFormatter (Tomcat's catalina.out): a record is two lines, the time
    /// with a 12-hour clock, logger and method, then the level and the message.
    @Test func twoLineRecordsAreOneEventEach() throws {
        let analysis = analyze(
            """
            Nov 30, 2025 10:00:00 AM org.apache.catalina.startup.Catalina start
            INFO: Server startup in 2345 ms
            Nov 30, 2025 1:05:00 PM org.apache.catalina.core.StandardContext startInternal
            SEVERE: Context [/shop] startup failed due to previous errors

            """)
        #expect(analysis.events.count == 2)
        let primary = try #require(analysis.primary)
        #expect(primary.template == "Context [/shop] startup failed due to previous errors", "\(primary.template)")
        #expect(primary.severity == .high)
        #expect(primary.firstSeen.map(Time.format) == "2025-11-30T13:05:00Z")
        #expect(analysis.sourceLocations.first == "org.apache.catalina.core.StandardContext")
    }
}

@Suite struct SerilogJSONTests {
    /// Serilog's compact JSON (CLEF): @t, @mt, @l (absent for Information), @x's first line joined.
    @Test func compactJSON() throws {
        let analysis = analyze(
            #"""
            {"@t":"2025-11-30T10:00:00.0000000Z","@mt":"Application started"}
            {"@t":"2025-11-30T10:00:05.0000000Z","@mt":"Failed to process order {OrderId}","@l":"Error","@x":"System.TimeoutException: timed out.\n   at Shop.Orders.Process(Int32 id)","OrderId":42}

            """#)
        let primary = try #require(analysis.primary)
        #expect(primary.template == "Failed to process order {OrderId}: System.TimeoutException: timed out.")
        #expect(primary.severity == .high)
        #expect(primary.firstSeen.map(Time.format) == "2025-11-30T10:00:05Z")
        #expect(analysis.events.first { $0.template == "Application started" }?.severity == .low)
    }
}

@Suite struct MongoJSONTests {
    /// MongoDB 4.4+ structured lines: the time under t.$date, the level as one letter under s, a
    /// message that starts with a level word kept whole, blank lines around a message dropped.
    @Test func mongoStructuredLines() throws {
        let analysis = analyze(
            #"""
            {"t":{"$date":"2025-11-30T10:00:01.123+00:00"},"s":"I","c":"NETWORK","id":22943,"ctx":"listener","msg":"Connection accepted"}
            {"t":{"$date":"2025-11-30T10:00:02.457+00:00"},"s":"F","c":"-","id":23089,"ctx":"thread1","msg":"Fatal assertion"}
            {"t":{"$date":"2025-11-30T10:00:02.458+00:00"},"s":"F","c":"-","id":23090,"ctx":"thread1","msg":"\n\n***aborting after fassert() failure\n\n"}

            """#)
        let primary = try #require(analysis.primary)
        #expect(primary.template == "Fatal assertion")
        #expect(primary.severity == .critical)
        #expect(primary.firstSeen.map(Time.format) == "2025-11-30T10:00:02Z")
        #expect(analysis.events.contains { $0.template == "***aborting after fassert() failure" })
        #expect(analysis.events.first { $0.template == "Connection accepted" }?.severity == .low)
    }
}

/// A stream (standard input, .gz) is cut into segments analysed by two workers and folded in order.
@Suite struct SegmentedStreamTests {
    static func exampleLog(times: Int) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/redis-staging.log")
        return String(repeating: try String(contentsOf: url, encoding: .utf8), count: times)
    }

    @Test(arguments: [1 << 10, 1 << 13, 1 << 20])
    func segmentsGiveTheSameEventsAsOneEngine(segmentBytes: Int) throws {
        let text = try Self.exampleLog(times: 40)
        let repo = try TestRepo(git: false)
        try repo.write("big.log", text)
        let analyzer = LogAnalyzer(redactor: try Redactor(), now: Date())
        let whole = analyzer.analyze(Data(text.utf8))
        let segmented = try analyzer.analyze(
            descriptor: open(repo.path("big.log"), O_RDONLY), segmentBytes: segmentBytes)
        #expect(segmented.lines == whole.lines && segmented.lines == 85 * 40)
        #expect(segmented.events.map(\.id) == whole.events.map(\.id))
        #expect(segmented.events.map(\.count) == whole.events.map(\.count))
        #expect(segmented.fingerprint == whole.fingerprint && segmented.title == whole.title)
        #expect(segmented.redactions == whole.redactions)
        #expect(segmented.lineEvents == whole.lineEvents)
        #expect(segmented.events.map { $0.times.sorted() } == whole.events.map { $0.times.sorted() })
        #expect(segmented.events.map(\.firstSeen) == whole.events.map(\.firstSeen))
        #expect(segmented.primary?.firstLine == whole.primary?.firstLine)
    }

    /// A trace's frames are indented: a segment never starts inside one, so each trace keeps its
    /// frames and its application frame however small the segments.
    @Test func aSegmentNeverStartsInsideAStackTrace() throws {
        var lines: [String] = []
        for round in 0..<300 {
            lines.append("2025-09-09T02:25:11Z INFO request \(round) served")
            lines.append("2025-09-09T02:25:12Z ERROR request \(round) failed")
            lines.append("java.lang.IllegalStateException: pool closed")
            for frame in 0..<6 { lines.append("\tat com.acme.pool.Pool.take(Pool.java:\(100 + frame))") }
        }
        let text = lines.joined(separator: "\n") + "\n"
        let repo = try TestRepo(git: false)
        try repo.write("trace.log", text)
        let analyzer = LogAnalyzer(redactor: try Redactor(), now: Date())
        let whole = analyzer.analyze(Data(text.utf8))
        let segmented = try analyzer.analyze(descriptor: open(repo.path("trace.log"), O_RDONLY), segmentBytes: 700)
        #expect(segmented.events.map(\.template) == whole.events.map(\.template))
        #expect(segmented.events.map(\.count) == whole.events.map(\.count))
        #expect(segmented.sourceLocations == whole.sourceLocations)
        #expect(segmented.lineEvents == whole.lineEvents)
    }

    /// Through a pipe, as `kubectl logs … | incident analyze -` gives it.
    @Test func aPipeIsSegmentedToo() throws {
        let text = try Self.exampleLog(times: 200)
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let writer = Thread {
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let count = bytes[offset...].withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                offset += count
            }
            close(writeEnd)
        }
        writer.start()
        let analyzer = LogAnalyzer(redactor: try Redactor(), now: Date())
        let piped = try analyzer.analyze(descriptor: readEnd, segmentBytes: 1 << 14)
        let whole = analyzer.analyze(Data(text.utf8))
        #expect(piped.lines == 85 * 200)
        #expect(piped.events.map(\.count) == whole.events.map(\.count))
        #expect(piped.lineEvents == whole.lineEvents)
    }
}

@Suite struct TimeSampleMergeTests {
    /// Two samples folded into one keep each side's share of the lines: 40,000 early lines and
    /// 20,000 late ones give about a third late times, not none.
    @Test func eachSideKeepsItsShare() {
        var sampler: UInt64 = 0x9E37_79B9_7F4A_7C15
        let early = [Int64](repeating: 1, count: AnalysisEngine.timeSample)
        let late = [Int64](repeating: 2, count: AnalysisEngine.timeSample)
        var merged = early
        AnalysisEngine.mergeSamples(into: &merged, of: 40_000, late, of: 20_000, sampler: &sampler)
        #expect(merged.count == AnalysisEngine.timeSample)
        let lateShare = Double(merged.filter { $0 == 2 }.count) / Double(merged.count)
        #expect(abs(lateShare - 1.0 / 3.0) < 0.01)
        // Small samples are kept whole.
        var small: [Int64] = [1, 2]
        AnalysisEngine.mergeSamples(into: &small, of: 2, [3], of: 1, sampler: &sampler)
        #expect(small == [1, 2, 3])
    }
}

@Suite struct TrimmingNewlinesTests {
    @Test(arguments: [
        "", "plain", "\n\n***aborting after fassert() failure\n\n", "\r\nx\r\n", "\u{85}a b\u{2028}", "\u{2029}",
        "\n", "a\nb", " \n x \n ", "\u{0B}\u{0C}tab\u{0C}", "é\n", "\n日本",
    ])
    func matchesFoundation(text: String) {
        #expect(Structured.trimmingNewlines(text) == text.trimmingCharacters(in: .newlines))
    }
}

@Suite struct FoldedShapesTests {
    /// Engines folded together hold each shape once: a stream of many segments keeps the memory
    /// of one engine's shapes, not one set per segment.
    @Test func aShapeSeenByManyEnginesIsKeptOnce() throws {
        let lines = (0..<50).map { "2025-09-09T02:25:\(String(format: "%02d", $0))Z ERROR job \($0) failed on node-\($0 % 3)" }
            + ["2025-09-09T02:26:00Z INFO all done"]
        func engine() throws -> AnalysisEngine {
            let engine = AnalysisEngine(redactor: try Redactor(), now: Date(), recordLineEvents: true)
            for line in lines { Array(line.utf8).withUnsafeBufferPointer { engine.consume($0) } }
            return engine
        }
        let one = try engine()
        one.releaseHeldLines()
        let folded = try engine()
        for _ in 0..<9 { folded.absorb(try engine()) }
        #expect(folded.shapes.count == one.shapes.count)
        #expect(folded.shapes.map(\.count) == one.shapes.map { $0.count * 10 })
        let analysis = folded.finish(bytes: 0)
        #expect(analysis.lines == lines.count * 10)
        #expect(analysis.primary?.count == 500)
    }
}

@Suite struct SegmentLayoutTests {
    /// The layout is learned from the first lines of the stream, not from no lines at all: a
    /// `docker compose logs` prefix is still read as the container's name through a stream.
    @Test func aComposePrefixIsReadThroughAStream() throws {
        let text = (0..<40).map { "api-1  | 2025-09-09T02:25:\(String(format: "%02d", $0))Z ERROR redis refused connection \($0)" }
            .joined(separator: "\n") + "\n"
        let repo = try TestRepo(git: false)
        try repo.write("compose.log", text)
        let analyzer = LogAnalyzer(redactor: try Redactor(), now: Date())
        let whole = analyzer.analyze(Data(text.utf8))
        let streamed = try analyzer.analyze(descriptor: open(repo.path("compose.log"), O_RDONLY), segmentBytes: 512)
        #expect(whole.primary?.template == "redis refused connection <*>")
        #expect(streamed.primary?.template == whole.primary?.template)
        #expect(streamed.services == whole.services)
    }
}

@Suite struct SegmentDeterminismTests {
    /// Which segments an engine reads decides some templates: they are dealt even and odd, not
    /// to whichever worker is free, so a stream gives the same analysis every time.
    @Test func theSameStreamGivesTheSameAnalysisEveryTime() throws {
        var lines: [String] = []
        for index in 0..<3000 {
            let user = ["root", "admin", "git", "uucp", "sshd", "mysql", "ftp"][index % 7]
            lines.append("2025-09-09T02:25:11Z WARN Failed password for \(user) from 10.0.\(index % 250).1 port \(1000 + index) ssh2")
            if index % 3 == 0 { lines.append("2025-09-09T02:25:12Z INFO connection from 10.0.0.\(index % 9) (h\(index % 4)) closed") }
        }
        let text = lines.joined(separator: "\n") + "\n"
        let repo = try TestRepo(git: false)
        try repo.write("auth.log", text)
        let analyzer = LogAnalyzer(redactor: try Redactor(), now: Date())
        var seen: Set<[String]> = []
        for _ in 0..<6 {
            let analysis = try analyzer.analyze(descriptor: open(repo.path("auth.log"), O_RDONLY), segmentBytes: 2048)
            seen.insert(analysis.events.map { "\($0.template) \($0.count)" } + analysis.lineEvents)
        }
        #expect(seen.count == 1)
    }
}

/// A private key's lines are redacted whole by the engine that saw its BEGIN line: a cut of the
/// input (a stream's segments, a file's two halves) never falls inside the block.
@Suite struct PrivateKeyCutTests {
    static let body = (0..<40).map { "\($0 % 10)MIIEowIBAAKCAQEAsecretkeymaterial\($0)xyzXYZabcdefghijklmnopqrstuvw" }

    static func log(padding: Int) -> String {
        let before = (0..<padding).map { "2025-09-09T02:25:11Z INFO request \($0) ok" }
        let after = (0..<padding).map { "2025-09-09T02:26:11Z INFO request \($0) done" }
        let key = ["2025-09-09T02:25:12Z ERROR loaded key -----BEGIN RSA PRIVATE KEY-----"] + body
            + ["-----END RSA PRIVATE KEY-----"]
        return (before + key + after).joined(separator: "\n") + "\n"
    }

    static func leaked(_ analysis: LogAnalysis) -> [String] {
        analysis.events.flatMap { [$0.example, $0.template] + $0.context + $0.detail }
            .filter { $0.contains("secretkeymaterial") }
    }

    @Test(arguments: [256, 700, 2048])
    func aStreamIsNotCutInsideAKey(segmentBytes: Int) throws {
        let text = Self.log(padding: 60)
        let repo = try TestRepo(git: false)
        try repo.write("key.log", text)
        let analyzer = LogAnalyzer(redactor: try Redactor(), now: Date())
        let streamed = try analyzer.analyze(descriptor: open(repo.path("key.log"), O_RDONLY), segmentBytes: segmentBytes)
        #expect(Self.leaked(streamed).isEmpty, "\(Self.leaked(streamed).prefix(2))")
        #expect(streamed.redactions["private-key"] == analyzer.analyze(Data(text.utf8)).redactions["private-key"])
    }

    @Test func aFileIsNotHalvedInsideAKey() throws {
        let text = Self.log(padding: 400)
        let repo = try TestRepo(git: false)
        try repo.write("key.log", text)
        // The middle of the file falls inside the block.
        let middle = text.utf8.count / 2
        #expect(String(decoding: Array(text.utf8)[middle..<middle + 200], as: UTF8.self).contains("secretkeymaterial"))
        let analyzer = LogAnalyzer(redactor: try Redactor(), now: Date())
        let halves = try analyzer.analyze(
            first: open(repo.path("key.log"), O_RDONLY), second: open(repo.path("key.log"), O_RDONLY),
            size: text.utf8.count)
        #expect(Self.leaked(halves).isEmpty, "\(Self.leaked(halves).prefix(2))")
        #expect(halves.lines == analyzer.analyze(Data(text.utf8)).lines)
    }

    @Test func theRuleIsTheEngines() {
        func open(_ text: String) -> Bool {
            Array(text.utf8).withUnsafeBufferPointer { PrivateKeyBlock.isOpen(after: $0) }
        }
        #expect(open("x\n-----BEGIN EC PRIVATE KEY-----\nMHc"))
        #expect(!open("-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n"))
        #expect(!open("-----BEGIN CERTIFICATE-----\nMIIC"))
        #expect(!open("a ------------ separator\n"))
        #expect(!open("-----BEGIN PRIVATE KEY----- MIIE -----END PRIVATE KEY-----"))
    }
}
