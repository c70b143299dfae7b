package files

import "io"

// Strip exposes strip to the black-box tests.
func Strip(dst io.Writer, src io.ReadSeeker, format string) error { return strip(dst, src, format) }
