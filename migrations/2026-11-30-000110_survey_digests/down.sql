DROP TABLE survey_digests;
