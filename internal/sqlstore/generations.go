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

// ReadGenerations reads the rows of GenerationsSQL into the counts. The caller closes rows.
func ReadGenerations[R Rows](rows R) (hubbub.Generations, error) {
	var g hubbub.Generations
	for rows.Next() {
		var kind string
		var gen int64
		if err := rows.Scan(&kind, &gen); err != nil {
			return g, err
		}
		if err := setGeneration(&g, kind, gen); err != nil {
			return g, err
		}
	}
	return g, rows.Err()
}

// setGeneration puts the count of one row of GenerationsSQL into g; a kind this build does not
// know is an error, as a table a newer build changed would be.
func setGeneration(g *hubbub.Generations, kind string, gen int64) error {
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
