package accounts

import (
	"testing"

	"hubbub"
)

func TestInviteURL(t *testing.T) {
	for base, want := range map[string]string{
		"https://chat.example.com":    "https://chat.example.com/invite#CODE",
		"https://chat.example.com/":   "https://chat.example.com/invite#CODE",
		"http://localhost:3434":       "http://localhost:3434/invite#CODE",
		"https://example.com/hubbub/": "https://example.com/hubbub/invite#CODE",
		"chat.example.com":            "",
		"ftp://chat.example.com":      "",
		"https://":                    "",
	} {
		got, err := InviteURL(base, "CODE")
		if got != want || (err != nil) != (want == "") {
			t.Errorf("InviteURL(%q) = %q, %v; want %q", base, got, err, want)
		}
	}
}

func TestCheckRole(t *testing.T) {
	for role, want := range map[string]string{"": "member", "member": "member", "admin": "admin", "moderator": "moderator", "owner": "", "Admin": ""} {
		got, err := CheckRole(role)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("CheckRole(%q) = %q, %v", role, got, err)
		}
		if err != nil && hubbub.ErrorCode(err) != hubbub.ECodeBadField {
			t.Errorf("CheckRole(%q) code %q", role, hubbub.ErrorCode(err))
		}
	}
}
