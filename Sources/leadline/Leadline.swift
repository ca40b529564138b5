import ArgumentParser

/// The `leadline` command: the service, its database chores, and an interactive client.
@main
struct Leadline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leadline",
        abstract: "Lead assignment for inbound sales floors, on PostgreSQL.",
        discussion: """
            Without --database-url (or DATABASE_URL) every command uses a private PostgreSQL
            cluster in --data-dir (default ./.leadline), created and started as needed.
            """,
        subcommands: [
            ServeCommand.self, DemoCommand.self, CLICommand.self,
            MigrateCommand.self, SeedCommand.self, ImportCommand.self, CatalogueCommand.self, TeamCommand.self, AgentCommand.self, BenchCommand.self,
        ])
}
