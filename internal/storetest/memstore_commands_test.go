package storetest_test

import (
	"context"
	"slices"
	"strings"
	"time"

	"hubbub"
)

// The slash commands of memStore (hubbub.CommandStore), with bugs of their own.

// memCommands is the registry and the response ids used (nil maps until the first write).
type memCommands struct {
	byName map[string]hubbub.Command
	used   map[string]time.Time // response id → when it expires
}

var _ hubbub.CommandStore = (*memStore)(nil)

func (s *memStore) CreateCommand(ctx context.Context, c hubbub.Command) (hubbub.Command, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Command{}, err
	}
	if err := c.Check(); err != nil && s.bug != "commandunchecked" {
		return hubbub.Command{}, err
	}
	if _, ok := s.commands.byName[c.Name]; ok && s.bug != "commandtwice" {
		return hubbub.Command{}, hubbub.Errorf(hubbub.ECodeExists, "/%s exists already", c.Name)
	}
	if len(s.commands.byName) >= hubbub.MaxCommands && s.bug != "commandnolimit" {
		return hubbub.Command{}, hubbub.Errorf(hubbub.ECodeLimit, "a server keeps at most %d commands", hubbub.MaxCommands)
	}
	if s.commands.byName == nil {
		s.commands.byName = map[string]hubbub.Command{}
	}
	c.Created = ms(s.now())
	s.commands.byName[c.Name] = c
	if s.bug != "gencommands" {
		s.gens.Commands++
	}
	return c, nil
}

func (s *memStore) Command(ctx context.Context, name string) (hubbub.Command, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Command{}, false, err
	}
	c, ok := s.commands.byName[name]
	return c, ok, nil
}

func (s *memStore) Commands(ctx context.Context) ([]hubbub.Command, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	out := make([]hubbub.Command, 0, len(s.commands.byName))
	for _, c := range s.commands.byName {
		out = append(out, c)
	}
	if s.bug != "commandorder" {
		slices.SortFunc(out, func(a, b hubbub.Command) int { return strings.Compare(a.Name, b.Name) })
	}
	return out, nil
}

func (s *memStore) UpdateCommand(ctx context.Context, name string, change hubbub.CommandChange) (hubbub.Command, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Command{}, err
	}
	c, ok := s.commands.byName[name]
	if !ok {
		return hubbub.Command{}, hubbub.Errorf(hubbub.ECodeNotFound, "no command /%s", name)
	}
	next, err := c.Apply(change)
	if err != nil {
		return hubbub.Command{}, err
	}
	s.commands.byName[name] = next
	s.gens.Commands++
	return next, nil
}

func (s *memStore) DeleteCommand(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if _, ok := s.commands.byName[name]; !ok {
		return hubbub.Errorf(hubbub.ECodeNotFound, "no command /%s", name)
	}
	delete(s.commands.byName, name)
	s.gens.Commands++
	return nil
}

func (s *memStore) UseCommandResponse(ctx context.Context, id string, expires time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return false, err
	}
	if id == "" {
		return false, hubbub.Errorf(hubbub.ECodeMissing, "a response needs an id")
	}
	if _, used := s.commands.used[id]; used && s.bug != "responseagain" {
		return false, nil
	}
	if s.commands.used == nil {
		s.commands.used = map[string]time.Time{}
	}
	now := s.now()
	for old, exp := range s.commands.used { // forget what has expired: the map stays bounded
		if exp.Before(now) {
			delete(s.commands.used, old)
		}
	}
	s.commands.used[id] = expires
	return true, nil
}
