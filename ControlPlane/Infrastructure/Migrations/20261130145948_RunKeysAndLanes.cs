using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentCloud.ControlPlane.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class RunKeysAndLanes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "default_lane",
                table: "api_keys",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "expires_at",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "run_id",
                table: "api_keys",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_tenant_id_run_id",
                table: "api_keys",
                columns: new[] { "tenant_id", "run_id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_api_keys_tenant_id_run_id",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "default_lane",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "expires_at",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "run_id",
                table: "api_keys");
        }
    }
}
