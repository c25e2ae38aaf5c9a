-- The claim picks due jobs `ORDER BY priority, run_at, id`: with `id` in the index the order is the index's, so a
-- claim reads the first rows instead of sorting every due job.
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs(queue, priority, run_at, id) WHERE state IN ('available', 'scheduled', 'retryable');
