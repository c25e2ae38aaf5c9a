DROP TABLE provider_calls;
DROP TABLE provider_settings;
