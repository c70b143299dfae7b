package postgres

import (
	"testing"

	"hubbub"
	"hubbub/internal/storetest"
)

// TestSharedStoreContract runs the contract cases of two stores on one schema: two nodes at
// once, and the store opened again after a restart.
func TestSharedStoreContract(t *testing.T) {
	serverURL(t)
	storetest.RunSharedStoreTests(t, func(t *testing.T) (hubbub.Store, func(*testing.T) hubbub.Store) {
		s, u := openTest(t, Options{})
		return s, func(t *testing.T) hubbub.Store { return openAt(t, u, Options{}) }
	})
}
