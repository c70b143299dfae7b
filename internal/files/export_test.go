package files

import "io"

// Strip exposes strip to the black-box tests.
func Strip(dst io.Writer, src io.ReadSeeker, format string) error {
	_, err := strip(dst, src, format)
	return err
}
