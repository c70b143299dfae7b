package storecache

import (
	"context"

	"hubbub"
)

// Store returns the store the node's other parts use: c's store, whose writes of users,
// commands and rooms' access drop what they touched from c at once (this node sees its own
// change at its next lookup) and make c tell the other nodes. A write this wrapper does not
// list still reaches every cache within the staleness bound, through the generations.
func (c *Cache) Store() hubbub.Store { return &store{Store: c.store, c: c} }

// store is hubbub.Store with its writes that matter to c noticed.
type store struct {
	hubbub.Store
	c *Cache
}

func (s *store) CreateUser(ctx context.Context, u hubbub.User, passwordHash string) (hubbub.User, error) {
	defer s.c.changed(kindUsers)
	return s.Store.CreateUser(ctx, u, passwordHash)
}

// ClaimGuest runs at every hello with a guest key: only the claimed name's answer goes. A
// claim the store refuses because another user holds the name goes to nameRefused.
func (s *store) ClaimGuest(ctx context.Context, name, keyHash string) (hubbub.User, error) {
	u, err := s.Store.ClaimGuest(ctx, name, keyHash)
	switch {
	case err == nil:
		s.c.nameChanged(name)
	case hubbub.ErrorCode(err) == hubbub.ECodeNameTaken:
		s.c.nameRefused(name)
	}
	return u, err
}

// ExternalUser runs at every hello with a token: only the token's name's answer goes.
func (s *store) ExternalUser(ctx context.Context, issuer, subject, name, role string) (hubbub.User, error) {
	u, err := s.Store.ExternalUser(ctx, issuer, subject, name, role)
	switch {
	case err == nil:
		s.c.nameChanged(name)
	case hubbub.ErrorCode(err) == hubbub.ECodeNameTaken:
		s.c.nameRefused(name)
	}
	return u, err
}

func (s *store) UpdateUser(ctx context.Context, id string, ch hubbub.UserChange) (hubbub.User, error) {
	defer s.c.changed(kindUsers)
	return s.Store.UpdateUser(ctx, id, ch)
}

// DeleteSession and DeleteSessions are sign-outs, which move the users' count (User.SignOuts):
// the other nodes are told at once, as for an account change, so that they end the signed-out
// sessions' connections without waiting for their poll. No name's answer changes.
func (s *store) DeleteSession(ctx context.Context, id string) error {
	defer s.c.signedOut()
	return s.Store.DeleteSession(ctx, id)
}

func (s *store) DeleteSessions(ctx context.Context, user string) (int, error) {
	defer s.c.signedOut()
	return s.Store.DeleteSessions(ctx, user)
}

func (s *store) RedeemInvite(ctx context.Context, id string, u hubbub.User, passwordHash string) (hubbub.User, error) {
	defer s.c.changed(kindUsers)
	return s.Store.RedeemInvite(ctx, id, u, passwordHash)
}

func (s *store) CreateBot(ctx context.Context, name string, rooms []string, tokenHash string) (hubbub.Bot, error) {
	defer s.c.changed(kindUsers)
	return s.Store.CreateBot(ctx, name, rooms, tokenHash)
}

func (s *store) DeleteBot(ctx context.Context, id string) error {
	defer s.c.changed(kindUsers)
	return s.Store.DeleteBot(ctx, id)
}

func (s *store) CreateCommand(ctx context.Context, cmd hubbub.Command) (hubbub.Command, error) {
	defer s.c.changed(kindCommands)
	return s.Store.CreateCommand(ctx, cmd)
}

func (s *store) UpdateCommand(ctx context.Context, name string, ch hubbub.CommandChange) (hubbub.Command, error) {
	defer s.c.changed(kindCommands)
	return s.Store.UpdateCommand(ctx, name, ch)
}

func (s *store) DeleteCommand(ctx context.Context, name string) error {
	defer s.c.changed(kindCommands)
	return s.Store.DeleteCommand(ctx, name)
}

func (s *store) CreateRoom(ctx context.Context, meta hubbub.RoomMeta, members []hubbub.Membership) (hubbub.RoomMeta, []hubbub.Entry, error) {
	if meta.Private || meta.DM {
		defer s.c.changed(kindRooms)
	}
	return s.Store.CreateRoom(ctx, meta, members)
}
