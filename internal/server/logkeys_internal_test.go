package server

import (
	"bufio"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"hubbub"
	"hubbub/internal/accounts"
)

// A JSON log line names its component once: the accounts (and files, commands) logged with the
// server's logger and added their own, so a sign-in wrote "component":"server" and
// "component":"accounts" in one object, which log stores with strict parsing drop. A refused
// sign-in is logged too (it was not at all).
func TestLogLinesNameOneComponent(t *testing.T) {
	cheap := accounts.HashParams{Memory: 64, Time: 1, Threads: 1}
	logs, store, serverURL := startLogged(t, Config{Accounts: accounts.Config{Hash: cheap}})

	hasher, err := accounts.NewHasher(cheap, 1)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := hasher.Hash(t.Context(), "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateUser(t.Context(), hubbub.User{Name: "ann", Kind: hubbub.UserAccount}, hash); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(serverURL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	base, _ := url.Parse(serverURL)
	token := ""
	for _, c := range jar.Cookies(base) {
		if c.Name == accounts.CSRFCookie {
			token = c.Value
		}
	}
	resp, err = client.PostForm(serverURL+"/signin", url.Values{"name": {"ann"}, "password": {"wrong guess"}, accounts.CSRFField: {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong password: status %d", resp.StatusCode)
	}
	resp, err = client.PostForm(serverURL+"/signin", url.Values{"name": {"ann"}, "password": {"correct horse battery"}, accounts.CSRFField: {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in: status %d", resp.StatusCode)
	}
	signedIn, refused := false, false
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		line := sc.Text()
		if n := strings.Count(line, `"component":`); n > 1 {
			t.Errorf("a log line names %d components: %s", n, line)
		}
		if strings.Contains(line, `"msg":"signed in"`) {
			signedIn = strings.Contains(line, `"component":"accounts"`)
		}
		// A refused sign-in is a warning an operator watching for password guessing finds.
		if strings.Contains(line, `"msg":"sign-in refused"`) {
			refused = strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, `"name":"ann"`) &&
				strings.Contains(line, `"remote":"127.0.0.1"`) && strings.Contains(line, `"why":"wrong name or password"`)
		}
	}
	if !refused {
		t.Errorf("no warning of the refused sign-in:\n%s", logs.String())
	}
	if !signedIn {
		t.Errorf("no sign-in line from the accounts component:\n%s", logs.String())
	}
}
