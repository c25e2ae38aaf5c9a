DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs(queue, priority, run_at) WHERE state IN ('available', 'scheduled', 'retryable');
