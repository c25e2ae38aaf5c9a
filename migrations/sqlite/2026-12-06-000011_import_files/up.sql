-- Uploaded import files are removed when their import ends, or when they were not imported within a day; this
-- records when (NULL: the file is still stored and counts against its owner's upload quota).
ALTER TABLE imports ADD COLUMN file_removed_at TIMESTAMP;
