package policy

import (
	"strconv"
	"strings"
)

// lit is s as a CEL string literal. A regular expression reads best raw
// (r'...'), so that is used when s holds a backslash and no quote or line
// break; anything else is quoted with Go's escapes, which CEL shares.
func lit(s string) string {
	if strings.Contains(s, `\`) && !strings.ContainsAny(s, "'\n\r") && strconv.CanBackquote(s) {
		return "r'" + s + "'"
	}
	if !strings.ContainsAny(s, `'\`) && strconv.CanBackquote(s) {
		return "'" + s + "'"
	}
	return strconv.Quote(s)
}

// list is the CEL list literal of ss.
func list(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = lit(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
