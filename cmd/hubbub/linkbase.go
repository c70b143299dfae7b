package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// The admin commands that print a link shown once — hook create's URL, user invite's — begin it
// with the server's address as the people or tools it is for reach it. --url says it; without
// it, the address is the one hubbub serve would give for itself from the same settings, so that
// an operator who runs the server with HUBBUB_PORT or HUBBUB_PUBLIC_URL set (in the environment
// or the HUBBUB_CONFIG file) gets a link that works: a tester's HUBBUB_PORT=3702 got a hook URL
// on :3434, the default, without a word.

// linkBase returns the address a printed link begins with, without a trailing "/": given (the
// command's --url, or its HUBBUB_URL) if set; else serve's --public-url; else
// http(s)://HOST:PORT of serve's --host (localhost for loopback or every interface), --port and
// --tls-cert. note, when not empty, says on which settings an address --url did not give rests:
// serve's host and port, named by where they came from, or its defaults when nothing set them.
func linkBase(given string) (base, note string, err error) {
	if given != "" {
		return strings.TrimRight(given, "/"), "", nil
	}
	fs := flag.NewFlagSet("hubbub serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := newServeFlags(fs)
	src, err := applySources(fs)
	if err != nil {
		return "", "", fmt.Errorf("reading hubbub serve's settings for the server's address (or pass --url): %w", err)
	}
	if err := f.commands.check(); err != nil {
		return "", "", usageError(err.Error() + src.from("public-url") + "; or pass --url")
	}
	if f.commands.publicURL != "" {
		return strings.TrimRight(f.commands.publicURL, "/"), "", nil
	}
	if f.port == 0 {
		return "", "", usageError("hubbub serve's port is 0" + src.from("port") +
			", any free port, so the server's address is not known here: pass --url (or set HUBBUB_PUBLIC_URL)")
	}
	scheme := "http"
	if f.ops.tlsCert != "" {
		scheme = "https"
	}
	host := f.host
	if ip := net.ParseIP(host); host == "" || ip != nil && (ip.IsUnspecified() || ip.IsLoopback()) {
		host = "localhost"
	}
	base = scheme + "://" + net.JoinHostPort(host, strconv.Itoa(f.port))
	var set []string
	for _, name := range []string{"host", "port", "tls-cert"} {
		if src[name] != "default" {
			set = append(set, settingText(name, fs.Lookup(name).Value.String(), src[name]))
		}
	}
	if len(set) == 0 {
		return base, fmt.Sprintf("no --url, HUBBUB_PUBLIC_URL or HUBBUB_PORT given: assumed the server is at %s, "+
			"hubbub serve's default; pass --url with the address it is reached at", base), nil
	}
	return base, fmt.Sprintf("the server's address %s is hubbub serve's, from %s; pass --url if it is reached at another",
		base, strings.Join(set, ", ")), nil
}

// settingText names serve's setting name = value as where (a settingSources value) holds it:
// HUBBUB_PORT=3702, or port = 3702 in FILE:LINE.
func settingText(name, value, where string) string {
	if env, ok := strings.CutPrefix(where, "env "); ok {
		return env + "=" + value
	}
	return name + " = " + value + " in " + strings.TrimPrefix(where, "file ")
}
