DROP TABLE lead_spans;
