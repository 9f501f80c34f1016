using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentCloud.ControlPlane.Infrastructure.Migrations
{
    /// <inheritdoc />
    public partial class KeyLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "requests_per_minute",
                table: "api_keys",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "tokens_per_minute",
                table: "api_keys",
                type: "bigint",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "requests_per_minute",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "tokens_per_minute",
                table: "api_keys");
        }
    }
}
