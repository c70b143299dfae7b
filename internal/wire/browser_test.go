package wire

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"hubbub/web"
)

// jsonFields lists the JSON names of a struct's fields in order, "type" left out, and those of
// an embedded struct in its place, as encoding/json writes them.
func jsonFields(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			names = append(names, jsonFields(f.Type)...)
			continue
		}
		if !f.IsExported() || name == "-" || name == "type" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// frameTable is the frames as web/chat-protocol.js's HUBBUB_FRAMES spells them: each type's
// fields, by direction, and the fields of welcome's limits.
type frameTable struct {
	Send    map[string][]string `json:"send"`
	Receive map[string][]string `json:"receive"`
	Limits  []string            `json:"limits"`
}

// wireTable is the frame table of this package, made from its registries.
func wireTable() frameTable {
	t := frameTable{Send: map[string][]string{}, Receive: map[string][]string{},
		Limits: jsonFields(reflect.TypeFor[Limits]())}
	for typ, cf := range clientFrames {
		t.Send[typ] = jsonFields(reflect.TypeOf(cf.request))
	}
	for typ, newFrame := range serverFrames {
		t.Receive[typ] = jsonFields(reflect.TypeOf(newFrame()).Elem())
	}
	return t
}

// js spells t as the JavaScript of HUBBUB_FRAMES, for a failure message.
func (t frameTable) js() string {
	var b strings.Builder
	section := func(name string, m map[string][]string) {
		fmt.Fprintf(&b, "  %s: {\n", name)
		for _, typ := range slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		}) {
			q, _ := json.Marshal(m[typ])
			fmt.Fprintf(&b, "    %s: %s,\n", typ, strings.ReplaceAll(string(q), ",", ", "))
		}
		b.WriteString("  },\n")
	}
	b.WriteString("const HUBBUB_FRAMES = {\n")
	section("send", t.Send)
	section("receive", t.Receive)
	q, _ := json.Marshal(t.Limits)
	fmt.Fprintf(&b, "  limits: %s,\n};", strings.ReplaceAll(string(q), ",", ", "))
	return b.String()
}

var (
	jsLineComment  = regexp.MustCompile(`(?m)^\s*//.*$`)
	jsBareKey      = regexp.MustCompile(`(?m)^(\s*)([A-Za-z_$][\w$]*)\s*:`)
	jsTrailerComma = regexp.MustCompile(`,(\s*[}\]])`)
)

// browserTable reads HUBBUB_FRAMES from the browser's protocol client. The table is a plain
// object literal of string arrays, which becomes JSON once its keys are quoted and its comments
// and trailing commas dropped.
func browserTable(t *testing.T) frameTable {
	t.Helper()
	const file, start = "chat-protocol.js", "const HUBBUB_FRAMES = {"
	src, err := fs.ReadFile(web.FS(), file)
	if err != nil {
		t.Fatal(err)
	}
	s := string(src)
	i := strings.Index(s, start)
	if i < 0 {
		t.Fatalf("%s has no %q", file, start)
	}
	s = s[i+len(start)-1:]
	end := strings.Index(s, "\n};")
	if end < 0 {
		t.Fatalf("%s: HUBBUB_FRAMES does not end with a line \"};\"", file)
	}
	s = s[:end+2]
	s = jsLineComment.ReplaceAllString(s, "")
	s = jsBareKey.ReplaceAllString(s, `$1"$2":`)
	s = jsTrailerComma.ReplaceAllString(s, "$1")
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var table frameTable
	if err := dec.Decode(&table); err != nil {
		t.Fatalf("%s: HUBBUB_FRAMES is not a plain table of string arrays (%v):\n%s", file, err, s)
	}
	return table
}

// The browser's client declares every hubbub.v1 frame it sends and reads, with their fields,
// in HUBBUB_FRAMES, and sends and reads frames only through that table. It must be this
// package's frames exactly: a frame or a field added on one side only fails here.
func TestBrowserFramesMatchWire(t *testing.T) {
	js, goTable := browserTable(t), wireTable()
	failed := false
	compare := func(what string, got, want map[string][]string) {
		for typ, fields := range want {
			jsFields, ok := got[typ]
			if !ok {
				t.Errorf("%s frame %q is in internal/wire but not in HUBBUB_FRAMES", what, typ)
				failed = true
				continue
			}
			failed = !sameFields(t, what+" frame "+typ, jsFields, fields) || failed
		}
		for typ := range got {
			if _, ok := want[typ]; !ok {
				t.Errorf("%s frame %q is in HUBBUB_FRAMES but not in internal/wire", what, typ)
				failed = true
			}
		}
	}
	compare("client", js.Send, goTable.Send)
	compare("server", js.Receive, goTable.Receive)
	failed = !sameFields(t, "welcome's limits", js.Limits, goTable.Limits) || failed
	if failed {
		t.Logf("internal/wire's frames, as web/chat-protocol.js spells them:\n%s", goTable.js())
	}
}

// sameFields reports whether the browser's fields of what are the Go ones, in any order, and
// says which differ if not.
func sameFields(t *testing.T, what string, js, goFields []string) bool {
	t.Helper()
	ok := true
	for _, f := range goFields {
		if !slices.Contains(js, f) {
			t.Errorf("%s: field %q is in internal/wire but not in HUBBUB_FRAMES", what, f)
			ok = false
		}
	}
	for _, f := range js {
		if !slices.Contains(goFields, f) {
			t.Errorf("%s: field %q is in HUBBUB_FRAMES but not in internal/wire", what, f)
			ok = false
		}
	}
	return ok
}

// The server reads every client frame as a ClientFrame: every field a request sends must be
// one of its fields, every one of its fields must belong to a request, and a type's required
// fields must be fields of its request.
func TestClientFrameReadsEveryRequestField(t *testing.T) {
	read := jsonFields(reflect.TypeFor[ClientFrame]())
	used := map[string]bool{}
	for typ, cf := range clientFrames {
		fields := jsonFields(reflect.TypeOf(cf.request))
		for _, f := range fields {
			used[f] = true
			if !slices.Contains(read, f) {
				t.Errorf("%T sends %q, which ClientFrame does not read", cf.request, f)
			}
		}
		for _, req := range cf.required {
			for f := range strings.SplitSeq(req, "|") { // "name|user": one of them
				if !slices.Contains(fields, f) {
					t.Errorf("%s requires %q, which %T does not have", typ, f, cf.request)
				}
			}
		}
	}
	for _, f := range read {
		if !used[f] {
			t.Errorf("ClientFrame reads %q, which no request sends", f)
		}
	}
}
