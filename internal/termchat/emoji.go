package termchat

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"hubbub"
	"hubbub/client"
	"hubbub/internal/wire"
)

// emojiNames are the names /react takes for an emoji, with or without colons: the words the
// page's reaction picker says for its emoji (web/messages.js, FREQUENT_EMOJI: "thumbs up" is
// thumbs_up) and their usual short codes (:+1:, :thumbsup:), so that "/react 12 :+1:" adds
// the 👍 the page shows and counts with everyone's, not a reaction of its own spelled ":+1:".
// Each emoji is the page's exact string (❤️ with its variation selector).
var emojiNames = map[string]string{
	"+1": "👍", "thumbsup": "👍", "thumbs_up": "👍", "like": "👍",
	"-1": "👎", "thumbsdown": "👎", "thumbs_down": "👎",
	"heart": "❤️", "love": "❤️",
	"joy": "😂", "laughing": "😂", "lol": "😂",
	"tada": "🎉", "party": "🎉",
	"open_mouth": "😮", "surprised": "😮", "wow": "😮",
	"cry": "😢", "sad": "😢",
	"eyes": "👀",
	"pray": "🙏", "thank_you": "🙏", "thanks": "🙏",
	"smile": "😄", "fire": "🔥", "rocket": "🚀", "100": "💯", "white_check_mark": "✅",
	"ok_hand": "👌", "wave": "👋", "clap": "👏", "thinking": "🤔", "heavy_check_mark": "✔️",
}

// emojiSpellings are the other ways the chat's emoji may be stored, by emoji without its
// variation selectors (bareEmoji): the short names emojiNames takes for it, with colons
// (":+1:", ":thumbsup:"…), as another client or the API may have sent them, sorted.
var emojiSpellings = func() map[string][]string {
	by := make(map[string][]string)
	for name, e := range emojiNames {
		by[bareEmoji(e)] = append(by[bareEmoji(e)], ":"+name+":")
	}
	for _, names := range by {
		slices.Sort(names)
	}
	return by
}()

// bareEmoji is e without variation selectors: "❤️" and "❤" are one heart to a reader, and
// another client may store either.
func bareEmoji(e string) string { return strings.ReplaceAll(e, "\ufe0f", "") }

// heldReaction is the reaction /react SEQ typed sends, e being typed read as reactionEmoji
// reads it: the chat takes every spelling of an emoji as that emoji (👍, :+1:, thumbsup), but
// the server toggles the one it is sent, so a reaction I hold under another spelling (a :+1:
// stored by another client, the API, or a chat before the names) was not taken back: each try
// added a 👍 beside it. So if I hold the emoji under any spelling, the one I hold is sent
// (the one typed first, if I hold it so), which takes it back; else e, which adds it. What I
// hold is asked for an emoji with other spellings only: the message as the chat printed it
// (knownReactions), else its state on the server (a history page of it, with
// reactions[].me); not knowing that either (not connected, no such message), e.
func (c *chat) heldReaction(ctx context.Context, room string, seq uint64, typed, e string) string {
	others := emojiSpellings[bareEmoji(e)]
	if len(others) == 0 || seq == math.MaxUint64 {
		return e // one spelling (a :short_name: of its own, 🦄): the server matches it
	}
	want := e // the spelling typed: ":+1:" for +1 or :+1:, as the server stores a name
	if name := strings.Trim(strings.ToLower(typed), ":"); emojiNames[name] != "" {
		want = ":" + name + ":"
	}
	reactions, known := c.knownReactions(room, seq)
	if !known {
		ctx, cancel := context.WithTimeout(ctx, chatCommandTimeout)
		defer cancel()
		page, err := c.ses.History(ctx, room, seq+1, 1)
		if err != nil || len(page.Messages) == 0 || page.Messages[0].Seq != seq {
			return e // the server's answer to the reaction says what is wrong, if anything
		}
		reactions = page.Messages[0].Reactions
	}
	var held []string // mine, of this emoji, in the message's order
	for _, r := range reactions {
		if r.Me && (bareEmoji(r.Emoji) == bareEmoji(e) || slices.Contains(others, r.Emoji)) {
			held = append(held, r.Emoji)
		}
	}
	for _, h := range held {
		if bareEmoji(h) == bareEmoji(want) {
			return h
		}
	}
	if len(held) > 0 {
		return held[0]
	}
	return e
}

// reactionEmoji reads the EMOJI of /react: one of emojiNames (thumbsup, :+1:, :Heart:) as its
// emoji; else what the server takes as it is, one emoji or another :short_name:. Several emoji
// ("👍👍") go to the server too, which takes back such a reaction stored before reactions
// were one emoji from whoever holds it and refuses it otherwise. Anything else is refused
// here, saying what is taken.
func reactionEmoji(s string) (string, error) {
	if e, ok := emojiNames[strings.Trim(strings.ToLower(s), ":")]; ok {
		return e, nil
	}
	err := hubbub.ValidateEmoji(s)
	if err == nil || client.SeveralEmoji(s) {
		return s, nil
	}
	if strings.HasPrefix(s, ":") && strings.HasSuffix(s, ":") && len(s) > 2 {
		return "", fmt.Errorf("%q is not a reaction: %s", s, hubbub.ErrorMessage(err)) // ":Foo!:"
	}
	return "", fmt.Errorf("%q is not a reaction: give one emoji (👍), the name of one (thumbsup or :+1:, heart, joy, tada, open_mouth, cry, eyes, pray…) or a :short_name:", s)
}

// knownReactions returns the reactions of message seq of room, with the ones I hold marked
// (Reaction.Me), as the chat has printed them, if that is how the server has them as far as
// the chat can tell: it printed the message (from a join's history, which marks mine, or
// live) and every change since, the connection is up and in the room, and none of this
// chat's own writes is on its way (a /react typed just before is toggled once its frame
// prints). /react then needs no history request to learn which spelling I hold. Called by
// the input loop, which owns c.sent.
func (c *chat) knownReactions(room string, seq uint64) ([]wire.Reaction, bool) {
	if c.offline.Load() || !c.in.joined(room) {
		return nil, false
	}
	for _, r := range c.sent {
		select {
		case <-r.Done():
			c.echoes.expect(r) // an acknowledged write's frame is to print first
		default:
			return nil, false
		}
	}
	if !c.echoes.caughtUp(room) {
		return nil, false
	}
	return c.shown.reactions(room, seq)
}
