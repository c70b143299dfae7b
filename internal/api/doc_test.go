package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"hubbub/internal/server"
	"hubbub/internal/servertest"
)

// docCall is one curl command of docs/api.md, with what its comment says it answers.
type docCall struct {
	line, method, path, body string
	key                      bool   // it sends the API key
	status                   int    // the status its "# NNN" comment names, 0 if none
	allow, code              string // the Allow header and the error code its comment names
}

// docStep is a line of an example: a curl call, or a frame a user's client sends ("# bob
// accepts: his client sends {…}").
type docStep struct {
	call        *docCall
	user, frame string
}

var (
	docComment = regexp.MustCompile(`#\s*(\d{3})\b(.*)$`)
	docAllow   = regexp.MustCompile(`Allow: ([A-Z, ]+[A-Z])`)
	docCode    = regexp.MustCompile(`"code":"([a-z_]+)"`)
	docFrame   = regexp.MustCompile(`^# (\w+)\b.*client sends (\{.*?\})`)
)

// docExample returns the steps of the first sh block after heading in docs/api.md.
func docExample(t *testing.T, heading string) []docStep {
	t.Helper()
	page, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(page), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/api.md has no heading %q", heading)
	}
	_, block, ok := strings.Cut(section, "```sh\n")
	if !ok {
		t.Fatalf("docs/api.md: no sh example under %q", heading)
	}
	block, _, _ = strings.Cut(block, "```")
	block = strings.ReplaceAll(block, "\\\n", " ")
	var steps []docStep
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(line)
		if m := docFrame.FindStringSubmatch(line); m != nil {
			steps = append(steps, docStep{user: m[1], frame: m[2]})
			continue
		}
		if !strings.HasPrefix(line, "curl ") {
			continue
		}
		steps = append(steps, docStep{call: parseCurl(t, line)})
	}
	return steps
}

// parseCurl reads the method, path, body and key of a curl line, and its comment's answer.
func parseCurl(t *testing.T, line string) *docCall {
	c := &docCall{line: line, method: http.MethodGet}
	args, comment := shellWords(line)
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-X" && i+1 < len(args):
			i++
			c.method = args[i]
		case a == "-d" && i+1 < len(args):
			i++
			c.body = args[i]
			if c.method == http.MethodGet {
				c.method = http.MethodPost
			}
		case a == "-H" && i+1 < len(args):
			i++
			c.key = c.key || args[i] == "Authorization: Bearer $KEY"
		case strings.HasPrefix(a, "$H/"):
			c.path = strings.TrimPrefix(a, "$H")
		}
	}
	if c.path == "" {
		t.Fatalf("docs/api.md: no $H/… path in %q", line)
	}
	if m := docComment.FindStringSubmatch(comment); m != nil {
		c.status, _ = strconv.Atoi(m[1])
		if a := docAllow.FindStringSubmatch(m[2]); a != nil {
			c.allow = a[1]
		}
		if cm := docCode.FindStringSubmatch(m[2]); cm != nil {
			c.code = cm[1]
		}
	}
	return c
}

// shellWords splits a command line as sh would its quoted words, without expanding
// anything, and returns the comment after an unquoted #.
func shellWords(line string) (words []string, comment string) {
	var w strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			} else {
				w.WriteByte(ch)
			}
		case ch == '\'' || ch == '"':
			quote, in = ch, true
		case ch == ' ' || ch == '\t':
			if in {
				words, in = append(words, w.String()), false
				w.Reset()
			}
		case ch == '#' && !in:
			return words, line[i:]
		default:
			w.WriteByte(ch)
			in = true
		}
	}
	if in {
		words = append(words, w.String())
	}
	return words, ""
}

// runDocExample runs an example's steps on s in order, as the docs show them, and checks
// each answer: the status (and Allow header and code) its comment names, else a success.
func runDocExample(t *testing.T, s *servertest.Server, key string, steps []docStep, clients map[string]*servertest.JSONClient) {
	t.Helper()
	for _, st := range steps {
		if st.call == nil {
			c := clients[st.user]
			if c == nil {
				t.Fatalf("docs/api.md: %s's client sends a frame, but the test has no client for %s", st.user, st.user)
			}
			var f servertest.Frame
			if err := json.Unmarshal([]byte(st.frame), &f); err != nil {
				t.Fatalf("docs/api.md: %s's frame %s: %v", st.user, st.frame, err)
			}
			c.Send(f)
			if f.Type() == "join" {
				if got := c.AwaitFunc("joined", func(g servertest.Frame) bool { return g.Type() == "joined" || g.Type() == "error" }); got.Type() != "joined" {
					t.Fatalf("docs/api.md: %s sends %s: %v", st.user, st.frame, got)
				}
			}
			continue
		}
		c := st.call
		req, err := http.NewRequest(c.method, s.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatalf("docs/api.md: %q: %v", c.line, err)
		}
		if c.key {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("docs/api.md: %q: %v", c.line, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Logf("%s %s → %d %s", c.method, c.path, resp.StatusCode, body)
		switch {
		case c.status == 0 && resp.StatusCode >= 300:
			t.Errorf("docs/api.md shows %q succeeding; it answers %d %s", c.line, resp.StatusCode, body)
		case c.status != 0 && resp.StatusCode != c.status:
			t.Errorf("docs/api.md says %q answers %d; it answers %d %s", c.line, c.status, resp.StatusCode, body)
		}
		if got := resp.Header.Get("Allow"); c.allow != "" && got != c.allow {
			t.Errorf("docs/api.md says %q answers Allow: %s; it answers Allow: %s", c.line, c.allow, got)
		}
		if c.code != "" && !strings.Contains(string(body), `"code":"`+c.code+`"`) {
			t.Errorf("docs/api.md says %q answers code %s; it answers %s", c.line, c.code, body)
		}
	}
}

// TestDocErrorsByExample: "Errors, by example" in docs/api.md answers as it says.
func TestDocErrorsByExample(t *testing.T) {
	const key = "doc-key"
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: key}})
	steps := docExample(t, "## Errors, by example")
	if len(steps) < 3 {
		t.Fatalf("docs/api.md: %d examples of errors", len(steps))
	}
	for _, st := range steps {
		if st.call == nil || st.call.status == 0 {
			t.Fatalf("docs/api.md: an error example without its status: %+v", st)
		}
	}
	runDocExample(t, s, key, steps, nil)
}

// TestDocPeopleExample: the example of "People" in docs/api.md runs as shown, each call
// answered with a success, bob's read position after he accepted the invitation among them.
func TestDocPeopleExample(t *testing.T) {
	const key = "doc-key"
	s := servertest.Start(t, servertest.Options{Server: server.Config{APIKey: key}})
	clients := map[string]*servertest.JSONClient{
		"ann": servertest.DialJSON(t, s, "ann"),
		"bob": servertest.DialJSON(t, s, "bob"),
	}
	steps := docExample(t, "## People: users, rooms, DMs, read state")
	if len(steps) < 5 {
		t.Fatalf("docs/api.md: %d steps in the People example", len(steps))
	}
	runDocExample(t, s, key, steps, clients)
}
