package sqlite

import (
	"testing"

	"hubbub"
	"hubbub/internal/storetest"
)

// TestSharedStoreContract runs the contract cases of two stores on one file: a second process
// beside the first (as `hubbub user` beside a running server), and the store opened again
// after a restart.
func TestSharedStoreContract(t *testing.T) {
	storetest.RunSharedStoreTests(t, func(t *testing.T) (hubbub.Store, func(*testing.T) hubbub.Store) {
		s, path := openTest(t, Options{})
		return s, func(t *testing.T) hubbub.Store { return openAt(t, path, Options{}) }
	})
}
