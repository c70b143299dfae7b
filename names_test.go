package hubbub

import "testing"

func TestNameKeyCollidesLookAlikes(t *testing.T) {
	same := [][2]string{
		{"ann", "Ann"},
		{"ann", "ＡＮＮ"},              // full width
		{"ann", "\u0430nn"},         // Cyrillic а
		{"rn", "m"},                 // r n looks like m
		{"Ian", "lan"},              // capital I and small l
		{"ann lee", "Ann  Lee"},     // parts compared one by one, spaces collapsed
		{"bob ☕", "BOB ☕"},          // a symbol part keeps case folding
		{"caf\u00e9", "cafe\u0301"}, // composed and decomposed é
	}
	for _, p := range same {
		a, err := NameKey(p[0])
		if err != nil {
			t.Fatalf("NameKey(%q): %v", p[0], err)
		}
		b, err := NameKey(p[1])
		if err != nil {
			t.Fatalf("NameKey(%q): %v", p[1], err)
		}
		if a != b {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q: want one key", p[0], a, p[1], b)
		}
	}
	differ := [][2]string{{"ann", "anne"}, {"bob", "rob"}, {"ann", "ann ☕"}}
	for _, p := range differ {
		a, _ := NameKey(p[0])
		b, _ := NameKey(p[1])
		if a == b {
			t.Errorf("NameKey(%q) == NameKey(%q) == %q: want different keys", p[0], p[1], a)
		}
	}
	if _, err := NameKey(" ann"); err == nil {
		t.Error("NameKey accepted a name ValidateName refuses")
	}
}
