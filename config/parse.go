package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/shinglekv/shingle/internal/splitargs"
)

// Parse reads redis.conf text from r and returns its directives in order,
// with include directives replaced by the directives of the files they name.
// name is what Directive.File and errors report for lines read from r; if it
// names an existing file, including that file again from within is reported
// as an include loop. An empty name reads as "command line" in errors, so
// pass "-" for stdin.
//
// Parse checks the syntax only: it does not know which directives exist or
// what their arguments mean. Every error is an *Error; for an include loop
// it wraps ErrIncludeLoop, for a file that cannot be opened the
// *fs.PathError.
func Parse(r io.Reader, name string) ([]Directive, error) {
	data, err := readConfig(r)
	if err != nil {
		return nil, &Error{File: name, Msg: "can't read config: " + err.Error(), Err: err}
	}
	src := source{name: name}
	if name != "" && name != "-" {
		if info, err := os.Stat(name); err == nil {
			src.info = info
		}
	}
	var p parser
	err = p.parse(data, []source{src})
	return p.out, err
}

// ParseFile reads the config file at path as redis-server reads the file
// named on its command line, and returns its directives as Parse does. As in
// Redis, a path holding '*', '?' or '[' is a glob pattern: the files it
// matches are read in order, and a pattern that matches nothing gives no
// directives and no error. Every error is an *Error.
func ParseFile(path string) ([]Directive, error) {
	var p parser
	data, srcs, err := p.readFiles(path)
	if err != nil {
		return nil, err
	}
	err = p.parse(data, srcs)
	return p.out, err
}

// source is one of the inputs Redis concatenates into a single string before
// splitting it into lines: each file a glob matched, stdin, the options from
// the command line. A line belongs to the source it starts in.
type source struct {
	name    string      // Directive.File for its lines
	start   int         // offset of its first byte in the buffer
	info    os.FileInfo // identifies the file for loop detection; nil if not a file
	cmdline bool        // its lines are command-line options: Line 0
}

// parser holds the state Redis keeps while it loads its configuration.
type parser struct {
	// cwd is the directory relative paths are resolved against, "" for the
	// process's working directory. Redis applies each directive as it reads
	// it, and the dir directive calls chdir at once, so an include after
	// "dir /data" is looked for in /data.
	cwd string
	// stack holds the files whose lines are being read, outermost first.
	stack []source
	out   []Directive

	// Tests that feed arbitrary text (FuzzParse) keep includes inside a
	// directory with these; nil means readFile and glob.
	readFileHook func(path string) ([]byte, os.FileInfo, error)
	globHook     func(cwd, pattern string) []string
}

// parse is Redis's loadServerConfigFromString: buf is split at every '\n',
// each line is trimmed of " \t\r\n" (not \v or \f), comments and blank
// lines are skipped, and the rest is split into words.
func (p *parser) parse(buf []byte, srcs []source) error {
	// lineNo counts lines within a source, redisLine within buf: Redis
	// numbers the lines of the text it reads in one go (see
	// Directive.RedisLine).
	seg, lineNo, redisLine := 0, 0, 0
	for off := 0; off < len(buf); {
		end := bytes.IndexByte(buf[off:], '\n')
		if end < 0 {
			end = len(buf)
		} else {
			end += off
		}
		line := buf[off:end]
		if seg+1 < len(srcs) && srcs[seg+1].start <= off {
			for seg+1 < len(srcs) && srcs[seg+1].start <= off {
				seg++
			}
			lineNo = bytes.Count(buf[srcs[seg].start:off], []byte{'\n'})
		}
		lineNo++
		redisLine++
		off = end + 1

		src := srcs[seg]
		line = bytes.Trim(line, " \t\r\n")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		where := Error{File: src.name, Line: lineNo, Text: string(line), RedisLine: redisLine}
		if src.cmdline {
			where.Line = 0
		}
		words, err := splitargs.Split(line)
		if err != nil {
			return lineError(where, "Unbalanced quotes in configuration line", redisUnbalanced, src, line)
		}
		if len(words) == 0 {
			continue // only \v or \f: trimmed by neither sdstrim nor the '#' test
		}
		d := Directive{Name: asciiLower(string(words[0])), File: where.File, Line: where.Line, Text: where.Text, RedisLine: redisLine}
		if d.Name == "" {
			return lineError(where, "empty directive name", RedisBadDirective, src, line)
		}
		if len(words) > 1 {
			d.Args = make([]string, len(words)-1)
			for i, w := range words[1:] {
				d.Args[i] = string(w)
			}
		}
		switch d.Name {
		case "include":
			// Redis takes include only with exactly one argument; any other
			// count falls through to "Bad directive".
			if len(d.Args) != 1 {
				return lineError(where, "wrong number of arguments for include", RedisBadDirective, src, line)
			}
			p.stack = append(p.stack, src)
			err := p.include(d.Args[0], where)
			p.stack = p.stack[:len(p.stack)-1]
			if err != nil {
				return err
			}
			continue
		case "dir":
			// An empty or extra argument makes Redis fail here; the caller's
			// validation of dir reports it.
			if len(d.Args) == 1 && d.Args[0] != "" {
				p.cwd = resolve(p.cwd, d.Args[0])
			}
		}
		p.out = append(p.out, d)
	}
	return nil
}

// lineError returns where with msg, and reason as Redis words it.
// Command-line errors have no line number, so the message quotes the line
// instead.
func lineError(where Error, msg, reason string, src source, line []byte) *Error {
	where.Msg = msg
	where.Reason = reason
	if src.cmdline {
		where.Msg += fmt.Sprintf(": %q", line)
	}
	return &where
}

// include reads the files an include directive names and parses them in
// place. A pattern is expanded as in ParseFile.
func (p *parser) include(pattern string, where Error) error {
	data, srcs, err := p.readFiles(pattern)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			// Report the include line; the message names the file.
			where.Msg = e.Msg
			where.Err = e.Err
			return &where
		}
		return err
	}
	for _, s := range srcs {
		if s.info == nil {
			continue
		}
		for i, outer := range p.stack {
			if outer.info != nil && os.SameFile(outer.info, s.info) {
				chain := make([]string, 0, len(p.stack)-i+1)
				for _, o := range p.stack[i:] {
					chain = append(chain, o.name)
				}
				chain = append(chain, s.name)
				where.Msg = "include loop: " + strings.Join(chain, " -> ")
				where.Err = ErrIncludeLoop
				return &where
			}
		}
	}
	return p.parse(data, srcs)
}

// readFiles reads what Redis's loadServerConfig reads for a file name: the
// file, or every file a glob pattern matches, concatenated without adding
// anything between them (a file that does not end in a newline runs into the
// first line of the next). A directory reads as empty, as fgets on it does.
func (p *parser) readFiles(pattern string) ([]byte, []source, error) {
	var paths []string
	if strings.ContainsAny(pattern, "*?[") {
		if p.globHook != nil {
			paths = p.globHook(p.cwd, pattern)
		} else {
			paths = glob(p.cwd, pattern)
		}
	} else {
		paths = []string{resolve(p.cwd, pattern)}
	}
	var buf []byte
	srcs := make([]source, 0, len(paths))
	read := readFile
	if p.readFileHook != nil {
		read = p.readFileHook
	}
	for _, path := range paths {
		data, info, err := read(path)
		if err != nil {
			return nil, nil, &Error{File: path, Msg: "can't open config file: " + err.Error(), Err: err}
		}
		srcs = append(srcs, source{name: path, start: len(buf), info: info})
		buf = append(buf, data...)
	}
	return buf, srcs, nil
}

func readFile(path string) ([]byte, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if info.IsDir() {
		return nil, nil, nil
	}
	data, err := readConfig(f)
	return data, info, err
}

// readConfig reads a whole config stream as Redis does: with fgets into a
// 1025-byte buffer appended with sdscat, which stops at a NUL. So a NUL drops
// the rest of its chunk, the bytes up to the next newline or 1024 bytes in,
// newline included: the line runs into the next one.
func readConfig(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(r)
	if err != nil || bytes.IndexByte(data, 0) < 0 {
		return data, err
	}
	out := make([]byte, 0, len(data))
	for len(data) > 0 {
		n := bytes.IndexByte(data, '\n') + 1
		if n == 0 || n > 1024 {
			n = min(len(data), 1024)
		}
		chunk := data[:n]
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			chunk = chunk[:i]
		}
		out = append(out, chunk...)
		data = data[n:]
	}
	return out, nil
}

// resolve returns path as seen from directory cwd ("" for the process's
// working directory). It joins without cleaning, so that "sub/../x" goes
// through sub as the kernel would if sub is a symbolic link.
func resolve(cwd, path string) string {
	if cwd == "" || strings.HasPrefix(path, "/") {
		return path
	}
	if strings.HasSuffix(cwd, "/") {
		return cwd + path
	}
	return cwd + "/" + path
}
