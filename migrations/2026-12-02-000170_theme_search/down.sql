-- The answers forget the searched themes (their rollup cells move out), then the catalog.
UPDATE responses r SET themes = ARRAY(SELECT k FROM unnest(r.themes) AS k WHERE k NOT LIKE '=%')
WHERE EXISTS (SELECT 1 FROM unnest(r.themes) AS k WHERE k LIKE '=%');
DELETE FROM themes WHERE search IS NOT NULL;
DROP INDEX themes_searches;
ALTER TABLE themes DROP COLUMN search;
