package termchat

import (
	"regexp"
	"slices"
	"strings"

	"hubbub"
)

// Mentions of nobody: the page says "No one named @zed is in #general: nobody was notified."
// under a message of mine whose @name the server resolved to no one (its "mentions" field
// names the ones it resolved); the chat says the same of the lines it sent.

// unresolvedAt is an @name as the page reads one (web/app.js, UNRESOLVED_MENTION): an @ at the
// text's start or after anything but a letter, a digit, _ or @ ("me@example.com" starts none),
// then a name of letters, digits, _, . and -, ending in a letter, digit or _.
var unresolvedAt = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_@])@([\p{L}\p{N}_](?:[\p{L}\p{N}_.-]*[\p{L}\p{N}_])?)`)

// codeSpan is markdown's code (a fenced block or an inline span), where an @ mentions no one.
var codeSpan = regexp.MustCompile("(?s)```.*?```|`[^`\n]*`")

// maxUnresolved is how many unresolved names one notice lists, as the page's.
const maxUnresolved = 5

// unresolvedMentions returns the @names of text that mention no one: not one of ms (the
// server's resolved mentions, which may hold spaces: "@Ann Lee"), not @room, not in code.
// Each once, as typed, at most maxUnresolved.
func unresolvedMentions(text string, ms []hubbub.Mention) []string {
	if !strings.Contains(text, "@") {
		return nil
	}
	text = codeSpan.ReplaceAllString(text, " ")
	for _, m := range ms {
		if m.Name == "" {
			continue
		}
		// The name as the text spells it, in any case (the server matches names so).
		text = regexp.MustCompile(`(?i)@`+regexp.QuoteMeta(m.Name)).ReplaceAllString(text, " ")
	}
	var names []string
	for _, match := range unresolvedAt.FindAllStringSubmatch(text, -1) {
		name := match[1]
		if name == "room" || slices.Contains(names, name) {
			continue
		}
		if names = append(names, name); len(names) == maxUnresolved {
			break
		}
	}
	return names
}

// unresolvedLine is the notice of names no one holds in room (a phrase): "* no one named @zed
// is in general: nobody was notified", "@zed or @yan", "@a, @b or @c".
func unresolvedLine(names []string, room string) string {
	at := make([]string, len(names))
	for i, n := range names {
		at[i] = "@" + hubbub.CleanText(n)
	}
	list := at[0]
	if len(at) > 1 {
		list = strings.Join(at[:len(at)-1], ", ") + " or " + at[len(at)-1]
	}
	return "* no one named " + list + " is in " + room + ": nobody was notified\n"
}
