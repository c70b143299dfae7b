package servertest

import "regexp"

// jsonTime matches an RFC 3339 time in a JSON text; wireTime one as wire.TimeFormat writes
// it, which the frames, the API and the webhooks promise: UTC, three fraction digits.
var (
	jsonTime = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"`)
	wireTime = regexp.MustCompile(`^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$`)
)

// WireTimes returns every time the JSON text b holds (quoted, as written) and those among
// them not in wire.TimeFormat: a time.Time written as is drops its fraction's trailing
// zeros ("…28.74Z", "…10Z").
func WireTimes(b []byte) (all, bad []string) {
	all = jsonTime.FindAllString(string(b), -1)
	for _, tm := range all {
		if !wireTime.MatchString(tm) {
			bad = append(bad, tm)
		}
	}
	return all, bad
}
