package policy

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// anyGlob is one anchored RE2 expression (the syntax of CEL's matches())
// that matches exactly the strings path.Match matches with any of globs, or
// "" for no globs.
func anyGlob(globs []string, slashFree bool) (string, error) {
	if len(globs) == 0 {
		return "", nil
	}
	alts := make([]string, len(globs))
	for i, g := range globs {
		re, err := globRegexp(g, slashFree)
		if err != nil {
			return "", err
		}
		alts[i] = re
	}
	return "^(?:" + strings.Join(alts, "|") + ")$", nil
}

// globRegexp translates a path.Match glob into an unanchored RE2 expression
// that matches, once anchored, exactly the same strings.
//
// path.Match places each chunk after a '*' at its leftmost fit and never
// backtracks; that equals the regular expression's any-fit only while no
// character class can match '/', because a '*' never crosses one. A class
// that can ('[^a]', '[!-0]') would make the two engines disagree on names
// such as "b/x" against "*[^a]*x", so such a glob is refused: where names
// never hold a '/' (namespaces), slashFree waives that refusal.
func globRegexp(glob string, slashFree bool) (string, error) {
	if !utf8.ValidString(glob) {
		return "", fmt.Errorf("%q: not valid UTF-8", glob)
	}
	var b strings.Builder
	for i := 0; i < len(glob); {
		c := glob[i]
		switch c {
		case '*':
			b.WriteString("[^/]*")
			i++
		case '?':
			b.WriteString("[^/]")
			i++
		case '[':
			class, n, err := globClass(glob[i+1:], slashFree)
			if err != nil {
				return "", fmt.Errorf("%q: %w", glob, err)
			}
			b.WriteString(class)
			i += 1 + n
		case '\\':
			if i+1 == len(glob) {
				return "", fmt.Errorf("%q: a trailing backslash escapes nothing", glob)
			}
			r, n := utf8.DecodeRuneInString(glob[i+1:])
			b.WriteString(regexp.QuoteMeta(string(r)))
			i += 1 + n
		default:
			r, n := utf8.DecodeRuneInString(glob[i:])
			b.WriteString(regexp.QuoteMeta(string(r)))
			i += n
		}
	}
	return b.String(), nil
}

// globClass translates the character class that follows a '[' (s starts
// after it), as path.Match reads it: an optional '^', one or more ranges
// (c, \c or lo-hi; a reversed range matches nothing), then ']'. It returns
// the RE2 class and how many bytes of s it used.
func globClass(s string, slashFree bool) (string, int, error) {
	i, negated := 0, false
	if strings.HasPrefix(s, "^") {
		i, negated = 1, true
	}
	var ranges strings.Builder
	slash, n := false, 0
	for ; i >= len(s) || s[i] != ']' || n == 0; n++ {
		lo, w, err := classRune(s[i:])
		if err != nil {
			return "", 0, err
		}
		i += w
		hi := lo
		if i < len(s) && s[i] == '-' {
			if hi, w, err = classRune(s[i+1:]); err != nil {
				return "", 0, err
			}
			i += 1 + w
		}
		if lo <= hi {
			fmt.Fprintf(&ranges, `\x{%x}-\x{%x}`, lo, hi)
			slash = slash || (lo <= '/' && '/' <= hi)
		}
	}
	if negated != slash && !slashFree {
		return "", 0, fmt.Errorf("%s: character class [%s] can match '/', which path.Match and a regular expression would treat differently; list '/' in a negated class or leave it out of a range",
			inexpressible, s[:i])
	}
	switch {
	case ranges.Len() == 0 && negated: // every range reversed: matches any character
		return `[\x{0}-\x{10ffff}]`, i + 1, nil
	case ranges.Len() == 0:
		return `[^\x{0}-\x{10ffff}]`, i + 1, nil
	case negated:
		return "[^" + ranges.String() + "]", i + 1, nil
	}
	return "[" + ranges.String() + "]", i + 1, nil
}

// classRune reads one character of a class as path.Match's getEsc does:
// '-' and ']' must be escaped, and a class must be closed.
func classRune(s string) (rune, int, error) {
	if s == "" || s[0] == '-' || s[0] == ']' {
		return 0, 0, fmt.Errorf("malformed character class")
	}
	w := 0
	if s[0] == '\\' {
		w = 1
	}
	r, n := utf8.DecodeRuneInString(s[w:])
	if n == 0 || w+n == len(s) {
		return 0, 0, fmt.Errorf("unterminated character class")
	}
	return r, w + n, nil
}
