-- The rows an import skipped and why (a JSON list like errors), for its report.
ALTER TABLE imports ADD COLUMN skips TEXT NOT NULL DEFAULT '[]';
