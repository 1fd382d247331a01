package config

import (
	"io"
	"strings"

	"github.com/shinglekv/shingle/internal/splitargs"
)

// CommandLine is a redis-server command line taken apart: the config file,
// whether to read stdin, and the options. Load reads them as redis-server
// does.
type CommandLine struct {
	// File is the config file path, the first argument when it does not
	// start with '-'; "" when there is none. It may be a glob pattern, as
	// for ParseFile.
	File string
	// Stdin is set when "-" is the first or the last argument: the config
	// is then also read from stdin, after File.
	Stdin bool
	// Options is the text redis-server builds from the --name value
	// arguments and reads after the file and stdin: one directive per line
	// in redis.conf syntax, each value quoted. It is exactly Redis's text, so
	// that parsing it gives what Redis gets, quirks included.
	Options string
}

// ParseCommandLine splits a redis-server command line (os.Args[1:]) as Redis
// 7's main does, without reading anything:
//
//   - If the first argument does not start with '-', it is the config file.
//   - "-" as the first or last argument means read stdin; anywhere else it
//     is a value.
//   - An argument starting with "--" starts a directive named by the rest
//     of it, except right after a directive name given alone: that next
//     argument is always a value, whatever it starts with, so
//     "--requirepass --secret" sets the password "--secret". Two names are
//     exempt, for compatibility with Redis before 7.0.1: "--save" followed
//     by an argument starting with "--" or by nothing gets the value "", and
//     "--sentinel" then gets no value.
//   - Every other argument is a value of the directive before it. A
//     negative number is a value: "--port -1".
//   - "--name=value" is not special: it is a directive named "name=value".
//
// Redis pastes each name into the options text as is, so a name holding
// spaces carries its own values ("--port 6380" as one argument is port
// 6380), and a name holding a quote can make the text unparsable, which
// Load reports. Redis handles -v, --version, -h, --help,
// --test-memory and --check-system as the first argument before any of
// this; ParseCommandLine does not, so a caller wanting them checks first.
//
// The only error is an empty first argument, which Redis takes as a config
// file it then cannot open.
func ParseCommandLine(args []string) (*CommandLine, error) {
	c := &CommandLine{}
	j := 0
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if cstring(args[0]) == "" {
			return nil, &Error{Msg: `empty config file name`}
		}
		c.File = args[0]
		j = 1
	}
	var opts []byte
	// handled is Redis's handled_last_config_arg: false right after a name
	// given alone, when the next argument must be its value.
	handled := true
	for ; j < len(args); j++ {
		a := cstring(args[j])
		switch {
		case a == "-" && (j == 0 || j == len(args)-1):
			c.Stdin = true
		case handled && strings.HasPrefix(a, "--"):
			if len(opts) > 0 {
				opts = append(opts, '\n')
			}
			opts = append(opts, a[2:]...)
			opts = append(opts, ' ')
			// Split fails on unbalanced quotes; Redis then counts no words.
			words, _ := splitargs.Split([]byte(a))
			if len(words) != 1 {
				// The argument holds the name and values: "--port 6380".
				handled = true
				continue
			}
			handled = false
			last := j == len(args)-1
			nextIsName := !last && strings.HasPrefix(cstring(args[j+1]), "--")
			switch {
			case asciiEqualFold(a, "--save") && (nextIsName || last):
				opts = append(opts, `""`...)
				handled = true
			case asciiEqualFold(a, "--sentinel") && nextIsName:
				handled = true
			}
		default:
			opts = AppendRepr(opts, a)
			opts = append(opts, ' ')
			handled = true
		}
	}
	c.Options = string(opts)
	return c, nil
}

// cstring is s as a C program sees it in argv: up to the first NUL. The
// operating system never passes a NUL in an argument, but a Go caller can.
func cstring(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// Load reads the configuration c describes as redis-server does: File (every
// match, if it is a pattern), then stdin if c.Stdin, then a newline and
// Options, all as one text, so that directives later in it override earlier
// ones. A file that does not end in a newline runs into the first line from
// stdin, as in Redis. Includes are expanded as by Parse, and a dir directive
// moves where later relative includes are looked for, in the options as
// well: "redis-server /etc/redis.conf --include extra.conf" looks for
// extra.conf in the dir the file sets.
//
// Directives from the options have File "" and Line 0; those from stdin have
// File "-". stdin may be nil when c.Stdin is false. Every error is an *Error.
func (c *CommandLine) Load(stdin io.Reader) ([]Directive, error) {
	var p parser
	var buf []byte
	var srcs []source
	if c.File != "" {
		data, files, err := p.readFiles(c.File)
		if err != nil {
			return nil, err
		}
		buf, srcs = data, files
	}
	if c.Stdin {
		if stdin == nil {
			return nil, &Error{File: "-", Msg: "can't read config: no stdin given to Load"}
		}
		data, err := readConfig(stdin)
		if err != nil {
			return nil, &Error{File: "-", Msg: "can't read config: " + err.Error(), Err: err}
		}
		srcs = append(srcs, source{name: "-", start: len(buf)})
		buf = append(buf, data...)
	}
	buf = append(buf, '\n')
	srcs = append(srcs, source{start: len(buf), cmdline: true})
	buf = append(buf, c.Options...)
	err := p.parse(buf, srcs)
	return p.out, err
}
