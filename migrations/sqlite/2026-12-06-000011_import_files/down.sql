ALTER TABLE imports DROP COLUMN file_removed_at;
