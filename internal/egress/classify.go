package egress

import (
	"net"
	"net/netip"
)

// A range of addresses a request is refused, and its kind.
type refusedRange struct {
	prefix netip.Prefix
	reason string
}

// refusedRanges are the addresses that are not a public host on the internet. Order matters
// only for the reason given: the first match names it.
var refusedRanges = func() []refusedRange {
	rs := []struct{ cidr, reason string }{
		{"0.0.0.0/32", "unspecified"},
		{"0.0.0.0/8", "this-network"},
		{"127.0.0.0/8", "loopback"},
		{"10.0.0.0/8", "private"},
		{"172.16.0.0/12", "private"},
		{"192.168.0.0/16", "private"},
		{"100.64.0.0/10", "CGNAT"},
		{"169.254.0.0/16", "link-local"},
		{"192.0.0.0/24", "private"},  // IETF protocol assignments
		{"198.18.0.0/15", "private"}, // benchmarking networks
		{"224.0.0.0/4", "multicast"},
		{"255.255.255.255/32", "broadcast"},
		{"240.0.0.0/4", "reserved"},
		{"::/128", "unspecified"},
		{"::1/128", "loopback"},
		{"fe80::/10", "link-local"},
		{"fc00::/7", "private"},
		{"64:ff9b:1::/48", "private"}, // local-use NAT64 (RFC 8215): a site's own translator, to its own network
		{"ff00::/8", "multicast"},
	}
	out := make([]refusedRange, len(rs))
	for i, r := range rs {
		out[i] = refusedRange{netip.MustParsePrefix(r.cidr), r.reason}
	}
	return out
}()

// IPv6 prefixes that carry an IPv4 address, which is checked in their place: a request to
// 64:ff9b::7f00:1 reaches 127.0.0.1 through a NAT64 gateway, one to 2002:7f00:1:: through
// 6to4; one to ::7f00:1 (the deprecated IPv4-compatible form) through a kernel's sit tunnel.
var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4     = netip.MustParsePrefix("2002::/16")
	ipv4Compat = netip.MustParsePrefix("::/96")
)

// alwaysRefused reports whether a kind of address is refused even with AllowPrivate.
func alwaysRefused(reason string) bool {
	switch reason {
	case "unspecified", "multicast", "broadcast", "this-network", "reserved":
		return true
	}
	return false
}

// Classify returns the kind of ip when it is not a public unicast address ("loopback",
// "private", "link-local", "CGNAT", "unspecified", "multicast", …), or "" when it is.
func Classify(ip net.IP) string {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return "invalid"
	}
	return classify(a)
}

func classify(a netip.Addr) string {
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return classify(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case sixTo4.Contains(a):
			return classify(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		case ipv4Compat.Contains(a) && a != netip.IPv6Unspecified() && a != netip.IPv6Loopback():
			return classify(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		}
	}
	for _, r := range refusedRanges {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	return ""
}
