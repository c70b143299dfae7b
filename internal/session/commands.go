package session

import (
	"context"
	"strings"

	"hubbub"
	"hubbub/internal/hub"
	"hubbub/internal/wire"
)

// Slash commands (docs/protocol.md, "Slash commands"): a command frame is handed to the
// server's CommandRunner, never stored; the runner's notices reach this connection alone.

// command uses a slash command in a room the connection has joined.
func (j *jsonSession) command(ctx context.Context, f *wire.ClientFrame) {
	if !j.allowWrite(f) {
		return
	}
	runner := j.svc.cfg.Commands
	name := strings.TrimPrefix(f.Name, "/")
	if runner == nil {
		j.fail(hubbub.Errorf(hubbub.ECodeNotFound, "there is no command /%s", name), f)
		return
	}
	args := strings.TrimSpace(hubbub.CleanMultiline(f.Args))
	if len(args) > hubbub.MaxCommandArgsLen {
		j.fail(hubbub.Errorf(hubbub.ECodeTooLong, "a command's arguments are at most %d bytes", hubbub.MaxCommandArgsLen), f)
		return
	}
	if err := j.svc.hub.MayPost(ctx, f.Room, j.member.UserID, j.member.CurrentName()); err != nil {
		j.fail(err, f)
		return
	}
	call := CommandCall{Name: name, Args: args, Room: f.Room, ID: f.ID, User: j.member.UserID, UserName: j.member.CurrentName()}
	out := j.p.Outbox()
	tell := func(n hubbub.CommandNotice) { out.Push(hub.NewRaw(wire.Encode(wire.NewNotice(&n)))) }
	if err := runner.Start(ctx, call, tell); err != nil {
		j.fail(err, f)
	}
}

// welcomeCommands lists the registered commands for the welcome, for the client to know which
// lines starting with a slash are commands: none if the list cannot be read now (the client
// may ask again with commands).
func (j *jsonSession) welcomeCommands(ctx context.Context) []wire.CommandInfo {
	runner := j.svc.cfg.Commands
	if runner == nil {
		return nil
	}
	load := runner.Commands
	if c := j.svc.cfg.Cache; c != nil {
		load = func(ctx context.Context) ([]hubbub.Command, error) { return c.Commands(ctx, runner.Commands) }
	}
	cmds, err := load(ctx)
	if err != nil {
		return nil
	}
	return wire.NewCommands(cmds).Commands
}

// sendCommands answers commands: the registered commands.
func (j *jsonSession) sendCommands(ctx context.Context) error {
	runner := j.svc.cfg.Commands
	if runner == nil {
		j.reply(wire.NewCommands(nil))
		return nil
	}
	cmds, err := runner.Commands(ctx)
	if err != nil {
		return err
	}
	j.reply(wire.NewCommands(cmds))
	return nil
}
