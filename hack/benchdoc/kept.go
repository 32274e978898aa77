package main

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// ownSections are the sections make bench writes (benchdoc, then e2e/load);
// every other "## " section of the file is measured elsewhere (the migrator
// and pod-informer benchmarks on a real API server) and carried over as it is.
var ownSections = []string{"## In process", servedHeading, "## Under load"}

// keptSections returns the sections of the file at path that make bench does
// not write, in their order, each ending in a blank line; "" when there is no
// file yet.
func keptSections(path string) (string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var kept strings.Builder
	for _, section := range strings.Split(string(data), "\n## ")[1:] {
		section = "## " + section
		heading, _, _ := strings.Cut(section, "\n")
		if slices.Contains(ownSections, heading) {
			continue
		}
		kept.WriteString(strings.TrimRight(section, "\n") + "\n\n")
	}
	return kept.String(), nil
}
