DROP TABLE saved_views;
DROP TABLE do_not_contact;
DROP TABLE hashtag_pairs;
DROP TABLE system_prompt_versions;
DROP TABLE system_prompts;
DROP TABLE lead_edits;
DROP TABLE leads;
DROP TABLE products;
