// Package fdlimit reads how many file descriptors the process may open: every socket is one,
// so it bounds the connections a server can hold and a load generator can open.
package fdlimit
