-- The unique (owner_id, username) index already orders by username (an incremental sort settles the id
-- tie-break, and usernames have no ties), so the partial copy only cost every insert (~10 % of a large import).
DROP INDEX leads_live_username;
