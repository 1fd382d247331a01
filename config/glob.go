package config

import (
	"os"
	"sort"
	"strings"
)

// glob expands an include pattern as Redis 7 does with glob(3) and no flags,
// relative to directory cwd ("" for the process's working directory):
//
//   - '*' matches any run of bytes and '?' any one byte within a path
//     component, never '/';
//   - [set] matches a byte of the set, with ranges (a-z), classes
//     ([:digit:] and the other eleven POSIX ones, C locale), and [!set] or
//     [^set] for the complement; a '[' with no closing ']' is literal;
//   - a backslash makes the next byte literal;
//   - a name starting with '.' is matched only by a pattern component
//     starting with a literal '.', so conf.d/*.conf skips .hidden.conf.
//
// The matches come back sorted bytewise, as glibc sorts them in the C
// locale; Redis sets LC_COLLATE from the environment, so under another
// locale its order of, say, "a-b.conf" and "a.conf" may differ. Directories
// that cannot be read are skipped, and a pattern ending in '/' matches only
// directories, which read as empty, so it gives nothing.
func glob(cwd, pattern string) []string {
	if strings.HasSuffix(pattern, "/") {
		return nil
	}
	var matches []string
	if strings.HasPrefix(pattern, "/") {
		matches = []string{"/"}
	} else {
		matches = []string{cwd}
	}
	comps := strings.Split(pattern, "/")
	var parts []string
	for _, c := range comps {
		if c != "" {
			parts = append(parts, c)
		}
	}
	for k, part := range parts {
		last := k == len(parts)-1
		var next []string
		if !hasMeta(part) {
			name := unescapeGlob(part)
			for _, dir := range matches {
				p := join(dir, name)
				// Intermediate components are checked by the next step.
				if _, err := os.Lstat(p); !last || err == nil {
					next = append(next, p)
				}
			}
		} else {
			for _, dir := range matches {
				d := dir
				if d == "" {
					d = "."
				}
				entries, err := os.ReadDir(d)
				if err != nil {
					continue
				}
				for _, e := range entries {
					if !fnmatch(part, e.Name()) {
						continue
					}
					p := join(dir, e.Name())
					if !last {
						// Only directories lead anywhere; Stat follows links.
						if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
							continue
						}
					}
					next = append(next, p)
				}
			}
		}
		matches = next
		if len(matches) == 0 {
			return nil
		}
	}
	sort.Strings(matches)
	return matches
}

func join(dir, name string) string {
	switch {
	case dir == "":
		return name
	case strings.HasSuffix(dir, "/"):
		return dir + name
	}
	return dir + "/" + name
}

// hasMeta reports whether a pattern component has a wildcard that is not
// escaped.
func hasMeta(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// unescapeGlob removes the backslashes from a component without wildcards.
func unescapeGlob(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b = append(b, s[i])
	}
	return string(b)
}

// fnmatch reports whether name matches the pattern component pat. It
// follows glibc's fnmatch with FNM_PERIOD in the C locale, byte by byte (see
// glob); differential runs against glibc found no disagreement.
func fnmatch(pat, name string) bool {
	// A wildcard never matches a leading period.
	leadingDot := len(name) > 0 && name[0] == '.'
	px, nx := 0, 0
	// Where to resume after a mismatch: the last '*' and the name byte it
	// will swallow next.
	starPx, starNx := -1, -1
	for px < len(pat) || nx < len(name) {
		if px < len(pat) {
			switch c := pat[px]; c {
			case '*':
				if nx == 0 && leadingDot {
					return false
				}
				starPx, starNx = px, nx+1
				px++
				continue
			case '?':
				if nx < len(name) && !(nx == 0 && leadingDot) {
					px++
					nx++
					continue
				}
			case '[':
				if nx < len(name) && !(nx == 0 && leadingDot) {
					width, ok := matchBracket(pat[px:], name[nx])
					if width == 0 {
						// No closing ']': the '[' is an ordinary byte.
						width, ok = 1, name[nx] == '['
					}
					if ok {
						px += width
						nx++
						continue
					}
				}
			case '\\':
				// A trailing backslash matches nothing.
				if px+1 < len(pat) && nx < len(name) && name[nx] == pat[px+1] {
					px += 2
					nx++
					continue
				}
			default:
				if nx < len(name) && name[nx] == c {
					px++
					nx++
					continue
				}
			}
		}
		if starPx >= 0 && starNx <= len(name) {
			px, nx = starPx, starNx
			continue
		}
		return false
	}
	return true
}

// charClassMax is glibc's CHAR_CLASS_MAX_LENGTH: a longer class name makes
// the bracket fail.
const charClassMax = 256

// matchBracket matches byte c against the bracket expression at the start of
// pat. It is a port of the bracket code of glibc's fnmatch_loop.c for the C
// locale, odd corners included: [=c=] and [.c.] stand for c, a class name
// holding anything but the letters a to y is no class name (the '[' is then
// a member), and an unknown class fails only if no member before it
// matched. width is the length of the expression, or 0 if it has no closing
// ']' and the '[' is to be taken as an ordinary byte, or -1 if glibc gives
// up on the pattern at this point; ok says whether c matched.
func matchBracket(pat string, c byte) (width int, ok bool) {
	// at reads pat as a C string: 0 past the end.
	at := func(i int) byte {
		if i < len(pat) {
			return pat[i]
		}
		return 0
	}
	p := 1
	negate := at(p) == '!' || at(p) == '^'
	if negate {
		p++
	}
	matched := func(p int) (int, bool) {
		w, ok := skipBracket(pat, p)
		return w, ok && !negate
	}
	ch := at(p)
	p++
	for {
		var lo byte // the member, which may start a range
		isRange := false
		switch {
		case ch == '\\':
			if at(p) == 0 {
				return -1, false
			}
			lo = at(p)
			p++
			isRange = at(p) == '-' && at(p+1) != 0 && at(p+1) != ']'
		case ch == '[' && at(p) == ':':
			name, next, kind := className(pat, p)
			if kind == notClass {
				lo = '['
				isRange = at(p) == '-' && at(p+1) != 0 && at(p+1) != ']'
				break
			}
			class, known := charClasses[name]
			if kind == badClass || !known {
				return -1, false
			}
			if class(c) {
				return matched(next)
			}
			ch = at(next)
			p = next + 1
			if ch == ']' {
				return p, negate
			}
			continue
		case ch == '[' && at(p) == '=':
			// [=x=] is x's equivalence class: x alone in the C locale.
			if at(p+1) == 0 || at(p+2) != '=' || at(p+3) != ']' {
				lo = '['
				isRange = at(p) == '-' && at(p+1) != 0 && at(p+1) != ']'
				break
			}
			if c == at(p+1) {
				return matched(p + 4)
			}
			ch = at(p + 4)
			p += 5
			if ch == ']' {
				return p, negate
			}
			continue
		case ch == 0:
			return 0, false // left open: the caller takes '[' literally
		case ch == '[' && at(p) == '.':
			// [.x.] is a collating symbol, which must be one byte here.
			// glibc forgets the ']' test when it looks for a range.
			sym, next, ok := collatingSymbol(pat, p)
			if !ok {
				return -1, false
			}
			lo, p = sym, next
			isRange = at(p) == '-' && at(p+1) != 0
		default:
			lo = ch
			isRange = at(p) == '-' && at(p+1) != 0 && at(p+1) != ']'
		}
		if !isRange && lo == c {
			return matched(p)
		}
		ch = at(p)
		p++
		if ch == '-' && at(p) != ']' {
			hi := at(p)
			p++
			switch {
			case hi == '[' && at(p) == '.':
				sym, next, ok := collatingSymbol(pat, p)
				if !ok {
					return -1, false
				}
				hi, p = sym, next
			case hi == '\\':
				hi = at(p)
				p++
				fallthrough
			default:
				if hi == 0 {
					return -1, false
				}
			}
			if lo <= c && c <= hi {
				return matched(p)
			}
			ch = at(p)
			p++
		}
		if ch == ']' {
			return p, negate
		}
	}
}

// className reads the name of a [:name:] class, pat[p] being the first ':'.
// It is notClass when a byte outside 'a' to 'y' (or the end of the pattern)
// comes before the closing ":]", and glibc then takes the '[' as a member;
// badClass when the name is too long. next is the index after the closing
// ']'.
func className(pat string, p int) (name string, next int, kind classKind) {
	for i := p + 1; ; i++ {
		if i-(p+1) == charClassMax {
			return "", 0, badClass
		}
		if i >= len(pat) {
			return "", 0, notClass
		}
		if pat[i] == ':' && i+1 < len(pat) && pat[i+1] == ']' {
			return pat[p+1 : i], i + 2, isClass
		}
		if pat[i] < 'a' || pat[i] >= 'z' {
			return "", 0, notClass
		}
	}
}

type classKind int

const (
	isClass classKind = iota
	notClass
	badClass
)

// collatingSymbol reads [.x.], pat[p] being the first '.': ok only if it is
// closed and holds exactly one byte, the only symbols the C locale names.
// next is the index after the closing ']'.
func collatingSymbol(pat string, p int) (sym byte, next int, ok bool) {
	end := strings.Index(pat[p+1:], ".]")
	if end != 1 {
		return 0, 0, false
	}
	return pat[p+1], p + 4, true
}

// skipBracket skips the rest of a bracket expression after a member matched,
// from pat[p], as glibc does, and returns the expression's width. It is
// stricter than the first pass: a malformed [= or [. fails the match (width
// -1); a bracket left open gives width 0 like matchBracket.
func skipBracket(pat string, p int) (width int, ok bool) {
	at := func(i int) byte {
		if i < len(pat) {
			return pat[i]
		}
		return 0
	}
	for {
		c := at(p)
		p++
		switch {
		case c == ']':
			return p, true
		case c == 0:
			return 0, false // left open: the caller takes '[' literally
		case c == '\\':
			if at(p) == 0 {
				return -1, false
			}
			p++
		case c == '[' && at(p) == ':':
			for i, n := p+1, 1; ; i, n = i+1, n+1 {
				if n == charClassMax {
					return -1, false
				}
				if at(i) == ':' && at(i+1) == ']' {
					p = i + 2
					break
				}
				if at(i) < 'a' || at(i) >= 'z' {
					break // not a class: go on from the ':'
				}
			}
		case c == '[' && at(p) == '=':
			if at(p+1) == 0 || at(p+2) != '=' || at(p+3) != ']' {
				return -1, false
			}
			p += 4
		case c == '[' && at(p) == '.':
			i := p + 1
			for ; at(i) != '.' || at(i+1) != ']'; i++ {
				if at(i) == 0 {
					return -1, false
				}
			}
			p = i + 2
		}
	}
}

// charClasses are the POSIX classes in the C locale, where no byte from 0x80
// up belongs to any.
var charClasses = map[string]func(byte) bool{
	"alnum":  func(c byte) bool { return isAlpha(c) || isDigit(c) },
	"alpha":  isAlpha,
	"blank":  func(c byte) bool { return c == ' ' || c == '\t' },
	"cntrl":  func(c byte) bool { return c < ' ' || c == 0x7f },
	"digit":  isDigit,
	"graph":  func(c byte) bool { return '!' <= c && c <= '~' },
	"lower":  func(c byte) bool { return 'a' <= c && c <= 'z' },
	"print":  func(c byte) bool { return ' ' <= c && c <= '~' },
	"punct":  func(c byte) bool { return '!' <= c && c <= '~' && !isAlpha(c) && !isDigit(c) },
	"space":  func(c byte) bool { return c == ' ' || ('\t' <= c && c <= '\r') },
	"upper":  func(c byte) bool { return 'A' <= c && c <= 'Z' },
	"xdigit": func(c byte) bool { return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F') },
}

func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
