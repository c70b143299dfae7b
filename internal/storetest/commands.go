package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"hubbub"
)

// The cases of hubbub.CommandStore (command.go's contract): the registry of slash commands and
// the single use of their response URLs.

// commandCases are the CommandStore cases, which RunStoreTests runs with the others.
var commandCases = []struct {
	name string
	run  func(*testing.T, opener)
}{
	{"Commands", testCommands},
	{"CommandRefused", testCommandRefused},
	{"CommandUpdate", testCommandUpdate},
	{"CommandLimit", testCommandLimit},
	{"CommandConcurrent", testCommandConcurrent},
	{"CommandResponseOnce", testCommandResponseOnce},
	{"CommandsDoneContext", testCommandsDoneContext},
}

// command is a command as the registry hands it to CreateCommand.
func command(name string) hubbub.Command {
	return hubbub.Command{Name: name, URL: "https://bots.example/" + name, Description: "does " + name,
		Bot: "u_bot_" + name, Secret: "s3cret-" + name, CreatedBy: "u_admin"}
}

// mustCreateCommand creates c and fails t if it cannot.
func mustCreateCommand(t testing.TB, s hubbub.CommandStore, c hubbub.Command) hubbub.Command {
	t.Helper()
	got, err := s.CreateCommand(t.Context(), c)
	if err != nil {
		t.Fatalf("CreateCommand(%s): %v", c.Name, err)
	}
	return got
}

// commandNames lists the stored commands' names, in the order Commands returns them.
func commandNames(t testing.TB, s hubbub.CommandStore) []string {
	t.Helper()
	all, err := s.Commands(t.Context())
	if err != nil {
		t.Fatalf("Commands: %v", err)
	}
	names := make([]string, len(all))
	for i, c := range all {
		names[i] = c.Name
	}
	return names
}

func testCommands(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	if names := commandNames(t, s); len(names) != 0 {
		t.Fatalf("a fresh store lists commands %v", names)
	}
	begin := time.Now().Add(-time.Second)
	want := command("weather")
	got := mustCreateCommand(t, s, want)
	if got.Created.Before(begin) || got.Created.Location() != time.UTC || got.Created.Nanosecond()%int(time.Millisecond) != 0 {
		t.Errorf("Created = %v, want the store's clock now, UTC, in milliseconds", got.Created)
	}
	want.Created = got.Created
	if got != want {
		t.Errorf("CreateCommand returned %+v, want %+v", got, want)
	}
	found, ok, err := s.Command(t.Context(), "weather")
	if err != nil || !ok || found != want {
		t.Errorf("Command(weather) = %+v, %v, %v; want %+v", found, ok, err, want)
	}
	if _, ok, err := s.Command(t.Context(), "nothing"); ok || err != nil {
		t.Errorf("Command(nothing) found %v, err %v; want not found, no error", ok, err)
	}
	if _, ok, err := s.Command(t.Context(), "Bad Name!"); ok || err != nil {
		t.Errorf("Command of a name no command may have found %v, err %v; want not found, no error", ok, err)
	}
	mustCreateCommand(t, s, command("deploy"))
	mustCreateCommand(t, s, command("zebra"))
	mustCreateCommand(t, s, command("echo"))
	if got, want := commandNames(t, s), []string{"deploy", "echo", "weather", "zebra"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Commands = %v, want %v (by name)", got, want)
	}
	_, err = s.CreateCommand(t.Context(), command("echo"))
	if hubbub.ErrorCode(err) != hubbub.ECodeExists {
		t.Errorf("a second echo: %v, want %s", err, hubbub.ECodeExists)
	}
	if err := s.DeleteCommand(t.Context(), "echo"); err != nil {
		t.Fatalf("DeleteCommand(echo): %v", err)
	}
	if _, ok, _ := s.Command(t.Context(), "echo"); ok {
		t.Error("echo is still found after DeleteCommand")
	}
	if err := s.DeleteCommand(t.Context(), "echo"); hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
		t.Errorf("DeleteCommand of a deleted command: %v, want %s", err, hubbub.ECodeNotFound)
	}
	// The name is free again: an admin may register it anew.
	mustCreateCommand(t, s, command("echo"))
	if got, want := commandNames(t, s), []string{"deploy", "echo", "weather", "zebra"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Commands = %v, want %v", got, want)
	}
}

func testCommandRefused(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	with := func(f func(c *hubbub.Command)) hubbub.Command {
		c := command("ok")
		f(&c)
		return c
	}
	cases := []struct {
		why  string
		c    hubbub.Command
		code string
	}{
		{"no name", with(func(c *hubbub.Command) { c.Name = "" }), hubbub.ECodeBadName},
		{"upper case", with(func(c *hubbub.Command) { c.Name = "Echo" }), hubbub.ECodeBadName},
		{"a space", with(func(c *hubbub.Command) { c.Name = "echo it" }), hubbub.ECodeBadName},
		{"a slash", with(func(c *hubbub.Command) { c.Name = "/echo" }), hubbub.ECodeBadName},
		{"a digit first", with(func(c *hubbub.Command) { c.Name = "1echo" }), hubbub.ECodeBadName},
		{"too long", with(func(c *hubbub.Command) { c.Name = strings.Repeat("e", hubbub.MaxCommandNameLen+1) }), hubbub.ECodeBadName},
		{"a client's own", with(func(c *hubbub.Command) { c.Name = "join" }), hubbub.ECodeBadName},
		{"no URL", with(func(c *hubbub.Command) { c.URL = "" }), hubbub.ECodeMissing},
		{"no bot", with(func(c *hubbub.Command) { c.Bot = "" }), hubbub.ECodeMissing},
		{"no secret", with(func(c *hubbub.Command) { c.Secret = "" }), hubbub.ECodeMissing},
		{"a long URL", with(func(c *hubbub.Command) { c.URL = "https://x/" + strings.Repeat("u", hubbub.MaxWebhookURLLen) }), hubbub.ECodeBadField},
		{"a long description", with(func(c *hubbub.Command) {
			c.Description = strings.Repeat("d", hubbub.MaxCommandDescriptionLen+1)
		}), hubbub.ECodeBadField},
	}
	for _, tc := range cases {
		if _, err := s.CreateCommand(t.Context(), tc.c); hubbub.ErrorCode(err) != tc.code {
			t.Errorf("%s: CreateCommand: %v, want %s", tc.why, err, tc.code)
		}
	}
	if names := commandNames(t, s); len(names) != 0 {
		t.Errorf("refused commands were stored: %v", names)
	}
	long := with(func(c *hubbub.Command) {
		c.Name = strings.Repeat("e", hubbub.MaxCommandNameLen)
		c.Description = strings.Repeat("d", hubbub.MaxCommandDescriptionLen)
		c.URL = "https://x/" + strings.Repeat("u", hubbub.MaxWebhookURLLen-len("https://x/"))
	})
	if got := mustCreateCommand(t, s, long); got.Name != long.Name || got.URL != long.URL || got.Description != long.Description {
		t.Error("a command at every limit came back changed")
	}
}

func testCommandUpdate(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	before := mustCreateCommand(t, s, command("echo"))
	url, secret := "https://other.example/echo", "rotated"
	got, err := s.UpdateCommand(t.Context(), "echo", hubbub.CommandChange{URL: &url, Secret: &secret})
	if err != nil {
		t.Fatalf("UpdateCommand: %v", err)
	}
	want := before
	want.URL, want.Secret = url, secret
	if got != want {
		t.Errorf("UpdateCommand returned %+v, want %+v", got, want)
	}
	if found, _, _ := s.Command(t.Context(), "echo"); found != want {
		t.Errorf("Command after the update = %+v, want %+v", found, want)
	}
	// A refused change changes nothing, not even its other fields.
	empty, long := "", strings.Repeat("d", hubbub.MaxCommandDescriptionLen+1)
	if _, err := s.UpdateCommand(t.Context(), "echo", hubbub.CommandChange{Secret: &secret, URL: &empty}); hubbub.ErrorCode(err) != hubbub.ECodeMissing {
		t.Errorf("an empty URL: %v, want %s", err, hubbub.ECodeMissing)
	}
	fresh := "fresh"
	if _, err := s.UpdateCommand(t.Context(), "echo", hubbub.CommandChange{Secret: &fresh, Description: &long}); hubbub.ErrorCode(err) != hubbub.ECodeBadField {
		t.Errorf("a long description: %v, want %s", err, hubbub.ECodeBadField)
	}
	if found, _, _ := s.Command(t.Context(), "echo"); found != want {
		t.Errorf("refused updates changed the command to %+v", found)
	}
	if _, err := s.UpdateCommand(t.Context(), "nothing", hubbub.CommandChange{URL: &url}); hubbub.ErrorCode(err) != hubbub.ECodeNotFound {
		t.Errorf("UpdateCommand of an unknown command: %v, want %s", err, hubbub.ECodeNotFound)
	}
}

func testCommandLimit(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	for i := range hubbub.MaxCommands {
		mustCreateCommand(t, s, command(fmt.Sprintf("c%03d", i)))
	}
	if _, err := s.CreateCommand(t.Context(), command("onemore")); hubbub.ErrorCode(err) != hubbub.ECodeLimit {
		t.Fatalf("command %d: %v, want %s", hubbub.MaxCommands+1, err, hubbub.ECodeLimit)
	}
	if err := s.DeleteCommand(t.Context(), "c000"); err != nil {
		t.Fatal(err)
	}
	mustCreateCommand(t, s, command("onemore"))
}

func testCommandConcurrent(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	createConcurrently(t, []hubbub.CommandStore{s})
}

// createConcurrently races 8 creations of one command's name, spread over stores, and checks
// that exactly one stored it.
func createConcurrently(t *testing.T, stores []hubbub.CommandStore) {
	t.Helper()
	const racers = 8
	var (
		wg    sync.WaitGroup
		errs  [racers]error
		start = make(chan struct{})
	)
	for i := range racers {
		wg.Go(func() {
			<-start
			c := command("race")
			c.URL += fmt.Sprint(i)
			_, errs[i] = stores[i%len(stores)].CreateCommand(t.Context(), c)
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case hubbub.ErrorCode(err) != hubbub.ECodeExists:
			t.Errorf("racer %d: %v, want success or %s", i, err, hubbub.ECodeExists)
		}
	}
	if ok != 1 {
		t.Errorf("%d of %d creations of one name succeeded, want 1", ok, racers)
	}
}

func testCommandResponseOnce(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	useOnce(t, []hubbub.CommandStore{s})
	if _, err := s.UseCommandResponse(t.Context(), "", time.Now().Add(time.Minute)); hubbub.ErrorCode(err) != hubbub.ECodeMissing {
		t.Errorf("UseCommandResponse of an empty id: %v, want %s", err, hubbub.ECodeMissing)
	}
}

// useOnce checks that of 8 uses of one response id at once, spread over stores, and of one
// more after them, exactly one is the first; and that another id is first again.
func useOnce(t *testing.T, stores []hubbub.CommandStore) {
	t.Helper()
	expires := time.Now().Add(15 * time.Minute)
	const racers = 8
	var (
		wg    sync.WaitGroup
		first [racers]bool
		errs  [racers]error
		start = make(chan struct{})
	)
	for i := range racers {
		wg.Go(func() {
			<-start
			first[i], errs[i] = stores[i%len(stores)].UseCommandResponse(t.Context(), "cr_once", expires)
		})
	}
	close(start)
	wg.Wait()
	n := 0
	for i := range racers {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		if first[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d of %d uses of one response id were the first, want 1", n, racers)
	}
	if again, err := stores[0].UseCommandResponse(t.Context(), "cr_once", expires); err != nil || again {
		t.Errorf("a later use: first %v, err %v; want false, nil", again, err)
	}
	if other, err := stores[len(stores)-1].UseCommandResponse(t.Context(), "cr_other", expires); err != nil || !other {
		t.Errorf("another id's first use: first %v, err %v; want true, nil", other, err)
	}
}

func testCommandsDoneContext(t *testing.T, open opener) {
	s := open(t, hubbub.Retention{})
	mustCreateCommand(t, s, command("echo"))
	done, cancel := context.WithCancel(t.Context())
	cancel()
	url := "https://x/"
	calls := func(ctx context.Context) map[string]error {
		_, err1 := s.CreateCommand(ctx, command("other"))
		_, _, err2 := s.Command(ctx, "echo")
		_, err3 := s.Commands(ctx)
		_, err4 := s.UpdateCommand(ctx, "echo", hubbub.CommandChange{URL: &url})
		err5 := s.DeleteCommand(ctx, "echo")
		_, err6 := s.UseCommandResponse(ctx, "cr_x", time.Now().Add(time.Minute))
		return map[string]error{"CreateCommand": err1, "Command": err2, "Commands": err3, "UpdateCommand": err4,
			"DeleteCommand": err5, "UseCommandResponse": err6}
	}
	for name, err := range calls(done) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: %v", name, err)
		}
	}
	if names := commandNames(t, s); fmt.Sprint(names) != "[echo]" {
		t.Errorf("calls with a cancelled context changed the commands to %v", names)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range calls(t.Context()) {
		if err == nil {
			t.Errorf("%s after Close succeeded", name)
		}
	}
}
