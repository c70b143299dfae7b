package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// A config file holds settings of hubbub serve as lines of `key = value`, where a key is a
// flag's name without dashes in front (port = 3434, allowed-origins = https://a.example).
// Blank lines and lines starting with # are ignored; the value is the rest of the line with
// surrounding spaces (and one pair of surrounding double quotes) removed, parsed as the flag
// would parse it. An unknown key, a repeated key or a bad value stops the server at start.
//
// Precedence, highest first: the command line, the environment (HUBBUB_*), the file, the
// flag's default.
//
// The admin commands (hubbub user, bot, hook, command, webhook) take the same file, by --config
// or HUBBUB_CONFIG, with the same precedence, so that they open the store serve opens: they
// read the settings they have (data, postgres, sqlite-busy-timeout, argon2-*, …) and skip
// serve's others (applySourcesOf).

// configFlag is the flag naming the config file; it may also come from HUBBUB_CONFIG.
const configFlag = "config"

// settingSources records where each flag's value came from: "flag", "env HUBBUB_X",
// "file PATH:LINE" or "default".
type settingSources map[string]string

// applySources sets every flag not given on the command line from the environment and then
// from the config file, and reports where each value came from: applyEnv, then the file, for
// hubbub serve. Every mistake is a usageError of one line.
func applySources(fs *flag.FlagSet) (settingSources, error) {
	return applySourcesOf(fs, fs)
}

// applySourcesOf is applySources for a flag set fs that has some of hubbub serve's flags
// besides its own, as an admin command has the store's (--data, --postgres, …): a config file
// is serve's, its keys the flags of keys (serve's flag set). A key fs has is read as serve
// reads it; any other of serve's keys is skipped, its value neither used nor checked — serve
// checks it —, so that one file serves both; a key serve has not is refused as serve refuses it.
func applySourcesOf(fs, keys *flag.FlagSet) (settingSources, error) {
	src, err := applyEnv(fs)
	if err != nil {
		return nil, err
	}
	cf := fs.Lookup(configFlag)
	if cf == nil || cf.Value.String() == "" {
		return src, nil
	}
	path := cf.Value.String()
	file, err := os.Open(path)
	if err != nil {
		return nil, usageError(fmt.Sprintf("config file: %v", err))
	}
	defer file.Close()
	if err := readConfig(fs, keys, file, path, src); err != nil {
		return nil, err
	}
	return src, nil
}

// readConfig applies the settings in r (named path in errors) to the flags of fs that src says
// still have their default. The keys r may hold are the flags of keys (fs itself for serve);
// those fs has not are skipped.
func readConfig(fs, keys *flag.FlagSet, r io.Reader, path string, src settingSources) error {
	sc := bufio.NewScanner(r)
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if n == 1 {
			// A file saved by an editor that marks UTF-8 with a byte order mark (Windows
			// Notepad) starts with U+FEFF, which TrimSpace keeps: its first key, or the
			// comment operations.md's example opens with, was refused as "\ufeffport".
			text = strings.TrimPrefix(text, "\ufeff")
		}
		line := strings.TrimSpace(text)
		if line == "" || line[0] == '#' {
			continue
		}
		where := fmt.Sprintf("%s:%d", path, n)
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return usageError(fmt.Sprintf("config %s: %q is not key = value", where, line))
		}
		key = strings.TrimSpace(key)
		value, cut, err := configValue(value)
		if err != nil {
			return usageError(fmt.Sprintf("config %s: %s: %v", where, key, err))
		}
		switch {
		case keys.Lookup(key) == nil || key == configFlag:
			return usageError(fmt.Sprintf("config %s: unknown key %q (keys are the flags of hubbub serve -h)", where, key))
		case seen[key] > 0:
			return usageError(fmt.Sprintf("config %s: %q set again (first at line %d)", where, key, seen[key]))
		}
		seen[key] = n
		if fs.Lookup(key) == nil {
			continue // a setting of serve's that this command has not
		}
		if src[key] != "default" {
			continue // the command line or the environment wins
		}
		if holdsMask(value) {
			// --print-config's output fed back: the mask would become the secret.
			return usageError(fmt.Sprintf("config %s: %s holds %s, the mask --print-config prints in place of a secret: write the secret itself, or leave the line out", where, key, mask))
		}
		if cut && isSecret(key) {
			// Before comments after values, the whole text was the secret: cutting it
			// short silently would start the server with another secret.
			return usageError(fmt.Sprintf("config %s: %s is not quoted and holds \" #\", which starts a comment: quote the secret (%s = \"…\")", where, key, key))
		}
		if err := fs.Set(key, value); err != nil {
			return usageError(fmt.Sprintf("config %s: invalid %s %q: %v", where, key, maskValue(key, value), err))
		}
		src[key] = "file " + where
	}
	if err := sc.Err(); err != nil {
		return usageError(fmt.Sprintf("config file %s: %v", path, err))
	}
	return nil
}

// configValue is the value of a config line from the text after its "=". A value in double
// quotes is what they hold: its closing quote is the first after which only spaces or a
// comment follow, so a quote inside needs no escape. An unquoted value ends before a "#" inside
// it that follows a space or a tab (a comment, as --print-config writes the sources; cut
// reports one was cut off), and its surrounding spaces are dropped. A "#" first is the value's
// own (a secret may start with one): an empty value with a comment is written "".
func configValue(text string) (value string, cut bool, err error) {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, `"`) {
		for end := 1; end < len(text); end++ {
			if text[end] != '"' {
				continue
			}
			if rest := strings.TrimSpace(text[end+1:]); rest == "" || rest[0] == '#' {
				return text[1:end], false, nil
			}
		}
		return "", false, errors.New(`a value opened with " has no closing " followed only by spaces or a comment`)
	}
	for i := 1; i < len(text); i++ {
		if text[i] == '#' && (text[i-1] == ' ' || text[i-1] == '\t') {
			return strings.TrimSpace(text[:i]), true, nil
		}
	}
	return text, false, nil
}

// mask is what --print-config prints in place of a secret.
const mask = "****"

// isSecret reports whether a flag holds a secret whose value must never be printed: a name
// containing "secret", "password" or "token", or ending in "api-key". Flags that name files
// (--tls-key, --nats-key, --nats-nkey, --nats-creds) are paths, not secrets, and are shown, as
// are the public names a token is checked against (--token-issuer, --token-audience).
func isSecret(name string) bool {
	if name == "token-issuer" || name == "token-audience" {
		return false
	}
	return strings.Contains(name, "secret") || strings.Contains(name, "password") ||
		strings.Contains(name, "token") || strings.HasSuffix(name, "api-key")
}

// maskValue returns a flag's value fit to print: secrets as "****" (empty stays empty), and
// the passwords a connection string may hold as "****": a URL's (--postgres, --nats, each of a
// comma-separated list), in its user part or its query (pgx takes ?password= and
// ?sslpassword=), a --nats URL's token (its user part without a password, nats://TOKEN@host),
// and a PostgreSQL keyword/value string's (password=… sslpassword=…), which --postgres takes
// too ("Any pgx connection string works", docs/deploy.md).
func maskValue(name, value string) string {
	if value == "" {
		return ""
	}
	if isSecret(name) {
		return mask
	}
	if !strings.Contains(value, "://") {
		return dsnPassword.ReplaceAllString(value, "${1}"+mask)
	}
	parts := strings.Split(value, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil {
			continue
		}
		masked := false
		if u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), mask)
				masked = true
			} else if name == "nats" && u.User.Username() != "" {
				// nats.go takes a user part without a password for a token: nats://TOKEN@host.
				u.User = url.User(mask)
				masked = true
			}
		}
		if q := maskQueryPasswords(u.RawQuery); q != u.RawQuery {
			u.RawQuery = q
			masked = true
		}
		if masked {
			parts[i] = strings.Replace(u.String(), "%2A%2A%2A%2A", mask, 1)
		}
	}
	return strings.Join(parts, ",")
}

// dsnPassword matches the password of a PostgreSQL keyword/value connection string
// ("host=db user=hub password=s3cret", or password='a b'), its key and "=" in group 1.
var dsnPassword = regexp.MustCompile(`((?:^|\s)(?i:ssl)?password\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s']\S*)`)

// maskQueryPasswords returns a URL's raw query with the values of password and sslpassword
// replaced by the mask, the other parameters as they were, in their order.
func maskQueryPasswords(raw string) string {
	if raw == "" {
		return raw
	}
	params := strings.Split(raw, "&")
	for i, kv := range params {
		k, _, _ := strings.Cut(kv, "=")
		if key, err := url.QueryUnescape(k); err == nil && (key == "password" || key == "sslpassword") {
			params[i] = k + "=" + mask
		}
	}
	return strings.Join(params, "&")
}

// holdsMask reports whether a config file's value is, or holds as a connection string's
// password, the mask --print-config prints: taken, it would become the secret.
func holdsMask(value string) bool {
	if value == mask {
		return true
	}
	if !strings.Contains(value, "://") {
		for _, m := range dsnPassword.FindAllStringSubmatch(value, -1) {
			if strings.TrimPrefix(m[0], m[1]) == mask {
				return true
			}
		}
		return false
	}
	for _, p := range strings.Split(value, ",") {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil {
			continue
		}
		if pw, has := u.User.Password(); pw == mask || !has && u.User.Username() == mask {
			return true // a password, or a --nats URL's token (nats://****@host)
		}
		if q := u.Query(); q.Get("password") == mask || q.Get("sslpassword") == mask {
			return true
		}
	}
	return false
}

// printConfig writes the effective configuration, one `key = value` line per flag in name
// order with its source as a comment, secrets masked: a valid config file but for the masks,
// which readConfig refuses (the secrets are to be written in by hand); --config and
// --print-config themselves are commented out. A value a config line
// would not read back as it is (empty, a " #" in it, spaces around it, a quote first) is
// quoted.
func printConfig(w io.Writer, fs *flag.FlagSet, src settingSources) {
	fs.VisitAll(func(f *flag.Flag) {
		v := maskValue(f.Name, f.Value.String())
		if back, _, err := configValue(v); v == "" || err != nil || back != v {
			v = `"` + v + `"`
		}
		line := fmt.Sprintf("%s = %s", f.Name, v)
		if f.Name == configFlag || f.Name == "print-config" {
			line = "# " + line // not keys of a config file: shown, commented out
		}
		fmt.Fprintf(w, "%-48s # %s\n", line, src[f.Name])
	})
}
