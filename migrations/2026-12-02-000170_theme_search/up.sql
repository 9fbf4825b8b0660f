-- Themes defined by a search (issue 24): an operator names a theme and gives a full-text
-- expression in the read API's `q` syntax (websearch_to_tsquery over comment_tsv); every
-- analysed comment it matches names the theme, now and from then on. Such themes are
-- pinned, and their keys start with '=' (an extracted key never does: it is word stems).
ALTER TABLE themes ADD COLUMN search text
    CHECK (search IS NULL OR (char_length(search) BETWEEN 1 AND 256 AND key LIKE '=%'));

-- The comment task reads a project's searches for every batch.
CREATE INDEX themes_searches ON themes (project_id) WHERE search IS NOT NULL;
