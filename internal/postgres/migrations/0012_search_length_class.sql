-- 0012_search_length_class: every vector of message_search also holds the lexeme of its
-- message's length class (fulltext.ClassLexeme, 'key#NN'), so that a search by relevance
-- reads the matches of the shortest classes first and stops at a page, instead of ranking
-- every match of its rooms (issue 17: a common word by relevance over 20 rooms).
--
-- The old vectors lack it: they are emptied here, and the first Open after this migration
-- indexes the messages again, in Go (backfillSearch), as after 0006 and 0010.
TRUNCATE message_search;
UPDATE search_backfill SET done = NOT EXISTS (SELECT 1 FROM messages);
