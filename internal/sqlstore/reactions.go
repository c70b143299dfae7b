package sqlstore

import (
	"slices"

	"hubbub"
)

// A message's reactions summary ([]hubbub.Reaction) is kept with the message, so that reading
// a message never counts its reactions. A store changes it with each toggle: AddReaction and
// RemoveReaction return the summary after it. Each emoji keeps its place while anyone holds it
// (the order it was first added); one nobody holds any more leaves, and comes back last.

// AddReaction returns rs, a message's summary, with name's reaction emoji added, and how many
// hold emoji now. The caller knows that name did not hold it. It fails with a *hubbub.Error
// (ECodeLimit) if emoji is new to a message that carries MaxReactionsPerMessage others.
// rs is not modified.
func AddReaction(rs []hubbub.Reaction, emoji, name string) ([]hubbub.Reaction, int, error) {
	if err := ReactionLimit(rs, emoji); err != nil {
		return nil, 0, err
	}
	i := slices.IndexFunc(rs, func(r hubbub.Reaction) bool { return r.Emoji == emoji })
	if i < 0 {
		return append(slices.Clip(rs), hubbub.Reaction{Emoji: emoji, Count: 1, Names: []string{name}}), 1, nil
	}
	out := slices.Clone(rs)
	r := &out[i]
	r.Count++
	if len(r.Names) < hubbub.MaxReactionNames {
		r.Names = append(slices.Clip(r.Names), name)
	}
	return out, r.Count, nil
}

// RemoveReaction returns rs with name's reaction emoji removed, and how many hold emoji now.
// The caller knows that name held it and has already forgotten that it did: if name was
// among the names shown, holders is called for the first MaxReactionNames holders left, in
// the order they reacted. rs is not modified.
func RemoveReaction(rs []hubbub.Reaction, emoji, name string, holders func() ([]string, error)) ([]hubbub.Reaction, int, error) {
	i := slices.IndexFunc(rs, func(r hubbub.Reaction) bool { return r.Emoji == emoji })
	if i < 0 { // the summary does not know it: nothing to take away
		return rs, 0, nil
	}
	if rs[i].Count <= 1 {
		return slices.Delete(slices.Clone(rs), i, i+1), 0, nil
	}
	out := slices.Clone(rs)
	r := &out[i]
	r.Count--
	if slices.Contains(r.Names, name) {
		names, err := holders()
		if err != nil {
			return nil, 0, err
		}
		r.Names = names
	}
	return out, r.Count, nil
}
