// Package table keeps one value on one cell of the aligned tables a person
// reads: `pullthrough report`, `migrate` and `verify`. Their values (images,
// names, ConfigMap data) come from whoever wrote the objects, and a
// character that is not printable would let such a value break its row or
// its columns (a newline, a tab), overwrite or hide rows on a terminal (a
// carriage return, an ANSI escape), or look like another value (U+202E,
// zero-width characters). Every table writes its cells through Cell.
package table

import (
	"strconv"
	"strings"
	"unicode"
)

// Cell is s as it should appear in a table: unchanged when every character
// is printable (strconv.IsPrint) and s is not empty, else quoted as a Go
// string, which spells each such character as an escape and shows an empty
// value as "".
func Cell(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return !strconv.IsPrint(r) || r == unicode.ReplacementChar }) {
		return strconv.Quote(s)
	}
	return s
}
