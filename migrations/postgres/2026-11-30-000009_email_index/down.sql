DROP INDEX leads_owner_email;
CREATE INDEX leads_owner_email ON leads(owner_key, email);
