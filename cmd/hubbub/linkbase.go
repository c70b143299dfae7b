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
// or the config file, --config or HUBBUB_CONFIG) gets a link that works: a tester's
// HUBBUB_PORT=3702 got a hook URL on :3434, the default, without a word.

// linkBase returns the address a printed link begins with, without a trailing "/": given (the
// command's --url, or its HUBBUB_URL) if set; else serve's --public-url; else serveBaseURL of
// serve's --host, --port and --tls-cert, read as serve reads them: from the environment, then
// the config file config (the command's --config; HUBBUB_CONFIG when empty). note, when not empty, says on which
// settings an address --url did not give rests: serve's host and port, named by where they
// came from, or its defaults when nothing set them.
func linkBase(given, config string) (base, note string, err error) {
	if given != "" {
		return strings.TrimRight(given, "/"), "", nil
	}
	fs := flag.NewFlagSet("hubbub serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := newServeFlags(fs)
	if config != "" {
		if err := fs.Set(configFlag, config); err != nil {
			return "", "", fmt.Errorf("--config %s: %w", config, err)
		}
	}
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
	base = serveBaseURL(scheme, f.host, f.port)
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

// serveBaseURL is the address of a hubbub serve listening on host and port, as a browser or a
// tool on the same machine reaches it, without a trailing "/": scheme://HOST:PORT. It is the one
// rule of serve's own address, which serve prints at start-up and gives slash commands'
// response URLs, and which the admin commands' printed links begin with (linkBase): they
// said 127.0.0.1 and localhost for the same server.
//
// HOST is "localhost" for every interface ("", 0.0.0.0, ::), where a bare address is no place
// to go, and for the loopback addresses localhost names (127.0.0.1, ::1: clients that find the
// one closed try the other), so that the address is the README's http://localhost:3434 and
// pastes into a browser; any other host is kept (another loopback such as 127.0.0.2 is not
// localhost).
func serveBaseURL(scheme, host string, port int) string {
	if ip := net.ParseIP(host); host == "" || ip != nil && (ip.IsUnspecified() || ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback)) {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// listenBaseURL is serveBaseURL of the address serve's listener has: the port it took,
// which --port 0 leaves to the system.
func listenBaseURL(scheme string, addr net.Addr) (string, error) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "", fmt.Errorf("the listener's address %s: %w", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		return "", fmt.Errorf("the listener's port %q: %w", port, err)
	}
	return serveBaseURL(scheme, host, n), nil
}
