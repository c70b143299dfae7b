package hubbub

import (
	"context"
	"time"
)

// Search (issue 17): full-text search over the messages of the rooms a user may read. The
// session and the REST API decide which rooms those are, at query time (SearchQuery.Rooms); the
// Store finds the messages in them. The matching rules are the same on every store because the
// text is folded and split by one package (internal/fulltext) before any store indexes or
// queries it:
//   - the query's words all match (AND); a word matches a word of the message that begins with
//     it ("deploy" finds "deployed"), ignoring case and diacritics ("cafe" finds "Café");
//   - a run of CJK characters (Chinese, Japanese, Korean: languages written without spaces)
//     matches wherever the same run appears inside the text ("聊天" finds "我们在聊天室见"), so
//     a word is found without a dictionary;
//   - a "quoted phrase" matches those words next to each other, in order.

// SearchOrder is the order of a search's hits.
type SearchOrder string

// The orders of a search.
const (
	// SearchNewest puts the newest message first (by Time, then room name ascending, then
	// seq descending). The default.
	SearchNewest SearchOrder = "newest"
	// SearchRelevance puts the best match first (the store's rank: a short message made of the
	// query's words before a long one that mentions them once), ties broken as SearchNewest.
	SearchRelevance SearchOrder = "relevance"
)

// Limits of a search.
const (
	// MaxSearchQueryLen is the longest query text, in bytes.
	MaxSearchQueryLen = 256
	// MaxSearchRooms is how many rooms one query may cover; a user in more rooms searches the
	// MaxSearchRooms most recently active of them (the result says it was partial).
	MaxSearchRooms = 1000
	// DefaultSearchLimit is the page size when a query asks for none.
	DefaultSearchLimit = 20
	// MaxSearchLimit is the largest page a query gets.
	MaxSearchLimit = 100
	// MaxSnippetRunes is about how many characters of a message a hit's snippet shows.
	MaxSnippetRunes = 160
)

// SearchOffError is the refusal of every search on a server run without the search index
// (its --search-index=false; the stores' NoSearchIndex option): a store that keeps no index
// and the session layer in front of it both answer with it. Each call makes a new *Error,
// which a caller may keep or change.
func SearchOffError() *Error {
	return Errorf(ECodeDisabled, "search is disabled on this server: its operator runs it without the search index (--search-index=false)")
}

// SearchQuery is one page of a search.
type SearchQuery struct {
	// Rooms are the rooms to search (1 to MaxSearchRooms): the caller has checked that the
	// user may read each of them.
	Rooms []string
	// Text is the query as the user typed it (at most MaxSearchQueryLen bytes).
	Text string
	// User, when set, keeps only messages sent by this user id.
	User string
	// Since and Until, when not zero, keep only messages with Since ≤ Time < Until.
	Since, Until time.Time
	// Order is SearchNewest ("" too) or SearchRelevance.
	Order SearchOrder
	// Cursor is the Next of the previous page ("" for the first page).
	Cursor string
	// Limit is the page size: 0 means DefaultSearchLimit, more than MaxSearchLimit means
	// MaxSearchLimit.
	Limit int
}

// SearchHit is one message a search found.
type SearchHit struct {
	// Message is the message in its current state (text after edits, reactions, reply count),
	// as Before returns it.
	Message Entry
	// Snippet is the part of the message's text around the first matches (about
	// MaxSnippetRunes characters), cut into parts so that a client shows the matched words
	// highlighted without parsing markup: a client renders the parts as text, never as HTML.
	Snippet []SnippetPart
}

// SnippetPart is a piece of a hit's snippet.
type SnippetPart struct {
	// Text is the piece's text.
	Text string `json:"text"`
	// Hit is true if the piece matched the query.
	Hit bool `json:"hit,omitempty"`
}

// SearchPage is one page of a search's hits.
type SearchPage struct {
	// Hits are in the query's order.
	Hits []SearchHit
	// Next is the cursor of the next page, "" if there is none.
	Next string
}

// Searcher finds messages by their text. Every Store is one (Store embeds it).
//
// Contract, which internal/storetest checks on every store:
//   - Search returns messages only (KindMessage), never a deleted one, each in its current state:
//     an edited message is found by its current text and not by any earlier one, a deleted one
//     not at all, one that retention removed not at all. The index changes in the transaction
//     that appends the message, the edit or the delete, so a search after Append returned sees
//     the change.
//   - Only the rooms of q.Rooms are searched; q.User, q.Since and q.Until narrow the hits.
//   - The order is q.Order's, and stable: the same query over the same data gives the same hits
//     in the same order, and paging with Next visits every hit once, none twice, while the data
//     does not change.
//   - A query with no word to search for (empty, or only punctuation) fails with ECodeEmpty; one
//     longer than MaxSearchQueryLen, or with more than MaxSearchRooms rooms, with ECodeLimit; a
//     Cursor the store did not make, or one of another query, with ECodeBadField. Empty Rooms
//     give an empty page.
//   - Search honours ctx's deadline (the caller bounds each query's time) and returns its error.
type Searcher interface {
	// Search returns one page of the messages of q.Rooms that match q.Text.
	Search(ctx context.Context, q SearchQuery) (SearchPage, error)
}
