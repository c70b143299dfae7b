package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"hubbub/internal/bench"
	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

func TestBenchJSONReport(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	s := servertest.Start(t, servertest.Options{Server: server.Config{SendRate: 1e6, SendBurst: 1e6}})
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "--url", s.WS, "--scenario", "fanout",
		"--listeners", "3", "--senders", "1", "--steps", "1", "--step-messages", "5", "--step-duration", "1m",
		"--drain", "1m", "--p99-bound", "1h", "--pid", "auto", "--json", "--quiet"}, stdio{out: &out, err: &errOut})
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	var rep bench.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output %q: %v", out.String(), err)
	}
	if len(rep.Steps) != 1 || rep.Steps[0].Sent != 5 || rep.Steps[0].Delivered != 20 || rep.Best == nil {
		t.Errorf("report %+v, want one passing step of 5 messages and 20 deliveries", rep.Steps)
	}
	if rep.Params.PID != os.Getpid() || rep.Server == nil {
		t.Errorf("--pid auto found %d (server figures %+v), want this process %d, which serves the test server", rep.Params.PID, rep.Server, os.Getpid())
	}
	if errOut.Len() != 0 {
		t.Errorf("--quiet printed %q", errOut.String())
	}
}

func TestBenchTableAndProgress(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	s := servertest.Start(t, servertest.Options{})
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "--url", s.WS, "--target", "text", "--scenario", "idle",
		"--conns", "5", "--duration", "1200ms", "--settle", "100ms", "--progress", "200ms"}, stdio{out: &out, err: &errOut})
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"idle against text", "connect: 5 in", "held: 5 connections", "counters: errors 0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "holding 5") {
		t.Errorf("no progress line on stderr: %q", errOut.String())
	}
}

func TestBenchRefusesRemoteTargets(t *testing.T) {
	for _, u := range []string{"ws://10.0.0.1:3434/ws", "ws://example.com/ws"} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"bench", "--url", u}, stdio{out: &out, err: &errOut})
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "loopback") || exitCode(err) != 2 {
			t.Errorf("bench --url %s = %v, want a usage error about loopback", u, err)
		}
		err = run(context.Background(), []string{"bench", "--url", u, "--pid", "auto"}, stdio{out: &out, err: &errOut})
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "loopback") || exitCode(err) != 2 {
			t.Errorf("bench --url %s --pid auto = %v, want a usage error about loopback", u, err)
		}
	}
}
