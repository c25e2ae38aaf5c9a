-- The job engine: one row per job (River/Oban design). A claim leases the row until locked_until and bumps token
-- (the fencing token); completion, failure, snooze and progress are accepted only with the current token.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    queue TEXT NOT NULL,
    args TEXT NOT NULL,
    owner_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    priority INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('available', 'scheduled', 'running', 'retryable', 'completed', 'discarded', 'cancelled')),
    run_at TIMESTAMP NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    token BIGINT NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    locked_by TEXT,
    unique_key TEXT,
    progress TEXT,
    last_error TEXT,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    attempted_at TIMESTAMP,
    finished_at TIMESTAMP
);
-- What a worker claims next, per queue.
CREATE INDEX jobs_due ON jobs(queue, priority, run_at) WHERE state IN ('available', 'scheduled', 'retryable');
-- Leases the rescuer looks at.
CREATE INDEX jobs_running ON jobs(locked_until) WHERE state = 'running';
-- Finished jobs for the pruner.
CREATE INDEX jobs_finished ON jobs(finished_at) WHERE state IN ('completed', 'discarded', 'cancelled');
CREATE INDEX jobs_owner ON jobs(owner_id, created_at);
-- One active job per (kind, unique key).
CREATE UNIQUE INDEX jobs_unique ON jobs(kind, unique_key)
    WHERE unique_key IS NOT NULL AND state IN ('available', 'scheduled', 'running', 'retryable');

-- The effects ledger: a side effect recorded under its unique key in the same transaction as the state it changes,
-- so a job run again can tell "already done" from "not yet".
CREATE TABLE effects (
    key TEXT PRIMARY KEY NOT NULL,
    job_id TEXT,
    kind TEXT NOT NULL,
    result TEXT,
    done_at TIMESTAMP NOT NULL
);
CREATE INDEX effects_job ON effects(job_id);
