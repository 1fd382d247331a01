package glob

// Match reports whether s matches pattern.
func Match(pattern, s []byte) bool {
	skip := false
	return match(pattern, s, false, &skip, 0)
}

// MatchFold is Match with ASCII letters compared case-insensitively.
func MatchFold(pattern, s []byte) bool {
	skip := false
	return match(pattern, s, true, &skip, 0)
}

// maxNesting bounds the recursion that runs of '*' cause; a pattern that needs
// more does not match, rather than exhausting the stack.
const maxNesting = 1000

// match walks pattern p over s. skip is set once a '*' has failed to place
// the rest of the pattern anywhere in the remaining string: then no earlier
// '*' can succeed by consuming more, which keeps patterns such as
// "*a*a*a*a*b" linear instead of exponential.
func match(p, s []byte, fold bool, skip *bool, depth int) bool {
	if depth > maxNesting {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if match(p[1:], s, fold, skip, depth+1) {
					return true
				}
				if *skip {
					return false
				}
				s = s[1:]
			}
			*skip = true
			return false
		case '?':
			s = s[1:]
			p = p[1:]
		case '[':
			var ok bool
			ok, p = matchClass(p[1:], s[0], fold)
			if !ok {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if !equal(p[0], s[0], fold) {
				return false
			}
			s = s[1:]
			p = p[1:]
		}
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
		}
	}
	return len(p) == 0 && len(s) == 0
}

// matchClass matches c against the class whose body starts at p (just after
// '['). It returns the result and the pattern after the closing ']'.
func matchClass(p []byte, c byte, fold bool) (bool, []byte) {
	negate := len(p) > 0 && p[0] == '^'
	if negate {
		p = p[1:]
	}
	found := false
	for len(p) > 0 && p[0] != ']' {
		switch {
		case p[0] == '\\' && len(p) >= 2:
			if p[1] == c {
				found = true
			}
			p = p[2:]
		case len(p) >= 3 && p[1] == '-':
			// Redis compares range bounds as C chars, which are signed on
			// the x86-64 servers it ships for: bytes from 0x80 up sort
			// below the ASCII ones.
			lo, hi, x := int8(p[0]), int8(p[2]), int8(c)
			if lo > hi {
				lo, hi = hi, lo
			}
			if fold {
				lo, hi, x = int8(lower(byte(lo))), int8(lower(byte(hi))), int8(lower(byte(x)))
			}
			if x >= lo && x <= hi {
				found = true
			}
			p = p[3:]
		default:
			if equal(p[0], c, fold) {
				found = true
			}
			p = p[1:]
		}
	}
	if len(p) > 0 {
		p = p[1:] // the closing ']'
	}
	return found != negate, p
}

func equal(a, b byte, fold bool) bool {
	return a == b || fold && lower(a) == lower(b)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// IsAll reports whether pattern is "*", which Redis treats as matching every
// key (the empty one included) without calling the matcher.
func IsAll(pattern []byte) bool { return len(pattern) == 1 && pattern[0] == '*' }
