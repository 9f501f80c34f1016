using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AgentCloud.ControlPlane.Infrastructure.Migrations
{
    /// <summary>
    /// Period budgets: a project's weighted tokens and dollars per day, week or month with its alert thresholds, and a key's
    /// dollar budget (a run key's: its creator's, named by dollar_budget_key_id).
    /// </summary>
    public partial class PeriodBudgets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<List<int>>(
                name: "alert_thresholds",
                table: "projects",
                type: "integer[]",
                nullable: false,
                defaultValueSql: "'{80,100}'::integer[]");

            migrationBuilder.AddColumn<decimal>(
                name: "dollars_per_period",
                table: "projects",
                type: "numeric(18,6)",
                precision: 18,
                scale: 6,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "period",
                table: "projects",
                type: "character varying(8)",
                maxLength: 8,
                nullable: false,
                defaultValue: "month");

            migrationBuilder.AddColumn<long>(
                name: "tokens_per_period",
                table: "projects",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<decimal>(
                name: "dollar_budget",
                table: "api_keys",
                type: "numeric(18,6)",
                precision: 18,
                scale: 6,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "dollar_budget_key_id",
                table: "api_keys",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "dollar_budget_period",
                table: "api_keys",
                type: "character varying(8)",
                maxLength: 8,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "alert_thresholds",
                table: "projects");

            migrationBuilder.DropColumn(
                name: "dollars_per_period",
                table: "projects");

            migrationBuilder.DropColumn(
                name: "period",
                table: "projects");

            migrationBuilder.DropColumn(
                name: "tokens_per_period",
                table: "projects");

            migrationBuilder.DropColumn(
                name: "dollar_budget",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "dollar_budget_key_id",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "dollar_budget_period",
                table: "api_keys");
        }
    }
}
