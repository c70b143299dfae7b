package termchat

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"hubbub"
	"hubbub/client"
)

// chatSearchHelp lists the search commands for /help and the usage text.
const chatSearchHelp = `  /search [#ROOM] TEXT
                   find the messages with TEXT in your rooms (in ROOM with #ROOM: TEXT is
                   needed there too), newest first: "[room] #SEQ name TIME: …" with the
                   matched words in *stars*
  /search --more   the next page of the last search`

// chatSearch is what the chat remembers of its last search: the request, for the next page.
type chatSearch struct {
	mu   sync.Mutex
	last client.SearchRequest // Cursor holds the next page's ("" when there is none)
}

// searchCommand runs /search and reports whether line was it.
func (c *chat) searchCommand(ctx context.Context, cmd, line string) (handled bool, err error) {
	if cmd != "/search" {
		return false, nil
	}
	args := strings.TrimSpace(strings.TrimPrefix(line, cmd))
	var req client.SearchRequest
	switch {
	case args == "":
		return true, errors.New("usage: /search [#ROOM] TEXT, or /search --more")
	case args == "--more":
		c.search.mu.Lock()
		req = c.search.last
		c.search.mu.Unlock()
		switch {
		case req.Q == "":
			return true, errors.New("no more results: search for something first")
		case req.Cursor == "":
			// An answer, not a failure: a script that pages to the end does not fail over it.
			return true, answer{fmt.Errorf("no more results for %q", hubbub.CleanText(req.Q))}
		}
	case strings.HasPrefix(args, "#") && roomOnly(args):
		// "/search #ops" meant the room, not the text "#ops" (which finds the messages that say
		// "ops" in every room): a search needs words, so it says what to add.
		return true, fmt.Errorf("say what to find in %s: /search %s TEXT", hubbub.CleanText(args), hubbub.CleanText(args))
	default:
		if room, rest := cutRoomWord(args); strings.HasPrefix(room, "#") && rest != "" {
			if req.Room, err = c.roomArg(room[1:]); err != nil { // #@bob: the DM with bob
				return true, err
			}
			args = strings.TrimSpace(rest)
			if err := hubbub.ValidateRoom(req.Room); err != nil {
				return true, err
			}
		}
		req.Q = args
	}
	ctx, cancel := context.WithTimeout(ctx, chatCommandTimeout)
	defer cancel()
	res, err := c.ses.Search(ctx, req)
	if err != nil { // a refusal prints as "reason (code)"
		return true, err
	}
	c.search.mu.Lock()
	c.search.last = req
	c.search.last.Cursor = res.Next
	c.search.mu.Unlock()
	fmt.Fprint(c.io.Out, searchLines(res, req.Cursor != "", c.titles.label))
	for i := range res.Hits {
		c.numbers.saw(res.Hits[i].Message.Room, res.Hits[i].Message.Seq) // "/reply 12" may mean a hit
	}
	return true, nil
}

// searchLines formats a page of hits: a line saying what matched, a line per hit, and how to
// see more. label names a room as the chat's live lines do (a DM by its people, "@bob").
func searchLines(res *client.SearchResults, more bool, label func(room string) string) string {
	var b strings.Builder
	where := "your rooms"
	if res.Room != "" {
		where = label(res.Room)
	}
	q := hubbub.CleanText(res.Q)
	switch {
	case len(res.Hits) == 0 && more:
		fmt.Fprintf(&b, "* no more messages match %q in %s\n", q, where)
	case len(res.Hits) == 0:
		fmt.Fprintf(&b, "* no message matches %q in %s\n", q, where)
	default:
		fmt.Fprintf(&b, "* messages matching %q in %s:\n", q, where)
	}
	for i := range res.Hits {
		b.WriteString(hitLine(&res.Hits[i], label))
		b.WriteByte('\n')
	}
	if res.Partial {
		b.WriteString("* (only your 1000 most recently active rooms were searched)\n")
	}
	if res.Next != "" {
		b.WriteString("* more: /search --more\n")
	}
	return b.String()
}

// hitLine formats one hit: "[room] #seq name 2006-01-02 15:04: snippet", the room as label
// names it, the matched pieces of the snippet between stars.
func hitLine(h *client.SearchHit, label func(room string) string) string {
	m := &h.Message
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] #%d %s %s: ", label(m.Room), m.Seq, hubbub.CleanText(m.From), m.Time.Local().Format("2006-01-02 15:04"))
	if len(h.Snippet) == 0 {
		b.WriteString(hubbub.CleanText(m.Text))
	}
	for _, p := range h.Snippet {
		if p.Hit {
			b.WriteString("*" + cleanPiece(p.Text) + "*")
		} else {
			b.WriteString(cleanPiece(p.Text))
		}
	}
	return b.String()
}

// cleanPiece makes a piece of a snippet safe for a terminal: control characters (line breaks,
// escape sequences) become spaces, as CleanText does, but the piece is not trimmed, so it
// keeps the spaces between it and the pieces around it.
func cleanPiece(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// roomOnly reports whether args is one word naming a room, as /search #ROOM TEXT starts (a
// DM's quoted names may hold spaces: #@"bob smith").
func roomOnly(args string) bool {
	_, rest := cutRoomWord(args)
	return rest == ""
}
