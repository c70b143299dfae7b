package hubbub

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Entry is one durable change to a room: an element of the room's log. Every entry has the
// room's next gap-free Seq, the actor (From), the server's Time and an ID; Kind says what it
// changed. Most entries are messages (Kind KindMessage); the others change one earlier message,
// named by Target: an edit, a delete, a reaction toggled. Typing and presence are not entries:
// they are never stored and carry no seq.
//
// The server fills every field but the request's own (Room, Kind, Text, ReplyTo, Target, Emoji,
// ClientID): the actor's name comes from the connection's identity, never from what the client
// sent. The Store fills Seq, ID and Time, and the results of a change (Added and Count of a
// reaction) and, when it reads messages back, their current state (Deleted, EditedAt,
// Reactions, ReplyCount).
type Entry struct {
	// Room is the room the entry belongs to.
	Room string `json:"room"`
	// Seq is the entry's place in its room's log: 1 for the first entry, then gap-free across
	// every kind. A message's seq is the seq of the entry that posted it.
	Seq uint64 `json:"seq"`
	// ID is a server-assigned identifier, unique across rooms and nodes.
	ID string `json:"id"`
	// ClientID is the actor's idempotency key; a second entry with the same key from the same
	// actor in the same room returns the first instead of storing again. May be empty.
	ClientID string `json:"client_id,omitempty"`
	// From is the actor's name (a message's sender), stamped by the server.
	From string `json:"from"`
	// User is the actor's user id, stamped by the server. Idempotency (ClientID), authorship
	// (who may edit and delete), reactions and mentions are keyed by it, never by From. Entries
	// stored before users existed carry their From here.
	User string `json:"user,omitempty"`
	// Bot marks a message posted by a bot (a user of kind UserBot, an incoming webhook, a slash
	// command's answer), stamped by the server from the actor's kind and stored with the
	// message, so that every client can show it as a bot's.
	Bot bool `json:"bot,omitempty"`
	// Kind is what the entry does; the zero value is a message.
	Kind EntryKind `json:"kind,omitempty"`
	// Text is a message's cleaned text, an edit's new text, a topic, or a sanction's reason.
	Text string `json:"text"`
	// Time is when the server stored the entry (UTC, millisecond precision).
	Time time.Time `json:"time"`

	// ReplyTo is, for a message, the seq of the message in the same room it answers (0: none).
	ReplyTo uint64 `json:"reply_to,omitempty"`
	// Mentions are, for a message or an edit, the users its text mentions, as the server
	// resolved them when it was posted (ResolveMentions), and the author of the message a
	// reply answers (a Mention with Reply; ReplyMention).
	Mentions []Mention `json:"mentions,omitempty"`
	// MentionRoom is true if a moderator's message mentions everyone in the room (@room).
	MentionRoom bool `json:"mention_room,omitempty"`

	// Target is, for an edit, a delete or a reaction, the seq of the message it changes.
	Target uint64 `json:"target,omitempty"`
	// Emoji is a reaction's emoji (ValidateEmoji).
	Emoji string `json:"emoji,omitempty"`
	// Added is, for a reaction, the toggle's outcome: true if the actor's reaction was added,
	// false if it was removed. The Store sets it.
	Added bool `json:"added,omitempty"`
	// Count is, for a reaction, how many reacted to Target with Emoji after this entry. The
	// Store sets it, so a reaction's frame carries the state it led to and applying it twice
	// changes nothing.
	Count int `json:"count,omitempty"`
	// Subject is, for a KindMember or KindSanction entry, the user id the change is about
	// (for a KindDelete, the deleted message's sender, which the Store sets), SubjectName
	// their name, Action what happened to them (MemberInvite, MemberJoin, …;
	// SanctionBan, SanctionMute, SanctionUnban, SanctionUnmute) and Role their room role after
	// it (for join and role).
	Subject     string   `json:"subject,omitempty"`
	SubjectName string   `json:"subject_name,omitempty"`
	Action      string   `json:"action,omitempty"`
	Role        RoomRole `json:"role,omitempty"`
	// Until is, for a KindSanction ban or mute, when it ends (UTC, millisecond precision);
	// zero for a lift.
	Until time.Time `json:"until,omitzero"`
	// Auto marks a KindMember role entry the store appended itself, not a caller: the room's
	// last owner left or was removed while other members remained, and ownership passed to
	// Subject (RoomStore's contract says to whom). Its actor (From, User) is that owner, and
	// it is numbered right after their leave or remove, in the same transaction. Append
	// ignores a caller's Auto.
	Auto bool `json:"auto,omitempty"`

	// Attachments are, for a message, the files it carries (FileStore): a client sends their
	// IDs only, and the Store fills the rest when it appends the message. A deleted message
	// has none.
	Attachments []Attachment `json:"attachments,omitempty"`

	// Moderator is, for a delete, true if the actor deletes as a moderator (another user's
	// message); the server sets it from the connection's role, and the Store refuses the
	// delete of another's message without it.
	Moderator bool `json:"moderator,omitempty"`

	// The message's current state, as Since, Before and Replies return a message (entries
	// of other kinds leave these zero).

	// Deleted marks a deleted message: its Text is empty, its seq stays taken.
	Deleted bool `json:"deleted,omitempty"`
	// EditedAt is when the message was last edited (zero if never).
	EditedAt time.Time `json:"edited_at,omitzero"`
	// Reactions are the message's reactions, in the order they were first added.
	Reactions []Reaction `json:"reactions,omitempty"`
	// ReplyCount is how many messages were posted in reply to this one.
	ReplyCount int `json:"reply_count,omitempty"`
}

// EntryKind is what an Entry does.
type EntryKind string

// The kinds of entry.
const (
	// KindMessage posts a message (Text, ReplyTo, Mentions).
	KindMessage EntryKind = ""
	// KindEdit replaces the text of message Target with Text; only its sender may.
	KindEdit EntryKind = "edit"
	// KindDelete turns message Target into a tombstone; its sender or a moderator may. The
	// Store sets its Subject and SubjectName to the message's sender (their user id, and
	// their name when they sent it), so that who lost a message is known without its text.
	KindDelete EntryKind = "delete"
	// KindReaction toggles the actor's reaction Emoji on message Target.
	KindReaction EntryKind = "reaction"
	// KindTopic sets the room's topic to Text (RoomStore).
	KindTopic EntryKind = "topic"
	// KindMember changes one user's membership of a private room (Subject, Action, Role).
	KindMember EntryKind = "member"
	// KindSanction bans or mutes one user in the room until Until, or lifts their ban or mute
	// (Subject, SubjectName, Action, Until; Text the moderator's reason): the Store changes the
	// room's sanctions (Store.Sanctions) in the transaction that appends it (SanctionEntry).
	KindSanction EntryKind = "sanction"
)

// IsNotice reports whether e is a notice: a change to the room itself (its topic, a
// membership, a ban or mute) that a reader sees as a line among the messages, and that
// Store.Notices reads.
func (e *Entry) IsNotice() bool {
	return e.Kind == KindTopic || e.Kind == KindMember || e.Kind == KindSanction
}

// IsMessage reports whether e posts a message.
func (e *Entry) IsMessage() bool { return e.Kind == KindMessage }

// Mention is a user a message mentions: by an @name in its text, or as the author of the
// message it replies to (Reply), or both.
type Mention struct {
	// User is the user's id.
	User string `json:"user"`
	// Name is the name the text mentions, or for a mention by reply alone the author's name.
	Name string `json:"name"`
	// Reply marks the author of the message this one replies to (Entry.ReplyTo): they are
	// mentioned because it answers them, as Slack and Zulip tell you of a reply, whether or
	// not the text names them, so a client can say "replied to you" rather than pretend the
	// text said @name. Clients and nodes that predate it read past the field and see a
	// mention.
	Reply bool `json:"reply,omitempty"`
}

// Reaction is one emoji's reactions on a message.
type Reaction struct {
	// Emoji is the reaction (ValidateEmoji).
	Emoji string `json:"emoji"`
	// Count is how many users reacted with it.
	Count int `json:"count"`
	// Names are the first MaxReactionNames users who reacted with it, in order.
	Names []string `json:"names"`
	// Me is true if the reader holds this reaction. Stores never set it: the hub sets it on
	// the copies it reads for one reader (a join's replay, a history page, a thread).
	Me bool `json:"me,omitempty"`
}

// Revision is one text a message has had: the original, or an edit.
type Revision struct {
	// Text is the message's text in this revision.
	Text string `json:"text"`
	// Time is when the revision was posted (the message's time, then each edit's).
	Time time.Time `json:"time"`
}

// ReactionKey names one reaction of one user: the message's seq and the emoji.
type ReactionKey struct {
	Seq   uint64
	Emoji string
}

// Limits on names and texts that do not depend on configuration.
const (
	// MaxNameLen is the longest name, in bytes, a user may take.
	MaxNameLen = 32
	// MaxRoomLen is the longest room name, in bytes.
	MaxRoomLen = 64
	// MaxClientIDLen is the longest idempotency key a client may send.
	MaxClientIDLen = 64
	// MaxEmojiLen is the longest reaction, in bytes.
	MaxEmojiLen = 32
	// MaxReactionNames is how many names a Reaction lists.
	MaxReactionNames = 3
	// MaxReactionsPerMessage is how many different emoji one message may carry; a reaction
	// with another emoji is refused with ECodeLimit.
	MaxReactionsPerMessage = 20
	// MaxMentions is how many users one message may mention; past it the rest stay text.
	MaxMentions = 50
)

// CleanText turns newlines, tabs and other control characters into spaces and trims the
// result, as the original chat room did for newlines. An empty result means "nothing to send".
// Invalid UTF-8 is replaced by U+FFFD so that every stored text is valid.
func CleanText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if !clean {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, strings.ToValidUTF8(s, "\uFFFD"))
	}
	return strings.TrimSpace(s)
}

// CleanMultiline is CleanText that keeps line breaks: "\r\n" and "\r" become "\n", other
// control characters become spaces, and the whole is trimmed. hubbub.v1 clients may send
// multi-line messages; the text protocol, whose frames are split on "\n", flattens them when
// it shows them.
func CleanMultiline(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\r\n", "\n")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, s))
}

// ValidateClientID reports why id cannot be used as a client's idempotency key (a send's or a
// published message's id), or nil if it can: at most MaxClientIDLen bytes of printable text
// (valid UTF-8 without U+FFFD), not starting or ending with a space. The id is stored, logged
// and echoed in acks and message frames, so a control character in it would reach every
// member's terminal.
func ValidateClientID(id string) error {
	switch {
	case len(id) > MaxClientIDLen:
		return Errorf(ECodeBadID, "id is longer than %d bytes", MaxClientIDLen)
	case strings.ContainsRune(id, utf8.RuneError):
		// Invalid bytes, and in JSON a lone surrogate such as \ud800, are decoded to U+FFFD
		// before the id is seen here: refusing U+FFFD itself is how such an id is refused,
		// rather than taken as the same id as every other one that decoded alike (the second
		// message would be answered as a duplicate of the first and never stored).
		// ContainsRune of RuneError also finds invalid UTF-8, in one pass.
		return Errorf(ECodeBadID, "id is not valid UTF-8 (it holds an invalid byte, a lone surrogate such as \\ud800, or U+FFFD)")
	case strings.TrimSpace(id) != id:
		return Errorf(ECodeBadID, "id starts or ends with a space")
	case !printable(id):
		return Errorf(ECodeBadID, "id contains a control or non-printable character")
	}
	return nil
}

// ValidateName reports why name cannot be used as a user name, or nil if it can: 1 to
// MaxNameLen bytes of printable characters, not starting or ending with a space, none of them
// one that shows as nothing where it stands (blankInName).
func ValidateName(name string) error {
	switch {
	case name == "":
		return Errorf(ECodeBadName, "name is empty")
	case len(name) > MaxNameLen:
		return Errorf(ECodeBadName, "name is longer than %d bytes", MaxNameLen)
	case !utf8.ValidString(name):
		return Errorf(ECodeBadName, "name is not valid UTF-8")
	case strings.TrimSpace(name) != name:
		return Errorf(ECodeBadName, "name starts or ends with a space")
	case !printable(name):
		return Errorf(ECodeBadName, "name contains a control or non-printable character")
	}
	if r, ok := blankInName(name); ok {
		return Errorf(ECodeBadName, "name contains U+%04X, a character that shows as nothing there", r)
	}
	return nil
}

// blankInName returns the first character of name that shows as nothing where it stands,
// though unicode.IsPrint takes it: the default-ignorable characters that are not format
// characters (the combining grapheme joiner U+034F, the Hangul fillers U+115F, U+1160, U+3164
// and U+FFA0, Khmer's inherent vowels U+17B4 and U+17B5, the tags…), the Braille blank
// U+2800, and a variation selector where it selects nothing: U+FE00–U+FE0F but after a
// symbol or a punctuation mark outside ASCII (❤️, ‼️: the emoji form), the Mongolian ones but after a Mongolian
// letter, the ideographic ones (U+E0100–U+E01EF) but after a Han character. The name key
// (NameKey) keeps them, so "ann" followed by U+FE0F, which every client shows as "ann", was
// another name than ann's, and a new guest took it to pass as her.
func blankInName(name string) (rune, bool) {
	prev := rune(-1)
	for _, r := range name {
		if r < utf8.RuneSelf { // no ASCII character is either kind: most names, at every hello
			prev = r
			continue
		}
		switch {
		case r == '\u2800' || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
			return r, true
		case unicode.Is(unicode.Variation_Selector, r):
			var selects bool
			switch {
			case r >= '\uFE00' && r <= '\uFE0F':
				selects = prev >= utf8.RuneSelf && (unicode.IsSymbol(prev) || unicode.IsPunct(prev))
			case r >= 0xE0100:
				selects = unicode.Is(unicode.Han, prev)
			default: // U+180B–U+180D, U+180F
				selects = unicode.Is(unicode.Mongolian, prev) && unicode.IsLetter(prev)
			}
			if !selects {
				return r, true
			}
		}
		prev = r
	}
	return 0, false
}

// printable reports whether every character of s is printable: no control characters, and
// none of the invisible format characters (U+200B, U+202E, …) that could disguise text in a
// member's terminal.
func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// ValidateRoom reports why room cannot be used as a room name, or nil if it can: 1 to
// MaxRoomLen bytes of ASCII letters, digits, '-', '_' and '.', starting with a letter or digit.
// The narrow charset keeps room names safe in URLs (/#room), NATS subjects and logs.
func ValidateRoom(room string) error {
	if room == "" {
		return Errorf(ECodeBadRoom, "room name is empty")
	}
	if len(room) > MaxRoomLen {
		return Errorf(ECodeBadRoom, "room name is longer than %d bytes", MaxRoomLen)
	}
	for i := 0; i < len(room); i++ {
		c := room[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		// The messages say ASCII: "Été" starts with a letter, and was told it did not.
		if !alnum && (i == 0 || c != '-' && c != '_' && c != '.') {
			return Errorf(ECodeBadRoom, "room names hold only ASCII letters and digits, '-', '_' and '.', starting with a letter or digit")
		}
	}
	return nil
}

// RoomKey returns the key under which room names are one room whatever their case: the name
// with its ASCII letters lowered (room names hold no other letters, ValidateRoom). "General",
// "GENERAL" and "general" have one key, and a request naming any of them means one room
// (RoomStore.ResolveRoom).
func RoomKey(room string) string {
	return strings.ToLower(room) // ASCII: room itself when it has no capital, no copy
}

// NewMessageID returns a message ID for a message stored at t: 32 hex digits, the first 12 the
// time in Unix milliseconds and the other 20 random (80 bits). IDs sort roughly by time, which
// helps anyone who indexes them, and stay unique across rooms, processes and nodes without
// coordination. Every Store uses it, so IDs look the same whichever holds the history.
func NewMessageID(t time.Time) string {
	var b [16]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(b[:6], ms[2:])
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// ValidateEmoji reports why s cannot be a reaction, or nil if it can: 1 to MaxEmojiLen bytes,
// either a short name such as ":thumbs_up:" (lower-case letters, digits, '_', '+' and '-'
// between colons) or emoji: no letters, digits other than keycaps, spaces or control
// characters, so that a reaction can never carry a message.
func ValidateEmoji(s string) error {
	switch {
	case s == "":
		return Errorf(ECodeBadField, "emoji is empty")
	case len(s) > MaxEmojiLen:
		return Errorf(ECodeBadField, "emoji is longer than %d bytes", MaxEmojiLen)
	case !utf8.ValidString(s):
		return Errorf(ECodeBadField, "emoji is not valid UTF-8")
	}
	if len(s) >= 3 && s[0] == ':' && s[len(s)-1] == ':' {
		for _, c := range []byte(s[1 : len(s)-1]) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '+' || c == '-') {
				return Errorf(ECodeBadField, "a :short_name: may hold only a-z, 0-9, '_', '+' and '-'")
			}
		}
		return nil
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == 0x200D, r == 0xFE0E, r == 0xFE0F, r == 0x20E3, r >= 0xE0020 && r <= 0xE007F:
			// joiners, variation selectors, the keycap and tag characters build emoji
		case r >= '0' && r <= '9' || r == '#' || r == '*':
			if !keycap(rs[i+1:]) {
				return Errorf(ECodeBadField, "emoji may not hold letters, digits or punctuation")
			}
		case unicode.IsLetter(r), unicode.IsDigit(r), unicode.IsSpace(r), unicode.IsPunct(r),
			!unicode.IsPrint(r):
			return Errorf(ECodeBadField, "emoji may not hold letters, digits, spaces, punctuation or control characters")
		}
	}
	if !oneEmoji(rs) {
		return Errorf(ECodeBadField, "a reaction is one emoji (or one :short_name:), not several")
	}
	return nil
}

// oneEmoji reports whether rs, which holds only emoji characters (ValidateEmoji's loop), is
// one emoji as a reader sees it: one grapheme cluster (Unicode UAX #29) of the kinds emoji
// take (UTS #51) — a base with its variation selector, skin tone, keycap or tag characters, a
// flag's pair of regional indicators, and such elements joined by zero-width joiners (👩🏽‍🚀,
// 🏳️‍🌈). "👍👍" is two: as one reaction it would show as one chip counting one, which no one
// who reacts 👍 adds to.
func oneEmoji(rs []rune) bool {
	i := 0
	for {
		// An element starts with its base; a lone skin tone is a base (it shows as a swatch).
		if i == len(rs) || rs[i] == zwj || emojiExtender(rs[i]) && !skinTone(rs[i]) {
			return false // nothing, or a joiner or extender with nothing before it to extend
		}
		if regionalIndicator(rs[i]) && i+1 < len(rs) && regionalIndicator(rs[i+1]) {
			i += 2 // a flag
		} else {
			i++
		}
		for i < len(rs) && emojiExtender(rs[i]) {
			i++
		}
		if i == len(rs) {
			return true
		}
		if rs[i] != zwj {
			return false // a second emoji beside the first
		}
		i++
	}
}

// zwj is the zero-width joiner, which joins emoji into one (👨‍👩‍👧).
const zwj = 0x200D

// emojiExtender reports whether r extends the emoji before it instead of starting one: the
// variation selectors, skin tones, the keycap, tag characters and other combining marks.
func emojiExtender(r rune) bool {
	return r == 0xFE0E || r == 0xFE0F || r == 0x20E3 || skinTone(r) || r >= 0xE0020 && r <= 0xE007F ||
		unicode.In(r, unicode.Mn, unicode.Me)
}

// skinTone reports whether r is one of the five emoji modifiers (Fitzpatrick skin tones).
func skinTone(r rune) bool { return r >= 0x1F3FB && r <= 0x1F3FF }

// regionalIndicator reports whether r is a regional indicator letter; two make a flag.
func regionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

// keycap reports whether rest starts a keycap sequence (an optional U+FE0F, then U+20E3).
func keycap(rest []rune) bool {
	if len(rest) > 0 && rest[0] == 0xFE0F {
		rest = rest[1:]
	}
	return len(rest) > 0 && rest[0] == 0x20E3
}

// ResolveMentions returns the users text mentions with "@name", among members (the names that
// can be mentioned), in the order of their first mention, at most MaxMentions. Names may hold
// spaces, so at each '@' the longest member name that follows, and ends at the end of the text
// or before a space or punctuation, wins. room reports "@room" (a whole word).
func ResolveMentions(text string, members []string) (mentions []Mention, room bool) {
	seen := map[string]bool{}
	for i := 0; i < len(text); i++ {
		if text[i] != '@' || (i > 0 && !mentionBoundary(text[:i], true)) {
			continue
		}
		rest := text[i+1:]
		if strings.HasPrefix(rest, "room") && mentionBoundary(rest[4:], false) {
			room = true
		}
		best := ""
		for _, m := range members {
			if len(m) > len(best) && strings.HasPrefix(rest, m) && mentionBoundary(rest[len(m):], false) {
				best = m
			}
		}
		if best != "" && !seen[best] && len(mentions) < MaxMentions {
			seen[best] = true
			mentions = append(mentions, Mention{User: best, Name: best})
		}
	}
	return mentions, room
}

// ReplyMention returns mentions with author, the author of the message a reply answers,
// marked Reply: the mention of author the text made gets the mark (a user is mentioned
// once), else author is added, at the end; at MaxMentions the last mention of the text gives
// its place, since the person answered is the one a reply is surely meant for. mentions is
// not changed.
func ReplyMention(mentions []Mention, author Mention) []Mention {
	author.Reply = true
	out := make([]Mention, 0, min(len(mentions)+1, MaxMentions))
	out = append(out, mentions...)
	for i := range out {
		if out[i].User == author.User {
			out[i].Reply = true
			return out
		}
	}
	if len(out) >= MaxMentions {
		out = out[:MaxMentions-1]
	}
	return append(out, author)
}

// ReplyMentions returns the mentions of ms marked Reply (ReplyMention), which an edit of a
// reply keeps whatever its new text says.
func ReplyMentions(ms []Mention) []Mention {
	var out []Mention
	for _, m := range ms {
		if m.Reply {
			out = append(out, m)
		}
	}
	return out
}

// mentionBoundary reports whether s ends (before, true) or starts (after, false) at a word
// boundary: the text's edge, a space or punctuation.
func mentionBoundary(s string, before bool) bool {
	if s == "" {
		return true
	}
	var r rune
	if before {
		r, _ = utf8.DecodeLastRuneInString(s)
	} else {
		r, _ = utf8.DecodeRuneInString(s)
	}
	return unicode.IsSpace(r) || unicode.IsPunct(r) && r != '_' && r != '@'
}
