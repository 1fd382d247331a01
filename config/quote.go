package config

// Quote returns arg as a word of a redis.conf line: arg itself when it can be
// written bare, otherwise arg in double quotes with escapes. Reading the word
// back with Redis's rules gives arg again, whatever bytes it holds.
//
// An argument needs quotes when it is empty, starts with '#' (which would
// start a comment as the first word of a line), or holds white space, a
// quote, a NUL or any other control byte. Quoted arguments are written as
// Redis's sdscatrepr writes them, which is also how CONFIG REWRITE writes
// string values: \\ \" \n \r \t \a \b for those bytes, \xHH for every
// other byte that is not printable ASCII (UTF-8 included), the rest as is.
// Bytes from 0x80 up are left bare when no quoting is needed, so a UTF-8 path
// stays readable.
func Quote(arg string) string {
	if !needsQuote(arg) {
		return arg
	}
	return string(AppendRepr(make([]byte, 0, len(arg)+2), arg))
}

func needsQuote(s string) bool {
	if s == "" || s[0] == '#' {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '"' || c == '\'' || c == 0x7f {
			return true
		}
	}
	return false
}

// AppendRepr appends s in double quotes as Redis's sdscatrepr does; Redis
// builds its command-line options string with it, so ParseCommandLine uses
// it too, and so does MONITOR's output.
func AppendRepr(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\t':
			dst = append(dst, `\t`...)
		case '\a':
			dst = append(dst, `\a`...)
		case '\b':
			dst = append(dst, `\b`...)
		default:
			// C isprint in the C locale.
			if ' ' <= c && c <= '~' {
				dst = append(dst, c)
			} else {
				dst = append(dst, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return append(dst, '"')
}

// asciiLower lowercases ASCII letters only, as C tolower does in the C
// locale; strings.ToLower would also fold other Unicode letters.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// asciiEqualFold is C strcasecmp(a, b) == 0 in the C locale.
// strings.EqualFold would also match, say, "ſave" with "save".
func asciiEqualFold(a, b string) bool {
	return len(a) == len(b) && asciiLower(a) == asciiLower(b)
}
