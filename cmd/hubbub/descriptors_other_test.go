//go:build !unix

package main

// canLimitDescriptors says whether a test may start serve in a child process with a lower
// descriptor limit: not off Unix, where serve reads no limit.
const canLimitDescriptors = false

// limitDescriptorsForTest does nothing off Unix.
func limitDescriptorsForTest() error { return nil }
