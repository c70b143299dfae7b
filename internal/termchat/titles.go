package termchat

import (
	"slices"
	"strings"
	"sync"

	"hubbub"
	"hubbub/internal/wire"
)

// dmTitle is how the chat names a direct message: the other people's names.
func dmTitle(people []string) string {
	if len(people) == 0 {
		return "a direct message with nobody else"
	}
	return "@" + hubbub.CleanText(strings.Join(people, ","))
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
	if old := t.titles[r.Room]; old != "" {
		delete(t.byPeople, peopleKey(strings.TrimPrefix(old, "@")))
	}
	t.titles[r.Room] = dmTitle(r.People)
	people := make([]string, len(r.People))
	for i, p := range r.People {
		people[i] = hubbub.CleanText(p)
	}
	t.people[r.Room] = people
	if len(r.People) > 0 {
		t.byPeople[peopleKey(strings.Join(r.People, ","))] = r.Room
	}
	if was != "" {
		t.byPeople[peopleKey(strings.Join(before, ","))] = r.Room // as renamed keeps it: the name the user knows
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
		t.byPeople[peopleKey(strings.Join(people, ","))] = room // the old key stays: the old name
	}
}

// dm returns the room of the DM with people ("bob,carol", in any order and case), if the
// user's list has it.
func (t *roomTitles) dm(people string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	room, ok := t.byPeople[peopleKey(people)]
	return room, ok
}

// peopleKey is a DM's people as a key: the names, cleaned and folded to lower case, sorted.
func peopleKey(people string) string {
	names := strings.Split(strings.ToLower(hubbub.CleanText(people)), ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}
