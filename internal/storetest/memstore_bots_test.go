package storetest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"

	"hubbub"
)

// The bots and incoming webhooks of memStore (hubbub.BotStore), with bugs of their own.

// memBot is a live bot's token and rooms; its user is in users.
type memBot struct {
	tokenHash string
	rooms     []string
}

// bot returns the hubbub.Bot of user id (which must be a live bot).
func (s *memStore) bot(id string) hubbub.Bot {
	b := s.bots[id]
	return hubbub.Bot{User: s.users[id].User, Rooms: slices.Clone(b.rooms), Token: b.tokenHash != ""}
}

func (s *memStore) CreateBot(ctx context.Context, name string, rooms []string, tokenHash string) (hubbub.Bot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Bot{}, err
	}
	if err := hubbub.ValidateRoomPatterns(rooms, hubbub.MaxBotRooms); err != nil {
		return hubbub.Bot{}, err
	}
	key, err := s.claim(name, nil)
	if err != nil {
		return hubbub.Bot{}, err
	}
	if len(s.bots) >= hubbub.MaxBots {
		return hubbub.Bot{}, hubbub.Errorf(hubbub.ECodeLimit, "too many bots")
	}
	for _, b := range s.bots {
		if tokenHash != "" && b.tokenHash == tokenHash {
			return hubbub.Bot{}, hubbub.Errorf(hubbub.ECodeExists, "another bot holds this token")
		}
	}
	mu := s.newUser(hubbub.User{Name: name, Kind: hubbub.UserBot, Role: hubbub.RoleMember}, key)
	if rooms == nil {
		rooms = []string{}
	}
	s.bots[mu.ID] = &memBot{tokenHash: tokenHash, rooms: slices.Clone(rooms)}
	return s.bot(mu.ID), nil
}

func (s *memStore) BotByToken(ctx context.Context, tokenHash string) (hubbub.Bot, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Bot{}, false, err
	}
	for id, b := range s.bots {
		if tokenHash != "" && b.tokenHash == tokenHash && (!s.users[id].Disabled || s.bug == "botdisabled") {
			return s.bot(id), true, nil
		}
	}
	return hubbub.Bot{}, false, nil
}

func (s *memStore) Bot(ctx context.Context, id string) (hubbub.Bot, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Bot{}, false, err
	}
	if s.bots[id] == nil {
		return hubbub.Bot{}, false, nil
	}
	return s.bot(id), true, nil
}

func (s *memStore) Bots(ctx context.Context) ([]hubbub.Bot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	out := []hubbub.Bot{}
	for _, id := range slices.Sorted(maps.Keys(s.bots)) {
		out = append(out, s.bot(id))
	}
	return out, nil
}

func (s *memStore) UpdateBot(ctx context.Context, id string, c hubbub.BotChange) (hubbub.Bot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.Bot{}, err
	}
	b := s.bots[id]
	if b == nil {
		return hubbub.Bot{}, hubbub.Errorf(hubbub.ECodeNotFound, "no bot %q", id)
	}
	if c.Rooms != nil {
		if err := hubbub.ValidateRoomPatterns(*c.Rooms, hubbub.MaxBotRooms); err != nil {
			return hubbub.Bot{}, err
		}
	}
	if c.TokenHash != nil && *c.TokenHash != "" {
		for other, ob := range s.bots {
			if other != id && ob.tokenHash == *c.TokenHash {
				return hubbub.Bot{}, hubbub.Errorf(hubbub.ECodeExists, "another bot holds this token")
			}
		}
	}
	moved := c.Rooms != nil && !slices.Equal(b.rooms, *c.Rooms) ||
		c.TokenHash != nil && *c.TokenHash != b.tokenHash
	if c.Rooms != nil {
		b.rooms = append([]string{}, *c.Rooms...)
	}
	if c.TokenHash != nil && s.bug != "botkeeptoken" {
		b.tokenHash = *c.TokenHash
	}
	if moved {
		s.botChanged()
	}
	return s.bot(id), nil
}

func (s *memStore) DeleteBot(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if s.bots[id] == nil {
		return hubbub.Errorf(hubbub.ECodeNotFound, "no bot %q", id)
	}
	if s.bug != "botdisabled" {
		delete(s.bots, id)
	}
	if !s.users[id].Disabled {
		s.usersChanged() // as the users' trigger on disabled
	}
	s.botChanged() // as the bots' trigger on the deleted row
	s.users[id].Disabled = true
	for hid, h := range s.hooks {
		if h.Bot == id {
			delete(s.hooks, hid)
		}
	}
	return nil
}

func (s *memStore) CreateIncomingHook(ctx context.Context, h hubbub.IncomingHook) (hubbub.IncomingHook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.IncomingHook{}, err
	}
	if err := hubbub.ValidateRoom(h.Room); err != nil {
		return hubbub.IncomingHook{}, err
	}
	if h.SecretHash == "" || h.Bot == "" {
		return hubbub.IncomingHook{}, hubbub.Errorf(hubbub.ECodeMissing, "a hook needs a secret and a bot")
	}
	if s.bots[h.Bot] == nil {
		return hubbub.IncomingHook{}, hubbub.Errorf(hubbub.ECodeNotFound, "no bot %q", h.Bot)
	}
	if len(s.hooks) >= hubbub.MaxIncomingHooks {
		return hubbub.IncomingHook{}, hubbub.Errorf(hubbub.ECodeLimit, "too many hooks")
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	out := hubbub.IncomingHook{ID: "ih_" + hex.EncodeToString(b[:]), Room: h.Room, Bot: h.Bot, SecretHash: h.SecretHash,
		Created: ms(s.now())}
	s.hooks[out.ID] = &out
	return s.incomingHook(out.ID), nil
}

// incomingHook returns a copy of incoming hook id with its bot's name.
func (s *memStore) incomingHook(id string) hubbub.IncomingHook {
	h := *s.hooks[id]
	h.BotName = s.users[h.Bot].Name
	return h
}

func (s *memStore) IncomingHook(ctx context.Context, id string) (hubbub.IncomingHook, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return hubbub.IncomingHook{}, false, err
	}
	if s.hooks[id] == nil {
		return hubbub.IncomingHook{}, false, nil
	}
	return s.incomingHook(id), true, nil
}

func (s *memStore) IncomingHooks(ctx context.Context) ([]hubbub.IncomingHook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	out := []hubbub.IncomingHook{}
	for _, id := range slices.Sorted(maps.Keys(s.hooks)) {
		out = append(out, s.incomingHook(id))
	}
	return out, nil
}

func (s *memStore) DeleteIncomingHook(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check(ctx); err != nil {
		return err
	}
	if s.hooks[id] == nil {
		return hubbub.Errorf(hubbub.ECodeNotFound, "no incoming webhook %q", id)
	}
	delete(s.hooks, id)
	return nil
}
