-- Only leads with an e-mail address are in the e-mail index: every query that uses it asks for an address (a
-- duplicate lookup, "has e-mail", the do-not-contact list), and a typical workspace has one for a third of its
-- leads or fewer, so imports write it for those only (a random-order index: the costliest kind to keep up).
DROP INDEX leads_owner_email;
CREATE INDEX leads_owner_email ON leads(owner_key, email) WHERE email IS NOT NULL;
