using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentCloud.ControlPlane.Infrastructure.Migrations
{
    /// <summary>
    /// The second wall: the service's own role (not the tables' owner, no BYPASSRLS) and a policy on every
    /// tenant table that admits only the rows of the tenant set for the transaction, or all rows in the
    /// platform scope. The audit trail is append-only for the service: it may insert and read, never change.
    /// </summary>
    public partial class RowLevelSecurity : Migration
    {
        private static readonly string[] TenantTables =
            ["tenants", "tenant_models", "tenant_allowlist", "api_keys", "vault_keys", "vault_secrets", "audit_events", "audit_heads"];

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql($"""
                DO $$ BEGIN
                    CREATE ROLE {ServiceRole.Name} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
                EXCEPTION WHEN duplicate_object THEN NULL;
                END $$;
                """);
            migrationBuilder.Sql($"GRANT USAGE ON SCHEMA public TO {ServiceRole.Name};");
            migrationBuilder.Sql($"GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, tenant_models, tenant_allowlist, api_keys, vault_keys, vault_secrets, audit_heads TO {ServiceRole.Name};");
            migrationBuilder.Sql($"GRANT SELECT, INSERT ON audit_events TO {ServiceRole.Name};");
            migrationBuilder.Sql($"""
                DO $$ BEGIN
                    EXECUTE format('GRANT USAGE ON SEQUENCE %s TO {ServiceRole.Name}', pg_get_serial_sequence('audit_events', 'event_id'));
                END $$;
                """);
            foreach (var table in TenantTables)
            {
                migrationBuilder.Sql($"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;");
                migrationBuilder.Sql($"""
                    CREATE POLICY tenant_isolation ON {table}
                        USING ({ServiceRole.RowFilter})
                        WITH CHECK ({ServiceRole.RowFilter});
                    """);
            }
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            foreach (var table in TenantTables)
            {
                migrationBuilder.Sql($"DROP POLICY IF EXISTS tenant_isolation ON {table};");
                migrationBuilder.Sql($"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;");
            }
            migrationBuilder.Sql($"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ServiceRole.Name};");
            migrationBuilder.Sql($"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ServiceRole.Name};");
            migrationBuilder.Sql($"REVOKE USAGE ON SCHEMA public FROM {ServiceRole.Name};");
        }
    }
}
