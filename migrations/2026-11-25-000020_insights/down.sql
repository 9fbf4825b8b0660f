DROP INDEX IF EXISTS responses_project_time;
DROP INDEX IF EXISTS responses_comment_tsv;
ALTER TABLE responses DROP COLUMN IF EXISTS comment_tsv;
