using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentCloud.ControlPlane.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class KeyRotation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "previous_hash",
                table: "api_keys",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "previous_hash_valid_until",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "rotated_at",
                table: "api_keys",
                type: "timestamp with time zone",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "previous_hash",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "previous_hash_valid_until",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "rotated_at",
                table: "api_keys");
        }
    }
}
