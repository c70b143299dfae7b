package wire

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// docRows returns the rows of the table under heading in docs/protocol.md, keyed by the frame
// type in their first cell.
func docRows(t *testing.T, doc, heading string) map[string]string {
	t.Helper()
	_, section, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/protocol.md has no heading %q", heading)
	}
	section, _, _ = strings.Cut(section, "\n#")
	first := regexp.MustCompile("^\\| `([a-z_]+)` \\|")
	rows := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		if m := first.FindStringSubmatch(line); m != nil {
			rows[m[1]] = line
		}
	}
	return rows
}

// docs/protocol.md lists every frame of the wire in its tables, each with every field, and no
// frame the wire does not have: a client author who reads it misses nothing the server sends
// or reads.
func TestProtocolDocListsEveryFrameAndField(t *testing.T) {
	data, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	client := docRows(t, doc, "### Client → server")
	for typ, f := range clientFrames {
		row, ok := client[typ]
		if !ok {
			t.Errorf("client frame %q is not in protocol.md's client table", typ)
			continue
		}
		for _, field := range jsonFields(reflect.TypeOf(f.request)) {
			if !strings.Contains(row, "`"+field+"`") {
				t.Errorf("protocol.md's row for client frame %q does not name field %q", typ, field)
			}
		}
	}
	for typ := range client {
		if _, ok := clientFrames[typ]; !ok {
			t.Errorf("protocol.md lists client frame %q, which the wire does not have", typ)
		}
	}
	server := docRows(t, doc, "### Server → client")
	for typ, newFrame := range serverFrames {
		row, ok := server[typ]
		if !ok {
			t.Errorf("server frame %q is not in protocol.md's server table", typ)
			continue
		}
		for _, field := range jsonFields(reflect.TypeOf(newFrame()).Elem()) {
			if !strings.Contains(row, "`"+field+"`") {
				t.Errorf("protocol.md's row for server frame %q does not name field %q", typ, field)
			}
		}
	}
	for typ := range server {
		if _, ok := serverFrames[typ]; !ok {
			t.Errorf("protocol.md lists server frame %q, which the wire does not have", typ)
		}
	}
}
