-- Applied at every start under an advisory lock; every statement is idempotent.
CREATE TABLE IF NOT EXISTS usage_events (
    event_id            text COLLATE "C" PRIMARY KEY, -- byte order: cheaper comparisons on the hottest index
    tenant_id           text NOT NULL,
    principal           text NOT NULL,
    run_id              text,
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

-- One row per (tenant, kind, resource, minute): what the read APIs and chargeback use.
CREATE TABLE IF NOT EXISTS usage_rollups (
    tenant_id           text NOT NULL,
    kind                text NOT NULL,
    resource            text NOT NULL,
    minute              timestamptz NOT NULL,
    events              bigint NOT NULL,
    input_tokens        bigint NOT NULL,
    cached_input_tokens bigint NOT NULL,
    output_tokens       bigint NOT NULL,
    weighted_tokens     bigint NOT NULL,
    sandbox_seconds     numeric NOT NULL,
    cost                numeric NOT NULL,
    PRIMARY KEY (tenant_id, kind, resource, minute)
);

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
