//go:build linux

package main

import (
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A run writes one frame to every socket each interval, and every byte reaches the reader:
// the floor it reports is the cost of writes that all happened.
func TestRunWritesEverySocketEachInterval(t *testing.T) {
	cfg := config{conns: 20, size: 300, interval: 10 * time.Millisecond, duration: 100 * time.Millisecond}
	var got atomic.Int64
	res, err := run(cfg, func(addr string) (func() error, error) {
		done := make(chan error, cfg.conns)
		for range cfg.conns {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			go func() {
				n, err := io.Copy(io.Discard, c)
				got.Add(n)
				_ = c.Close()
				done <- err
			}()
		}
		return func() error {
			for range cfg.conns {
				if err := <-done; err != nil {
					return err
				}
			}
			return nil
		}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := cfg.conns * res.rounds; res.writes+res.eagain != want || res.rounds < 5 || res.rounds > 11 {
		t.Errorf("%d writes and %d EAGAIN in %d rounds, want %d sockets each round, about 10 rounds", res.writes, res.eagain, res.rounds, cfg.conns)
	}
	if want := int64(res.writes * cfg.size); got.Load() != want {
		t.Errorf("the reader got %d bytes, want %d", got.Load(), want)
	}
	if res.cpu <= 0 || res.perWrite() <= 0 {
		t.Errorf("cpu %v, %.3f µs a write: the writing took no CPU?", res.cpu, res.perWrite())
	}
}

// Shapes outside the bounds are refused with the flag's name.
func TestConfigBounds(t *testing.T) {
	ok := config{conns: 1010, size: 640, interval: 20 * time.Millisecond, duration: 10 * time.Second}
	if err := ok.check(); err != nil {
		t.Fatalf("the default shape: %v", err)
	}
	for flag, c := range map[string]config{
		"-conns":     {conns: 0, size: 640, interval: time.Second, duration: time.Second},
		"-size":      {conns: 1, size: maxSize + 1, interval: time.Second, duration: time.Second},
		"-interval":  {conns: 1, size: 1, interval: 0, duration: time.Second},
		"-duration":  {conns: 1, size: 1, interval: time.Second, duration: time.Hour},
		"-duration ": {conns: 1, size: 1, interval: time.Second, duration: time.Millisecond}, // shorter than -interval
	} {
		if err := c.check(); err == nil || !strings.Contains(err.Error(), strings.TrimSpace(flag)) {
			t.Errorf("%+v: %v, want an error naming %s", c, err, flag)
		}
	}
}

// A run that could not keep the row's shape fails rather than report a floor: writes that
// were not made, rounds written back to back, a reader that fell behind.
func TestFaultsNameWhatWentWrong(t *testing.T) {
	for want, r := range map[string]result{
		"no write":           {rounds: 10},
		"rounds took longer": {writes: 100, rounds: 10, late: 2},
		"did not keep up":    {writes: 90, eagain: 10, rounds: 10},
	} {
		if err := r.fault(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want an error saying %q", r, err, want)
		}
	}
	if err := (result{writes: 1000, eagain: 1, rounds: 10, late: 1}).fault(); err != nil {
		t.Errorf("a run with one late round and one EAGAIN in 1,001: %v, want none", err)
	}
}
