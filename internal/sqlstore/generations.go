package sqlstore

import (
	"fmt"

	"hubbub"
)

// OpGenerations is Generations'.
const OpGenerations Op = "generations"

// GenerationsSQL reads the three rows of the generations table, which each store's
// migration creates with the triggers that move them in the transaction of every change
// (hubbub.Generations says which changes).
const GenerationsSQL = `SELECT kind, gen FROM generations`

// SetGeneration puts the count of one row of GenerationsSQL into g; a kind this build does not
// know is an error, as a table a newer build changed would be.
func SetGeneration(g *hubbub.Generations, kind string, gen int64) error {
	if gen < 0 {
		return fmt.Errorf("generation %q is negative (%d)", kind, gen)
	}
	switch kind {
	case "users":
		g.Users = uint64(gen)
	case "commands":
		g.Commands = uint64(gen)
	case "rooms":
		g.Rooms = uint64(gen)
	default:
		return fmt.Errorf("unknown generation %q", kind)
	}
	return nil
}
