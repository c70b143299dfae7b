package wire

import (
	"encoding/json"
	"reflect"

	"hubbub"
)

// Search (docs/protocol.md, Search): a client asks with search and is answered with
// search_results, one page of hits; the next page is asked for with the answer's next.

// SearchRequest finds the messages whose text matches Q, in room Room or, without one, in
// every room of the sender's (hubbub.SearchQuery says how words match).
type SearchRequest struct {
	Type string `json:"type"`
	// Q is the query: words, CJK text, "quoted phrases" (at most hubbub.MaxSearchQueryLen bytes).
	Q string `json:"q"`
	// Room, when set, is the one room searched; absent, all the sender's rooms are.
	Room string `json:"room,omitempty"`
	// From, when set, keeps the messages of the user with that name.
	From string `json:"from,omitempty"`
	// Since and Until, when set, keep the messages sent at or after Since and before Until.
	Since Time `json:"since,omitzero"`
	Until Time `json:"until,omitzero"`
	// Order is "newest" (the default) or "relevance".
	Order string `json:"order,omitempty"`
	// Cursor is the next of the page before ("" for the first page).
	Cursor string `json:"cursor,omitempty"`
	// Limit is the page size (0 = hubbub.DefaultSearchLimit; at most hubbub.MaxSearchLimit).
	Limit int `json:"limit,omitempty"`
	// ID is echoed in the answer, so that a client matches answers to its requests.
	ID string `json:"id,omitempty"`
}

// SearchResults answers search: one page of hits, in the request's order.
type SearchResults struct {
	Type string `json:"type"`
	// ID, Q and Room are the request's.
	ID   string      `json:"id,omitempty"`
	Q    string      `json:"q"`
	Room string      `json:"room,omitempty"`
	Hits []SearchHit `json:"hits"`
	// Next, when set, is the cursor of the next page.
	Next string `json:"next,omitempty"`
	// Partial is true when the sender is in more rooms than one search covers
	// (hubbub.MaxSearchRooms): only the most recently active were searched.
	Partial bool `json:"partial,omitempty"`
}

// SearchHit is one message a search found.
type SearchHit struct {
	// Message is the message in its current state, as history sends it.
	Message Message `json:"message"`
	// Snippet is the part of the text around the matches, cut into pieces; a client shows the
	// pieces with Hit highlighted, as text (never as HTML).
	Snippet []hubbub.SnippetPart `json:"snippet"`
}

// NewSearchHits converts a store's hits to their wire form, their attachments' URLs under
// filesURL (as NewMessageAt).
func NewSearchHits(hits []hubbub.SearchHit, filesURL string) []SearchHit {
	out := make([]SearchHit, len(hits))
	for i := range hits {
		out[i] = SearchHit{Message: NewMessageAt(&hits[i].Message, filesURL), Snippet: hits[i].Snippet}
		if out[i].Snippet == nil {
			out[i].Snippet = []hubbub.SnippetPart{}
		}
	}
	return out
}

// FrameType implements Frame.
func (*SearchResults) FrameType() string { return TypeSearchResults }

// Since is a request's since field: a seq (a JSON number) for join, a time (an RFC 3339
// string) for search. Decode refuses the kind a frame's type does not take.
type Since struct {
	// Seq is the number, Time the string; IsTime says which was sent.
	Seq    uint64
	Time   string
	IsTime bool
}

// UnmarshalJSON reads a number ≥ 0 or a string.
func (s *Since) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		s.IsTime = true
		return json.Unmarshal(b, &s.Time)
	}
	if err := json.Unmarshal(b, &s.Seq); err != nil {
		return &json.UnmarshalTypeError{Value: "number " + string(b), Type: reflect.TypeFor[uint64](), Field: "since"}
	}
	return nil
}

// MarshalJSON writes since as it was read: the string, or the number.
func (s Since) MarshalJSON() ([]byte, error) {
	if s.IsTime {
		return json.Marshal(s.Time)
	}
	return json.Marshal(s.Seq)
}

// SeqPtr returns the seq of a join's since, nil if there was none (or a time).
func (s *Since) SeqPtr() *uint64 {
	if s == nil || s.IsTime {
		return nil
	}
	return &s.Seq
}
