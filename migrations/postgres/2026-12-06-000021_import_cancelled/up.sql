-- A user (or an admin, through the import's job) can cancel an import: it stops at its next commit, keeps the rows
-- already written, and its file is removed.
ALTER TABLE imports DROP CONSTRAINT imports_status_check;
ALTER TABLE imports ADD CONSTRAINT imports_status_check
    CHECK (status IN ('uploaded', 'running', 'done', 'failed', 'interrupted', 'cancelled'));
