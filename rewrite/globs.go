package rewrite

import "strings"

// nameAlphabet is every character a namespace name can hold (a DNS-1123
// label), so two globs overlap exactly when some string over it matches both.
const nameAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789-"

// globToken is one position of a path.Match glob: a star, or the set of
// nameAlphabet characters it matches, as a bit per character.
type globToken struct {
	star bool
	set  uint64
}

// GlobsOverlap reports whether some namespace name (a DNS-1123 label)
// matches both path.Match globs a and b. It decides exactly, by walking the
// two globs together; an invalid glob overlaps nothing. Package config uses
// it to refuse two scoped mirrors that can both select one namespace.
func GlobsOverlap(a, b string) bool {
	ta, okA := globTokens(a)
	tb, okB := globTokens(b)
	if !okA || !okB {
		return false
	}
	memo := make(map[[2]int]bool)
	var walk func(i, j int) bool
	walk = func(i, j int) bool {
		if v, ok := memo[[2]int{i, j}]; ok {
			return v
		}
		var v bool
		switch {
		case i == len(ta) && j == len(tb):
			v = true
		case i < len(ta) && ta[i].star:
			// The star matches nothing, or the next character b matches (or
			// whatever b's own star makes, which walk(i+1, j) covers).
			v = walk(i+1, j) || (j < len(tb) && walk(i, j+1) && (tb[j].star || tb[j].set != 0))
		case j < len(tb) && tb[j].star:
			v = walk(i, j+1) || (i < len(ta) && ta[i].set != 0 && walk(i+1, j))
		case i < len(ta) && j < len(tb):
			v = ta[i].set&tb[j].set != 0 && walk(i+1, j+1)
		}
		memo[[2]int{i, j}] = v
		return v
	}
	return walk(0, 0)
}

// globTokens splits a path.Match glob into tokens; false when it is not a
// valid glob.
func globTokens(g string) ([]globToken, bool) {
	var out []globToken
	for i := 0; i < len(g); i++ {
		switch c := g[i]; c {
		case '*':
			out = append(out, globToken{star: true})
		case '?':
			out = append(out, globToken{set: 1<<len(nameAlphabet) - 1})
		case '[':
			set, n, ok := globClass(g[i+1:])
			if !ok {
				return nil, false
			}
			out = append(out, globToken{set: set})
			i += n
		case '\\':
			if i+1 == len(g) {
				return nil, false
			}
			i++
			out = append(out, globToken{set: charBit(g[i])})
		default:
			out = append(out, globToken{set: charBit(c)})
		}
	}
	return out, true
}

// globClass reads a character class after its '[' up to and including its
// ']': the set of nameAlphabet characters it matches and the bytes read.
func globClass(s string) (uint64, int, bool) {
	i, negate := 0, false
	if i < len(s) && s[i] == '^' {
		negate, i = true, 1
	}
	var set uint64
	for first := true; ; first = false {
		if i == len(s) {
			return 0, 0, false
		}
		if s[i] == ']' && !first {
			i++
			break
		}
		lo, n, ok := classChar(s[i:])
		if !ok {
			return 0, 0, false
		}
		i += n
		hi := lo
		if i < len(s) && s[i] == '-' {
			if hi, n, ok = classChar(s[i+1:]); !ok {
				return 0, 0, false
			}
			i += 1 + n
		}
		for k := 0; k < len(nameAlphabet); k++ {
			if lo <= nameAlphabet[k] && nameAlphabet[k] <= hi {
				set |= 1 << k
			}
		}
	}
	if negate {
		set = ^set & (1<<len(nameAlphabet) - 1)
	}
	return set, i, true
}

// classChar reads one (possibly escaped) character of a class.
func classChar(s string) (byte, int, bool) {
	switch {
	case s == "" || s[0] == '-' || s[0] == ']':
		return 0, 0, false
	case s[0] == '\\':
		if len(s) < 2 {
			return 0, 0, false
		}
		return s[1], 2, true
	default:
		return s[0], 1, true
	}
}

// charBit is the bit of c in nameAlphabet, or 0 when no namespace name holds it.
func charBit(c byte) uint64 {
	if k := strings.IndexByte(nameAlphabet, c); k >= 0 {
		return 1 << k
	}
	return 0
}
