// Package netaddr names a client by its network address for the per-address limits: the
// host of a "host:port" peer (Host), and the key the limits count it under (Key), one client
// network rather than one address — an IPv6 client usually holds a whole /64, and keyed by its
// full address it would have 2^64 fresh slots and buckets.
package netaddr

import (
	"net"
	"net/netip"
)

// Host is the host of a "host:port" address (a socket's peer, http.Request.RemoteAddr),
// without brackets; an address it cannot split, as it is.
func Host(hostport string) string {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return host
}

// Key is what a per-address limit counts address under: an IPv6 address's /64 (zone
// dropped), the network one client usually holds; an IPv4 address, or an IPv4-mapped IPv6
// one, as the IPv4 address, so that one client is one key however its address is written;
// anything that is not an address, as it is. Only the limit's count is keyed so: logs go on
// naming the client's own address.
func Key(address string) string {
	ip, err := netip.ParseAddr(address)
	if err != nil {
		return address
	}
	if ip = ip.Unmap(); ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip.WithZone(""), 64).Masked().String()
}
