import ArgumentParser
import EmbeddedPostgres
import Foundation
import LeadStore
import Logging
import Postgres

/// Where the database is: `--database-url`/`DATABASE_URL`, or the embedded cluster.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "PostgreSQL URL or conninfo (default: $DATABASE_URL; without either, an embedded cluster in --data-dir).")
    var databaseURL: String?

    @Option(name: .customLong("data-dir"),
            help: "Directory of the embedded PostgreSQL cluster (default: $LEADLINE_DATA_DIR or ./.leadline).")
    var dataDir: String?

    var resolvedURL: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let env = ProcessInfo.processInfo.environment["DATABASE_URL"], !env.isEmpty { return env }
        return nil
    }

    var resolvedDataDir: String {
        dataDir ?? ProcessInfo.processInfo.environment["LEADLINE_DATA_DIR"] ?? ".leadline"
    }

    /// Runs `body` with a conninfo. With the embedded cluster: starts it if needed (creating
    /// and migrating the `leadline` database), and stops it afterwards unless another
    /// command (a running `serve`, say) is still using it.
    func withDatabase<T>(migrate: Bool = true, logger: Logger, _ body: (String) async throws -> T) async throws -> T {
        if let url = resolvedURL {
            if migrate {
                let c = try PostgresConnection(conninfo: url)
                defer { c.close() }
                _ = try Migrator(logger: logger).migrate(c)
            }
            return try await body(url)
        }
        let cluster = EmbeddedCluster(directory: resolvedDataDir, profile: .service, logger: logger)
        let attachment = try await cluster.attach()
        if attachment.started { logger.info("embedded PostgreSQL started", metadata: ["dir": "\(cluster.directory)"]) }
        do {
            let admin = try PostgresConnection(conninfo: cluster.conninfo())
            if try admin.query("SELECT 1 FROM pg_database WHERE datname = 'leadline'").isEmpty {
                do {
                    try admin.query("CREATE DATABASE leadline")
                } catch {
                    // Another command created it at the same moment: fine.
                    if error.sqlState != "42P04" && error.kind != .uniqueViolation { throw error }
                }
            }
            admin.close()
            let conninfo = cluster.conninfo(database: "leadline")
            if migrate {
                let c = try PostgresConnection(conninfo: conninfo)
                _ = try Migrator(logger: logger).migrate(c)
                c.close()
            }
            let value = try await body(conninfo)
            try await attachment.detach()
            return value
        } catch {
            try? await attachment.detach()
            throw error
        }
    }
}

extension DatabaseOptions {
    /// Runs `body` on one connection to the resolved database (embedded or not); a
    /// directory refusal (`AgentDirectory.Failure`) becomes a plain error message.
    func withConnection<T>(logger: Logger, _ body: (PostgresConnection) throws -> T) async throws -> T {
        try await withDatabase(logger: logger) { conninfo in
            let c = try PostgresConnection(conninfo: conninfo)
            defer { c.close() }
            do {
                return try body(c)
            } catch let f as AgentDirectory.Failure {
                throw CommandFailure(f.description)
            }
        }
    }
}

/// A logger for CLI commands: warnings and up on stderr unless --verbose.
func commandLogger(_ label: String, verbose: Bool = false) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = verbose ? .info : .warning
    return logger
}

/// A short, user-facing failure message and exit code 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
