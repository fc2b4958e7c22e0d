-- Search's older, rarer matches are read chunk by chunk, newest chunk first: a GIN index on
-- (chunk, words) intersects a chunk's rows with each word's posting list by skipping through it,
-- so a page costs what its chunks hold, not what the whole table holds. btree_gin (shipped with
-- PostgreSQL's contrib, trusted since version 13) lets GIN index the chunk number. The search
-- reads the chunk numbers from the rows, so the divisor lives here alone. The single-column GIN
-- indexes are dropped: no query uses them any more.
CREATE EXTENSION IF NOT EXISTS btree_gin;
ALTER TABLE search_documents ADD COLUMN chunk BIGINT GENERATED ALWAYS AS (id / 16384) STORED;
CREATE INDEX search_documents_chunk_title ON search_documents USING GIN (chunk, title_document);
CREATE INDEX search_documents_chunk_document ON search_documents USING GIN (chunk, document);
DROP INDEX search_documents_title_document;
DROP INDEX search_documents_document;
