package main

import (
	"os"
	"testing"

	"hubbub/internal/servertest"
)

// TestMain drops the PostgreSQL schemas of servertest.PostgresSchemas once the tests have run.
// A test binary started as a server (HUBBUB_TEST_SERVE, kill_test.go) never gets here: its
// init runs the server and exits.
func TestMain(m *testing.M) { os.Exit(servertest.PostgresSchemas.DropAfter(m).Run()) }
