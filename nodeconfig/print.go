package nodeconfig

import (
	"fmt"
	"io"
)

// Print writes every file under a "==> registry/hosts.toml <==" header, the
// way head(1) shows several files: what `pullthrough nodeconfig -o -` shows
// an operator who writes the files by other means.
func Print(w io.Writer, files []File) error {
	for i, f := range files {
		sep := ""
		if i > 0 {
			sep = "\n"
		}
		if _, err := fmt.Fprintf(w, "%s==> %s <==\n%s", sep, f.Path(), f.Content); err != nil {
			return err
		}
	}
	return nil
}
