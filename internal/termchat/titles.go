package termchat

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"hubbub"
	"hubbub/internal/wire"
)

// dmTitle is how the chat names a direct message: "@" and the other people's names, separated
// by commas, a name that holds a comma, a space, a '"' or a '#' in double quotes as /dm
// takes it (@"bob smith",carol): the title is what a command takes back as the DM
// (dmPeople), and "@bob smith,carol" read as the names "bob" and then nothing sure.
func dmTitle(people []string) string {
	if len(people) == 0 {
		return "a direct message with nobody else"
	}
	names := make([]string, len(people))
	for i, p := range people {
		names[i] = quoteDMName(hubbub.CleanText(p))
	}
	return "@" + strings.Join(names, ",")
}

// quoteDMName writes name as dmPeople reads it: as is, or in double quotes with \" and \\ for
// a quote and a backslash (cutQuoted) when it holds what would end it or split it.
func quoteDMName(name string) string {
	if name != "" && !strings.ContainsAny(name, `,"#`) && !strings.ContainsFunc(name, unicode.IsSpace) {
		return name
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
}

// cutDMPeople reads the people of a DM as dmTitle writes them, from s, what follows the "@":
// names separated by commas, each bare (up to a comma, a space or a '#') or in double quotes.
// rest is what follows the last name ("#12" of "@bob#12", " hi" of "@bob hi"); ok is false
// when a quote is not closed.
func cutDMPeople(s string) (people []string, rest string, ok bool) {
	for {
		var name string
		if strings.HasPrefix(s, `"`) {
			if name, s, ok = cutQuoted(s); !ok {
				return nil, "", false
			}
		} else {
			end := strings.IndexFunc(s, func(r rune) bool { return r == ',' || r == '#' || unicode.IsSpace(r) })
			if end < 0 {
				end = len(s)
			}
			name, s = s[:end], s[end:]
		}
		people = append(people, name)
		after, more := strings.CutPrefix(s, ",")
		if !more {
			return people, s, true
		}
		s = after
	}
}

// dmPeople reads a DM as the chat names it, people being what follows its "@" (bob,carol or
// "bob smith",carol): its names, or why it names no DM ("@", "@bob,", a quote not closed,
// more after the names).
func dmPeople(people string) ([]string, error) {
	names, rest, ok := cutDMPeople(people)
	if !ok {
		return nil, fmt.Errorf("%q is not a direct message: a name in quotes has no closing quote", "@"+hubbub.CleanText(people))
	}
	if rest != "" {
		return nil, fmt.Errorf("%q is not a direct message: %q follows its names (a name with a space, a comma or a '#' in quotes: @%s)",
			"@"+hubbub.CleanText(people), hubbub.CleanText(rest), quoteDMName(hubbub.CleanText(people)))
	}
	for _, n := range names {
		if err := hubbub.ValidateName(n); err != nil {
			return nil, fmt.Errorf("%q is not a direct message: %q is not a name (%s)", "@"+hubbub.CleanText(people), hubbub.CleanText(n), hubbub.ErrorMessage(err))
		}
	}
	return names, nil
}

// cutRoomWord is cutWord for a word that names a room: a DM's (@"bob smith",carol, or
// #@…, or @…#12) reads through its quotes, whose spaces do not end it.
func cutRoomWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	people, ok := strings.CutPrefix(s, "@")
	if !ok {
		people, ok = strings.CutPrefix(s, "#@")
	}
	if !ok {
		return cutWord(s)
	}
	_, after, ok := cutDMPeople(people)
	if !ok { // a quote not closed: the whole, which dmPeople says is not a DM
		return s, ""
	}
	end := strings.IndexFunc(after, unicode.IsSpace)
	if end < 0 {
		end = len(after)
	}
	n := len(s) - len(after) + end
	return s[:n], strings.TrimSpace(s[n:])
}

// roomTitles are the names the chat shows for rooms: a DM by its people ("@bob,carol"), as
// the user's list of rooms names them. The printer learns them; commands read them too, to
// label what they print as the printer does and to take a room given as "@bob".
type roomTitles struct {
	mu       sync.Mutex
	titles   map[string]string   // by room
	people   map[string][]string // a DM's other people, cleaned, by room
	byPeople map[string]string   // rooms by peopleKey
	// listed are the DMs the printer has seen in the user's list (a rooms or room frame), until
	// their unroom: a /dm of one of them is answered with its room frame again, which is no
	// news ("* direct message @bob is in your rooms" printed at every /dm bob).
	listed map[string]bool
	// saidRenames are the renames a DM's row said (renameSaid), by room, until its presence.
	saidRenames map[string]string
}

// list records that room is in the user's list, and reports whether it was already.
func (t *roomTitles) list(room string) (was bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.listed == nil {
		t.listed = make(map[string]bool)
	}
	was = t.listed[room]
	t.listed[room] = true
	return was
}

// unlist records that room left the user's list.
func (t *roomTitles) unlist(room string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.listed, room)
}

// phrase names room in a sentence: a DM by its people, "your direct messages with bob" (or
// "with bob and carol"), never its id (dm.…), which means nothing to a person, nor "this
// direct message", which left the reader to guess whose; a DM whose people are unknown (the
// others left it) as "a direct message"; another room as itself.
func (t *roomTitles) phrase(room string) string {
	if !hubbub.IsDMRoom(room) {
		return room
	}
	t.mu.Lock()
	people := t.people[room]
	t.mu.Unlock()
	switch n := len(people); n {
	case 0:
		return "a direct message"
	case 1:
		return "your direct messages with " + people[0]
	default:
		return "your direct messages with " + strings.Join(people[:n-1], ", ") + " and " + people[n-1]
	}
}

// roomsNamed is text, a server's message, with each `room "NAME"` of a DM said as phrase
// does: the server names a room by its id ("you were removed from room \"dm.4f…\""), which
// for a DM is a hash.
func (t *roomTitles) roomsNamed(text string) string {
	var b strings.Builder
	for {
		before, after, found := strings.Cut(text, `room "`)
		if !found {
			break
		}
		name, rest, closed := strings.Cut(after, `"`)
		if !closed {
			break
		}
		if hubbub.IsDMRoom(name) {
			b.WriteString(before + t.phrase(name))
		} else {
			b.WriteString(before + `room "` + name + `"`)
		}
		text = rest
	}
	b.WriteString(text)
	return b.String()
}

// forgetPeople forgets which people name room, a DM taken out of the user's list: "/join
// @bob" then says there is no such DM rather than asking the server for the DM by its id.
// Its title stays, for its frames still on their way.
func (t *roomTitles) forgetPeople(room string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, r := range t.byPeople {
		if r == room {
			delete(t.byPeople, k)
		}
	}
}

// label returns room's title, or room itself.
func (t *roomTitles) label(room string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.titles[room]; s != "" {
		return s
	}
	return room
}

// learn records the title of a room of the user's list. For a DM it knew, whose people are
// the same but for one name, it returns that person's old and new names: the server sends a
// DM's row again when one of its people was renamed (docs/protocol.md, Renames), which is
// how a partner who shares no room with them learns it.
func (t *roomTitles) learn(r *wire.MyRoom) (was, now string) {
	if !r.DM {
		return "", ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	before := t.people[r.Room]
	if len(before) > 0 && len(before) == len(r.People) {
		after := make([]string, len(r.People))
		for i, p := range r.People {
			after[i] = hubbub.CleanText(p)
		}
		gone := slices.DeleteFunc(slices.Clone(before), func(p string) bool { return slices.Contains(after, p) })
		came := slices.DeleteFunc(after, func(p string) bool { return slices.Contains(before, p) })
		if len(gone) == 1 && len(came) == 1 {
			was, now = gone[0], came[0]
		}
	}
	if t.titles == nil {
		t.titles, t.people, t.byPeople = make(map[string]string), make(map[string][]string), make(map[string]string)
	}
	if len(r.People) == 0 && t.people[r.Room] != nil {
		// Everyone else left it: it is still the DM with them, which "@bob" names better than
		// "a direct message with nobody else" (the list names no one who left).
		return "", ""
	}
	if before != nil {
		delete(t.byPeople, peopleKey(before))
	}
	t.titles[r.Room] = dmTitle(r.People)
	people := make([]string, len(r.People))
	for i, p := range r.People {
		people[i] = hubbub.CleanText(p)
	}
	t.people[r.Room] = people
	if len(r.People) > 0 {
		t.byPeople[peopleKey(r.People)] = r.Room
	}
	if was != "" {
		t.byPeople[peopleKey(before)] = r.Room // as renamed keeps it: the name the user knows
	}
	return was, now
}

// renameSaid records that the DM room's row said was is now name, for saidRename.
func (t *roomTitles) renameSaid(room, was, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.saidRenames == nil {
		t.saidRenames = make(map[string]string)
	}
	t.saidRenames[room] = was + "\x00" + name
}

// saidRename reports whether the DM room's row, sent again for the rename, said already that
// was is now name (its presence came after it), and forgets it.
func (t *roomTitles) saidRename(room, was, name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	said := t.saidRenames[room] == hubbub.CleanText(was)+"\x00"+hubbub.CleanText(name)
	if said {
		delete(t.saidRenames, room)
	}
	return said
}

// renamed records that the user named was goes by name now (a presence's renamed): each DM
// with them is titled by the new name, which names it in commands ("/who @robert" found no DM
// until the list of rooms came again), and the old name still does — it is the one the user
// knows them by ("/who @bob" found none once the list had come). A DM the user opens with
// someone who takes the old name later is that person's (learn). Both names are cleaned.
func (t *roomTitles) renamed(was, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	was, name = hubbub.CleanText(was), hubbub.CleanText(name)
	for room, people := range t.people {
		i := slices.IndexFunc(people, func(p string) bool { return hubbub.SameName(p, was) })
		if i < 0 {
			continue
		}
		people = slices.Clone(people)
		people[i] = name
		slices.Sort(people)
		t.people[room] = people
		t.titles[room] = dmTitle(people)
		t.byPeople[peopleKey(people)] = room // the old key stays: the old name
	}
}

// dm returns the room of the DM with people (in any order and case), if the user's list has
// it.
func (t *roomTitles) dm(people []string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	room, ok := t.byPeople[peopleKey(people)]
	return room, ok
}

// peopleKey is a DM's people as a key: the names, cleaned and folded to lower case, sorted.
func peopleKey(people []string) string {
	names := make([]string, len(people))
	for i, p := range people {
		names[i] = strings.ToLower(hubbub.CleanText(p))
	}
	slices.Sort(names)
	return strings.Join(names, "\x00") // no name holds one (CleanText); "a,b" is one name
}
