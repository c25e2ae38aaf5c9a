DROP INDEX leads_owner_email;
DROP TABLE imports;
