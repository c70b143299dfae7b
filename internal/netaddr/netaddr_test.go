package netaddr

import "testing"

func TestHost(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"127.0.0.1:5555", "127.0.0.1"},
		{"[::1]:5555", "::1"},
		{"[fe80::1%eth0]:80", "fe80::1%eth0"},
		{"203.0.113.7", "203.0.113.7"}, // no port: as it is
		{"2001:db8::1", "2001:db8::1"}, // no port, unbracketed: as it is
		{"@", "@"},                     // a unix socket's peer
		{"", ""},
	} {
		if got := Host(c.in); got != c.want {
			t.Errorf("Host(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The addresses of one IPv6 /64 are one key, whatever their spelling or zone; an IPv4
// client is one key whether it came as IPv4 or as IPv4-mapped IPv6; anything else is its own.
func TestKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"::FFFF:c000:0207", "192.0.2.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:0DB8:0001:0002:0000:0000:0000:0009", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"fe80::2%1", "fe80::/64"},
		{"::1", "::/64"},
		{"::", "::/64"},
		{"64:ff9b::c000:207", "64:ff9b::/64"}, // NAT64: the network's, not the IPv4 host's
		{"not-an-ip", "not-an-ip"},
		{"192.0.2.7:80", "192.0.2.7:80"},
		{"[2001:db8::1]", "[2001:db8::1]"},
		{"2001:db8::/64", "2001:db8::/64"},
		{"192.0.2.7%eth0", "192.0.2.7%eth0"},
		{"010.0.0.1", "010.0.0.1"},
		{"", ""},
	} {
		if got := Key(c.in); got != c.want {
			t.Errorf("Key(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
