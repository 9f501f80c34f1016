-- Applied at every start under an advisory lock; every statement is idempotent.
CREATE TABLE IF NOT EXISTS usage_events (
    event_id            text COLLATE "C" PRIMARY KEY, -- byte order: cheaper comparisons on the hottest index
    tenant_id           text NOT NULL,
    principal           text NOT NULL,
    run_id              text,
    project_id          text,
    kind                text NOT NULL,
    resource            text NOT NULL,
    endpoint            text,
    placement           text,
    input_tokens        bigint NOT NULL,
    cached_input_tokens bigint NOT NULL,
    output_tokens       bigint NOT NULL,
    weighted_tokens     bigint NOT NULL,
    sandbox_seconds     numeric(18, 6) NOT NULL,
    started_at          timestamptz NOT NULL,
    duration_ms         bigint NOT NULL,
    status              text NOT NULL,
    cost                numeric NOT NULL,
    stream_id           text NOT NULL,
    ingested_at         timestamptz NOT NULL DEFAULT now()
);
-- Reads go to the rollups; raw events are read only by reconciliation, which scans by time. A B-tree here
-- would cost every insert another index update; BRIN on the (nearly time-ordered) start costs almost nothing.
CREATE INDEX IF NOT EXISTS usage_events_started_brin ON usage_events USING brin (started_at);

-- One row per (tenant, kind, resource, minute, principal, project): what the read APIs and chargeback use. Principal
-- and project come last, so per-model reads and reconciliation keep the key prefix they had; per-key and per-project
-- reads sum a tenant's minutes. A key of no project has project_id '' (a key column cannot be null).
CREATE TABLE IF NOT EXISTS usage_rollups (
    tenant_id           text NOT NULL,
    kind                text NOT NULL,
    resource            text NOT NULL,
    minute              timestamptz NOT NULL,
    principal           text NOT NULL,
    project_id          text NOT NULL DEFAULT '',
    events              bigint NOT NULL,
    input_tokens        bigint NOT NULL,
    cached_input_tokens bigint NOT NULL,
    output_tokens       bigint NOT NULL,
    weighted_tokens     bigint NOT NULL,
    sandbox_seconds     numeric NOT NULL,
    cost                numeric NOT NULL,
    PRIMARY KEY (tenant_id, kind, resource, minute, principal, project_id)
);

-- A database from before per-principal rollups: split every bucket by principal, once, from the raw events (which
-- name it). Whatever a bucket held beyond its raw events (drift reconciliation already showed) stays under
-- principal 'unattributed', so no bucket's totals change. Replicas still running the previous version wait on the
-- lock; afterwards their upserts fail (no principal), so their batches roll back and are redelivered, never lost.
DO $migrate$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'usage_rollups' AND column_name = 'principal') THEN
        RETURN;
    END IF;
    -- In the order batches take them (ledger, then rollups), so an in-flight batch finishes instead of deadlocking.
    LOCK TABLE usage_events IN SHARE MODE;
    LOCK TABLE usage_rollups IN ACCESS EXCLUSIVE MODE;
    CREATE TEMP TABLE usage_rollups_before ON COMMIT DROP AS SELECT * FROM usage_rollups;
    TRUNCATE usage_rollups;
    ALTER TABLE usage_rollups ADD COLUMN principal text NOT NULL;
    ALTER TABLE usage_rollups DROP CONSTRAINT usage_rollups_pkey;
    ALTER TABLE usage_rollups ADD PRIMARY KEY (tenant_id, kind, resource, minute, principal);
    INSERT INTO usage_rollups (tenant_id, kind, resource, minute, principal, events, input_tokens, cached_input_tokens,
        output_tokens, weighted_tokens, sandbox_seconds, cost)
    WITH raw AS (
        SELECT e.tenant_id, e.kind, e.resource, date_trunc('minute', e.started_at, 'UTC') AS minute, e.principal,
               count(*)::bigint AS events, sum(e.input_tokens)::bigint AS input_tokens,
               sum(e.cached_input_tokens)::bigint AS cached_input_tokens, sum(e.output_tokens)::bigint AS output_tokens,
               sum(e.weighted_tokens)::bigint AS weighted_tokens, sum(e.sandbox_seconds) AS sandbox_seconds, sum(e.cost) AS cost
        FROM usage_events e
        JOIN usage_rollups_before b
          ON b.tenant_id = e.tenant_id AND b.kind = e.kind AND b.resource = e.resource
         AND b.minute = date_trunc('minute', e.started_at, 'UTC')
        GROUP BY 1, 2, 3, 4, 5
    ),
    remainder AS (
        SELECT b.tenant_id, b.kind, b.resource, b.minute, 'unattributed' AS principal,
               b.events - coalesce(sum(r.events), 0) AS events,
               b.input_tokens - coalesce(sum(r.input_tokens), 0) AS input_tokens,
               b.cached_input_tokens - coalesce(sum(r.cached_input_tokens), 0) AS cached_input_tokens,
               b.output_tokens - coalesce(sum(r.output_tokens), 0) AS output_tokens,
               b.weighted_tokens - coalesce(sum(r.weighted_tokens), 0) AS weighted_tokens,
               b.sandbox_seconds - coalesce(sum(r.sandbox_seconds), 0) AS sandbox_seconds,
               b.cost - coalesce(sum(r.cost), 0) AS cost
        FROM usage_rollups_before b
        LEFT JOIN raw r USING (tenant_id, kind, resource, minute)
        GROUP BY b.tenant_id, b.kind, b.resource, b.minute, b.events, b.input_tokens, b.cached_input_tokens,
                 b.output_tokens, b.weighted_tokens, b.sandbox_seconds, b.cost
    )
    -- Summed again in case a real principal is itself called 'unattributed'.
    SELECT tenant_id, kind, resource, minute, principal, sum(events), sum(input_tokens), sum(cached_input_tokens),
           sum(output_tokens), sum(weighted_tokens), sum(sandbox_seconds), sum(cost)
    FROM (
        SELECT * FROM raw
        UNION ALL
        SELECT * FROM remainder
        WHERE events <> 0 OR input_tokens <> 0 OR cached_input_tokens <> 0 OR output_tokens <> 0 OR weighted_tokens <> 0
           OR sandbox_seconds <> 0 OR cost <> 0
    ) split
    GROUP BY 1, 2, 3, 4, 5;
END
$migrate$;

-- A database from before per-project rollups: the ledger did not keep the project, so every existing row is usage of
-- no project ('') and nothing needs recomputing; only the key widens. Runs after the principal split above. Replicas
-- of the previous version then fail their upserts (their ON CONFLICT names the old key), so their batches roll back
-- and are redelivered, never lost.
-- Each table is checked before it is altered: an ALTER takes its exclusive lock even when there is nothing to do.
DO $project$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'usage_events' AND column_name = 'project_id') THEN
        ALTER TABLE usage_events ADD COLUMN project_id text;
    END IF;
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'usage_rollups' AND column_name = 'project_id') THEN
        RETURN;
    END IF;
    LOCK TABLE usage_rollups IN ACCESS EXCLUSIVE MODE;
    ALTER TABLE usage_rollups ADD COLUMN project_id text NOT NULL DEFAULT '';
    ALTER TABLE usage_rollups DROP CONSTRAINT usage_rollups_pkey;
    ALTER TABLE usage_rollups ADD PRIMARY KEY (tenant_id, kind, resource, minute, principal, project_id);
END
$project$;

-- Prices in force from effective_from until the next row for the same resource; per million tokens and per sandbox second.
CREATE TABLE IF NOT EXISTS usage_prices (
    resource                 text NOT NULL,
    effective_from           timestamptz NOT NULL,
    input_per_million        numeric NOT NULL DEFAULT 0,
    cached_input_per_million numeric NOT NULL DEFAULT 0,
    output_per_million       numeric NOT NULL DEFAULT 0,
    per_sandbox_second       numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (resource, effective_from)
);

-- Tenants the ControlPlane offboarded: their usage stays for billing, new events for them are dead-lettered.
CREATE TABLE IF NOT EXISTS offboarded_tenants (
    tenant_id      text PRIMARY KEY,
    offboarded_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO usage_prices (resource, effective_from, input_per_million, cached_input_per_million, output_per_million, per_sandbox_second) VALUES
    ('sandbox:none',         '2026-01-01T00:00:00Z', 0, 0, 0, 0.000008),
    ('sandbox:namespace',    '2026-01-01T00:00:00Z', 0, 0, 0, 0.000010),
    ('sandbox:bubblewrap',   '2026-01-01T00:00:00Z', 0, 0, 0, 0.000012),
    ('sandbox:gvisor',       '2026-01-01T00:00:00Z', 0, 0, 0, 0.000020),
    ('sandbox:firecracker',  '2026-01-01T00:00:00Z', 0, 0, 0, 0.000028)
ON CONFLICT (resource, effective_from) DO NOTHING;
