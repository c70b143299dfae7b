package main

import (
	"flag"
	"fmt"
)

// notZero are the serve flags whose 0 once fell through to the default of the Config it
// fills (server, hub, files, accounts…, where a zero field takes the default), without a word:
// --send-queue 0 queued 4096 frames, --max-conns 0 held 20000 connections, --send-rate 0
// allowed 10 messages a second. An operator writing 0 for "none", "off" or "unlimited" got
// the default instead, so 0 is refused at start, naming the flag and what it takes.
//
// Not here: the flags whose 0 means something and says so in its help ("0 = off", "0 = none",
// "0 = the default, N"), those refused with their own range elsewhere (--sqlite-wal-pages…),
// and --port (0: any free port, as for any listener).
var notZero = []struct{ name, want string }{
	// Connections and the protocol (server.Config).
	{"handshake-timeout", "more than 0s"},
	{"body-timeout", "more than 0s"},
	{"flushers", "1 or more"},
	{"read-buffer", "1 or more bytes"},
	{"write-buffer", "1 or more bytes"},
	{"ping-period", "more than 0s, less than --pong-wait"},
	{"pong-wait", "more than --ping-period"},
	{"write-wait", "more than 0s"},
	{"read-limit", "at least twice --max-text + 1024 (9216 for the default --max-text), at most 16777216"},
	{"send-queue", "1 or more frames"},
	{"max-text", "1 or more bytes"},
	{"send-rate", "more than 0 (a very large rate lifts the limit)"},
	{"send-burst", "1 or more"},
	{"abuse-limit", "1 or more"},
	{"typing-interval", "more than 0s"},
	{"max-rooms-per-conn", "1 or more"},
	{"max-attachments", "1 to 10 (--upload-max 0 turns uploads off)"},
	{"max-conns", "1 or more"},
	{"max-conns-per-ip", "1 or more"},
	{"connect-rate", "more than 0 (a very large rate lifts the limit)"},
	{"connect-burst", "1 or more"},
	{"new-guest-rate", "more than 0 (a very large rate lifts the limit)"},
	{"new-guest-burst", "1 or more"},
	{"history-page-max", "1 or more"},
	{"rooms-page-max", "1 or more"},
	{"search-timeout", "more than 0s"},
	{"search-rate", "more than 0 (--search-index=false turns search off)"},
	{"search-burst", "1 or more"},
	{"add-idle-timeout", "more than 0s"},
	{"add-rate", "1 to 1000000"},
	// Rooms (hub.Config).
	{"history", "1 or more messages"},
	{"room-buffer", "1 or more entries"},
	{"max-replay", "1 or more entries"},
	{"replay-budget", "1 or more (at least --max-replay)"},
	{"max-rooms", "1 or more"},
	{"max-members", "1 or more"},
	{"reaction-batch", "1 or more (--reaction-window 0 sends each reaction at once)"},
	{"presence-limit", "1 or more connections"},
	{"presence-interval", "more than 0s"},
	{"away-after", "more than 0s"},
	{"prune-every", "more than 0s (it left retention unapplied; to keep every message, leave --retention-messages and --retention-age at 0)"},
	// Files (files.Config; --upload-max 0 turns uploads off, serve_files.go).
	{"upload-quota", "1 or more bytes"},
	{"image-max-pixels", "1 or more"},
	{"image-workers", "1 or more"},
	{"uploads-per-user", "1 or more"},
	{"upload-timeout", "more than 0s"},
	{"files-collect-every", "more than 0s"},
	{"files-collect-batch", "1 or more"},
	{"upload-grace", "more than 0s"},
	{"files-session-ttl", "more than 0s"},
	{"files-s3-timeout", "more than 0s"},
	{"files-s3-put-timeout", "more than 0s"},
	// Accounts, tokens, hooks, the store cache.
	{"session-ttl", "more than 0s"},
	{"login-rate", "more than 0 (a very large rate lifts the limit)"},
	{"login-burst", "1 or more"},
	{"login-tracked", "1 or more"},
	{"argon2-memory", "8 KiB per --argon2-threads to 1048576 KiB"},
	{"argon2-time", "1 to 64"},
	{"argon2-threads", "1 to 255"},
	{"argon2-concurrency", "1 or more"},
	{"jwks-refresh", "more than 0s"},
	{"jwks-min-refresh", "more than 0s"},
	{"jwks-timeout", "more than 0s"},
	{"jwks-max-keys", "1 or more"},
	{"jwks-max-bytes", "1 or more"},
	{"hook-max-body", "1 or more bytes"},
	{"hook-rate", "more than 0 (a very large rate lifts the limit)"},
	{"hook-burst", "1 or more"},
	{"store-cache-poll", "more than 0s, at most 1m"},
	{"store-cache-size", "1 or more"},
	{"store-cache-age", "more than 0s"},
	{"sqlite-busy-timeout", "more than 0s"},
	{"sqlite-check-timeout", "more than 0s (--sqlite-skip-check skips the check)"},
	{"log-repeat-window", "more than 0s (--log-repeat-burst 0 turns the limit off)"},
	// Webhooks, notifications, slash commands.
	{"webhook-concurrency", "1 to 256"},
	{"webhook-timeout", "more than 0s"},
	{"webhook-backoff-min", "more than 0s"},
	{"webhook-backoff-max", "more than 0s"},
	{"webhook-dead-after", "more than 0s"},
	{"webhook-poll", "10ms or more"},
	{"webhook-lease-ttl", "1s or more"},
	{"webhook-batch", "1 to 10000"},
	{"notify-batch", "1s or more"},
	{"notify-online-wait", "more than 0s, less than --notify-batch"},
	{"notify-max-users", "1 to 100000"},
	{"notify-text-max", "1 to 10000"},
	{"notify-lease-ttl", "1s or more"},
	{"command-timeout", "more than 0s"},
	{"command-response-ttl", "more than 0s"},
}

// refuseZero fails on the first flag of notZero set to 0, wherever it came from, saying what
// it takes and its default (which leaving it out gives).
func refuseZero(fs *flag.FlagSet, src settingSources) error {
	for _, z := range notZero {
		f := fs.Lookup(z.name)
		if f == nil {
			panic("refuseZero: no flag --" + z.name) // a renamed flag: the table must follow
		}
		g, ok := f.Value.(flag.Getter)
		if !ok {
			continue
		}
		if sign, numeric := numericSign(g.Get()); !numeric || sign != 0 {
			continue
		}
		return usageError(fmt.Sprintf("invalid --%s %s: want %s; 0 is not \"none\" or \"off\" here (leave it out for the default, %s)%s",
			z.name, f.Value, z.want, f.DefValue, src.from(z.name)))
	}
	return nil
}
