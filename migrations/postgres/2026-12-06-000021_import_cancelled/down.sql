UPDATE imports SET status = 'failed' WHERE status = 'cancelled';
ALTER TABLE imports DROP CONSTRAINT imports_status_check;
ALTER TABLE imports ADD CONSTRAINT imports_status_check
    CHECK (status IN ('uploaded', 'running', 'done', 'failed', 'interrupted'));
