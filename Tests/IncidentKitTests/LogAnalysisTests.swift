import Foundation
import OrderedCollections
import Testing

@testable import IncidentKit

@Suite struct RedactorTests {
    let redactor = try! Redactor()

    func redact(_ text: String) -> (String, OrderedDictionary<String, Int>) {
        var counts = OrderedDictionary<String, Int>()
        return (redactor.redact(text, counts: &counts), counts)
    }

    /// "Seen first" is by time when the events have times: pods' logs printed one after another
    /// (`kubectl logs -l … --prefix`) put a later symptom above an earlier cause, and a log in
    /// another order is the same log (SPEC: the fingerprint is stable across input order).
    @Test func seenFirstIsByTimeAndTheOrderOfLinesChangesNothing() throws {
        let lines = [
            "2024-11-20T10:05:01Z ERROR [api] GET /balance/91 failed: ledger not ready",
            "2024-11-20T10:05:03Z ERROR [api] GET /balance/92 failed: ledger not ready",
            "2024-11-20T10:04:10Z ERROR [config] LEDGER_SIGNING_KEY_PATH is not set",
            "2024-11-20T10:04:12Z INFO [main] retrying startup",
        ]
        func analysis(_ lines: [String]) throws -> LogAnalysis {
            LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        let printed = try analysis(lines)
        #expect(printed.primary?.template == "LEDGER_SIGNING_KEY_PATH is not set", "\(printed.events.map(\.template))")
        #expect(printed.primary?.why.contains("first at 2024-11-20T10:04:10Z, line 3") == true)
        for order in [[3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]] {
            let shuffled = try analysis(order.map { lines[$0] })
            #expect(shuffled.fingerprint == printed.fingerprint && shuffled.title == printed.title, "\(order)")
        }
    }

    /// mysqld's "Aborting" is a symptom: the [ERROR] lines before it say why it stopped, and one
    /// of them is the primary (it was critical by its signature and outranked the cause).
    @Test func mysqlAbortingIsASymptomOfTheErrorsBeforeIt() throws {
        let log = """
            2024-08-19T03:11:02.901177Z 1 [ERROR] [MY-012596] [InnoDB] Error number 28 means 'No space left on device'
            2024-08-19T03:11:02.901244Z 1 [ERROR] [MY-012981] [InnoDB] Cannot continue operation.
            2024-08-19T03:11:03.004512Z 0 [ERROR] [MY-010119] [Server] Aborting

            """
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(log.utf8))
        #expect(analysis.primary?.template.contains("No space left on device") == true, "\(analysis.events.map(\.template))")
        #expect(analysis.events.first { $0.template.hasSuffix("Aborting") }?.signature == "mysql-aborting")
    }

    /// A platform is a whole word of the log ("weeks" names no EKS) and is not said twice; a
    /// category that says little alone ("crash") takes the failure's own words when no service is
    /// named; the kernel's OOM lines name the process killed.
    @Test func titlesNameThePlatformOnceAndWhatCrashed() throws {
        func title(_ log: String) throws -> String {
            LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(log.utf8)).title
        }
        #expect(try title("2025-01-01T00:00:00Z ERROR backup stopped; retry in 3 weeks\n") == "Backup stopped")
        #expect(
            try title("2025-01-01T00:00:00Z ERROR aws sts: AccessDenied for role deployer\n").hasSuffix(" in AWS") == false)
        #expect(
            try title("panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV]\n")
                == "Crash: invalid memory address or nil pointer dereference")
        let oom = """
            [Sun Nov 30 13:02:11 2026] search-indexer invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE), order=0
            [Sun Nov 30 13:02:11 2026] Memory cgroup out of memory: Killed process 44120 (search-indexer) total-vm:9123344kB

            """
        #expect(try title(oom).hasPrefix("Search-indexer out of memory"))
    }

    /// A title read from the primary's words (no signature or service named one): variable words
    /// are left out, a redacted value among them, and the first clause ends at a ':', '.' or ';'
    /// that ends a word, not at one inside a host name or a placeholder.
    @Test(arguments: [
        ("ERROR token=abcdefghijklmnop1234 rejected by gateway", "Rejected by gateway"),
        ("ERROR login failed password=hunter2 for user bob", "Login failed for user bob"),
        ("ERROR Upload to files.internal.example failed after 3 retries", "Upload to files.internal.example failed after retries"),
        ("ERROR job 42 failed: exit status 3", "Job failed"),
        ("ERROR rollout halted; canary unhealthy", "Rollout halted"),
        ("ERROR Nightly backup stopped. Disk quota reached", "Nightly backup stopped"),
        // Eight words at most, not ending on one that needs more after it.
        ("ERROR Unable to reconcile invoice batch for tenant because the ledger timed out", "Unable to reconcile invoice batch for tenant"),
        // Quotes around a word are taken off with the clause's end ("'payments/checkout':").
        ("ERROR error syncing 'payments/checkout': failed to update status", "Error syncing payments/checkout"),
        // A bracket the cut left open is closed.
        ("ERROR Cannot read properties of undefined (reading 'reduce')", "Cannot read properties of undefined (reading reduce)"),
    ])
    func titleFromWordsLeavesVariablesOutAndEndsAtAClause(line: String, title: String) throws {
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(Data(("2025-01-01T00:00:00Z " + line + "\n").utf8))
        #expect(analysis.primary?.category == nil)
        #expect(analysis.title == title)
    }

    @Test(arguments: [
        ("token ghp_Q8mZ3vR7tL2xK9wB4nY6cD1fH5jP0sA8eU3i end", "github-token"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", "github-token"),
        ("gho_16C7e42F292c6912E7710c838347Ae178B4a and ghs_16C7e42F292c6912E7710c838347Ae178B4a", "github-token"),
        ("key AKIAIOSFODNN7EXAMPLE here", "aws-access-key-id"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws-secret-access-key"),
        ("key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe", "gcp-api-key"),
        ("xoxb-1234567890-abcdefghij", "slack-token"),
        ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", "slack-webhook"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private-key"),
        ("Authorization: Bearer abcdef0123456789xyz", "bearer-token"),
        ("password=hunter2 user=bob", "password"),
        (#"{"secret": "s3cr3t"}"#, "password"),
        ("redis://:s3cr3t@10.0.0.1:6379/0", "url-credentials"),
        ("postgres://app:pa55w0rd@db:5432/app", "url-credentials"),
    ])
    func eachKindIsRedactedAndCounted(text: String, kind: String) {
        let (out, counts) = redact(text)
        #expect(counts[kind] ?? 0 >= 1, "\(out)")
        #expect(out.contains("[REDACTED:\(kind)]"))
    }

    @Test func theSecretItselfIsGoneButItsContextStays() {
        let (out, _) = redact("connect redis://:s3cr3t@10.0.0.1:6379/0 and Authorization: Bearer abcdef0123456789xyz")
        #expect(
            out
                == "connect redis://:[REDACTED:url-credentials]@10.0.0.1:6379/0 and Authorization: Bearer [REDACTED:bearer-token]"
        )
    }

    @Test(arguments: [
        "request_id=7f3a2c9d-1b2e-4c5d-8e9f-0a1b2c3d4e5f done",
        "commit 3c9d0e41a2b7f00d3c9d0e41a2b7f00d3c9d0e41",
        "Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106",
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "GET /api/v1/users?page=2 200 12ms",
        "the password field was empty",
    ])
    func ordinaryLogContentIsLeftAlone(text: String) {
        let (out, counts) = redact(text)
        #expect(out == text)
        #expect(counts.isEmpty)
    }

    @Test func configAddsPatternsAllowsLiteralsAndPII() throws {
        var config = Config()
        config.redactPatterns = [.init(name: "ticket", regex: "INT-[0-9]+")]
        config.redactAllow = ["ghp_000000000000000000000000000000000000"]
        config.redactPII = true
        let custom = try Redactor(config: config)
        var counts = OrderedDictionary<String, Int>()
        let out = custom.redact(
            "INT-42 ghp_000000000000000000000000000000000000 dana@example.com 10.1.2.3", counts: &counts)
        #expect(
            out == "[REDACTED:ticket] ghp_000000000000000000000000000000000000 [REDACTED:email] [REDACTED:ip-address]")
        config.redactPatterns = [.init(name: "bad", regex: "([")]
        #expect(throws: IncidentError.self) { try Redactor(config: config) }
    }
}

@Suite struct LogAnalysisTests {
    /// The repo's own example must yield the seed incident's facts.
    @Test func theExampleLogYieldsTheSeedIncidentsFacts() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/redis-staging.log")
        let analysis = LogAnalyzer(redactor: try Redactor(), now: Date()).analyze(try Data(contentsOf: url))
        let primary = try #require(analysis.primary)
        // The cause, not the loudest symptom (issue 7): the Redis connection failures come first and
        // the critical readiness failure names redis; the incident is as severe as that symptom.
        #expect(primary.severity == .critical)
        #expect(primary.template.contains("Redis connection failed"))
        #expect(primary.category == "connectivity")
        #expect(primary.hint?.isEmpty == false)
        #expect(primary.count == 7)
        #expect(analysis.intervalSeconds == 60)
        #expect(analysis.services == ["redis"])
        #expect(analysis.sourceLocations.first == "netra_backend.app.redis_manager.connect")
        #expect(analysis.environment == "staging")
        #expect(analysis.title == "Redis connection failure in GCP staging")
        #expect(
            analysis.warnings == [
                "frontend_url contains localhost in staging environment",
                "api_base_url contains localhost in staging environment",
                "REDIS_URL is deprecated and will be removed in version 2.0.0",
            ])
        #expect(analysis.redactions["github-token"] == 1)
        #expect(analysis.redactions["url-credentials"] == 7)
    }

    @Test func theFingerprintIgnoresVariablePartsAndOrder() {
        let analyzer = LogAnalyzer(redactor: try! Redactor(), now: Date())
        let a = analyzer.analyze(Data("2025-01-01T00:00:00Z ERROR pool exhausted after 30s on 10.0.0.1:5432\n".utf8))
        let b = analyzer.analyze(Data("2026-03-04T10:00:00Z ERROR pool exhausted after 12s on 10.9.9.9:5432\n".utf8))
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint?.count == 12)
        let c = analyzer.analyze(Data("2026-03-04T10:00:00Z ERROR disk full on /var\n".utf8))
        #expect(a.fingerprint != c.fingerprint)
    }

    @Test func aLogWithoutErrorsIsLow() {
        let analysis = LogAnalyzer(redactor: try! Redactor(), now: Date()).analyze(
            Data("2025-01-01T00:00:00Z INFO all good\n".utf8))
        #expect(analysis.severity == .low)
    }
}

/// Services an SRE names that no dependency clue gives: the program that logged the failure, the
/// container a pasted command read, the image a pull failed for.
@Suite struct ServiceClueTests {
    @Test(arguments: [
        ("ross@xenon:~$ kubectl logs kube-applier-6949c7675b-g626g -c git-sync", "git-sync"),
        ("$ kubectl logs -n prod deploy/api --container=web --tail 50", "web"),
        ("$ kubectl logs -n prod pod/checkout-7d9c-abc", "checkout-7d9c-abc"),
        ("# docker logs --tail 100 payments", "payments"),
        ("docker compose logs -f worker", "worker"),
        ("sudo journalctl -u nginx.service --since today", "nginx"),
    ])
    func aPastedCommandNamesWhatItRead(line: String, name: String) {
        #expect(Facts.commandTarget(line) == name)
    }

    @Test func aPodNamesItsWorkload() {
        #expect(Facts.workload(in: "api-7d9c8b7f6-abcde         0/1     CrashLoopBackOff   12 (2m ago)    40m") == "api")
        #expect(Facts.workload(in: "Warning  BackOff  pod/checkout-web-5f6d7c8b9-klm2o  Back-off restarting") == "checkout-web")
        // Not pod names: no ReplicaSet hash, or no pod column.
        #expect(Facts.workload(in: "fluentd-x7k2p   1/1   Running   0   2d") == nil)
        #expect(Facts.workload(in: "request-handler-timeout-abcde took 5s") == nil)
    }

    @Test func otherLinesNameNothing() {
        #expect(Facts.commandTarget("2025-09-09 ERROR kubectl failed") == nil)
        #expect(Facts.commandTarget("docker ps -a") == nil)
        #expect(Facts.commandTarget("journalctl --since today") == nil)
    }

    @Test func imagesAndProgramsByName() {
        #expect(Facts.imageName(#"Failed to pull image "ghcr.io/acme/kubestr:latest": denied"#) == "kubestr")
        #expect(Facts.imageName(#"Back-off pulling image "nginx@sha256:abc""#) == "nginx")
        #expect(Facts.imageName("pulled the image") == nil)
        #expect(Facts.programName("pglookout") == "pglookout")
        #expect(Facts.programName("nginx[1234]") == "nginx")
        #expect(Facts.programName("kernel") == nil)
        #expect(Facts.programName("com.acme.Service") == nil)
        #expect(Facts.programName("src/main.go:42") == nil)
    }

    @Test(arguments: [
        #"{"@timestamp":"2025-09-09T02:25:11Z","log.level":"error","message":"payment declined","service.name":"checkout"}"#,
        #"{"time":"2025-09-09T02:25:11Z","level":"error","msg":"payment declined","service":{"name":"checkout"}}"#,
        #"{"ts":1757384711,"level":"error","msg":"payment declined","app":"checkout"}"#,
        #"{"MESSAGE":"payment declined","PRIORITY":"3","_SYSTEMD_UNIT":"checkout.service"}"#,
        #"time=2025-09-09T02:25:11Z level=error msg="payment declined" service=checkout"#,
        #"{"name":"checkout","hostname":"web-1","pid":7,"level":50,"msg":"payment declined","time":"2025-09-09T02:25:11Z","v":0}"#,
    ])
    func aStructuredLineNamesItsService(line: String) {
        let analysis = LogAnalyzer(redactor: try! Redactor(), now: Date()).analyze(Data((line + "\n").utf8))
        #expect(analysis.services == ["checkout"], "\(analysis.services)")
    }

    @Test func theProgramThatLoggedASevereEventIsAService() {
        let log = """
            Nov 18 09:14:49 db1 pglookout[311]: ERROR could not connect to server: Connection refused
            Nov 18 09:14:50 db1 cron[12]: (root) CMD (run-parts /etc/cron.hourly)

            """
        let analysis = LogAnalyzer(redactor: try! Redactor(), now: Date()).analyze(Data(log.utf8))
        #expect(analysis.services.contains("pglookout"), "\(analysis.services)")
        #expect(!analysis.services.contains("cron"), "a program with nothing severe is not named")
    }
}
