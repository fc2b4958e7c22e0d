-- The words of each title on their own, indexed: search's first tier ("every word in the
-- title") finds them without visiting every document that has the words anywhere, which a
-- weight-restricted query on the whole document's GIN index would. SQLite needs no change: FTS5
-- restricts a match to a column in its own index.
ALTER TABLE search_documents ADD COLUMN title_document tsvector
    GENERATED ALWAYS AS (to_tsvector('english', title)) STORED;
CREATE INDEX search_documents_title_document ON search_documents USING GIN (title_document);
