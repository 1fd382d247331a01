package config

import "strings"

// Directive is one configuration line: a name and its arguments, with where
// it came from.
type Directive struct {
	// Name is the first word of the line, lowercased as Redis lowercases it
	// (ASCII letters only). It is never empty.
	Name string
	// Args are the words after the name, unquoted; nil when there are none.
	// An empty argument ("") is kept: "save \"\"" has one.
	Args []string
	// File is the file the line was read from, as it was opened: the path
	// given to ParseFile or the name given to Parse, the path of an included
	// file (relative to the working directory Redis would have by then, see
	// the package documentation), "-" for stdin, or "" for a directive from
	// the command line.
	File string
	// Line is the 1-based line number in File, 0 for the command line. A
	// NUL byte joins its line to the next, as in Redis, so later lines of
	// such a file are numbered as Redis numbers them rather than as an
	// editor would. (Redis numbers the files a glob pattern matched as one
	// text; here each counts from 1.)
	Line int
	// Text is the line as redis-server quotes it in its startup error
	// block (">>> '<Text>'"): trimmed of spaces, tabs, CR and LF, otherwise
	// as written. A command-line option reads as Redis rewrites it, its
	// values quoted: port "6380".
	Text string
	// RedisLine is the number redis-server 7.0 gives the line in that
	// block. Redis reads the config file (every file a glob pattern
	// matched), stdin, a newline and the command-line options as one text
	// and numbers its lines from 1, so an option's number follows the
	// file's last line; an included file's text is numbered on its own,
	// from 1.
	RedisLine int
}

// String returns the directive in redis.conf syntax, its words quoted with
// Quote where they need it, so that parsing the result gives back the same
// name and arguments (an include directive would be expanded, of course).
func (d Directive) String() string {
	var b strings.Builder
	b.WriteString(Quote(d.Name))
	for _, a := range d.Args {
		b.WriteByte(' ')
		b.WriteString(Quote(a))
	}
	return b.String()
}
