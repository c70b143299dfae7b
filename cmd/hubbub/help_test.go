package main

import (
	"bytes"
	"strings"
	"testing"
)

// `hubbub help` lists every subcommand the binary has: bot, hook and command were missing,
// so a new operator following the README's `hubbub bot create` found no trace of it in the
// list (each answers `hubbub NAME -h` with its own usage).
func TestHelpListsEverySubcommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"help"}, stdio{in: strings.NewReader(""), out: &out, err: &out}); err != nil {
		t.Fatalf("hubbub help: %v", err)
	}
	for name := range subcommands {
		if !strings.Contains(out.String(), "\n  hubbub "+name+" ") && (name != "serve" || !strings.Contains(out.String(), "hubbub [serve] ")) {
			t.Errorf("hubbub help does not list %q:\n%s", name, out.String())
		}
	}
}
