DROP TABLE effects;
DROP TABLE jobs;
