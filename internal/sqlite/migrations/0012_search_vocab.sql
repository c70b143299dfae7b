-- 0012_search_vocab: the words of the search index, for expanding a prefix (issue 17).
--
-- A search newest first replaces a prefix longer than the prefix indexes ("deploy", which
-- also finds "deployed") by the words it begins, read here once per search: FTS5 seeks each
-- word's list to a room's range of rowids, where it would merge the lists of all the words of
-- a prefix again for every room searched (internal/sqlite/search.go).
CREATE VIRTUAL TABLE search_vocab USING fts5vocab(search_fts, 'row');
