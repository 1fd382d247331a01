package netmode

import (
	"strconv"
	"strings"

	"github.com/shinglekv/shingle/config"
)

// Applying directives to a Config by name, as a config file, the command
// line and CONFIG SET give them; the table of what each name means is in
// directives.go.

// DirectiveError is the error of Set and Apply for a directive Shingle
// does not take. It holds what redis-server prints when it refuses a line
// of its configuration at startup (see FatalConfigText).
type DirectiveError struct {
	// Directive is the line: its name and arguments as given and, from
	// Apply, where it came from (File, Line, Text and RedisLine).
	Directive config.Directive
	// Unknown is set when Shingle does not know the directive, refuses it
	// (docs/directives.md says why), or it has a number of arguments no
	// directive of that name takes: what Redis calls "Bad directive or
	// wrong number of arguments".
	Unknown bool
	// Reason is the last line of Redis's startup block: Redis's words for
	// an invalid value, Shingle's for a value it does not honour, or
	// config.RedisBadDirective when Unknown.
	Reason string
}

// Error returns "netmode: [file:line: ]<directive line>: <reason>".
func (e *DirectiveError) Error() string {
	s := "netmode: "
	if d := e.Directive; d.File != "" && d.Line > 0 {
		s += d.File + ":" + strconv.Itoa(d.Line) + ": "
	}
	line := e.Directive.Text
	if line == "" {
		line = e.Directive.String()
	}
	return s + line + ": " + e.Reason
}

// ApplyError is Apply's error: one DirectiveError per line Shingle did
// not take, in order. errors.As finds the first as a *DirectiveError.
type ApplyError struct {
	Errors []*DirectiveError
}

// Error returns the DirectiveErrors' messages, one per line.
func (e *ApplyError) Error() string {
	msgs := make([]string, len(e.Errors))
	for i, de := range e.Errors {
		msgs[i] = de.Error()
	}
	return strings.Join(msgs, "\n")
}

// Unwrap returns the DirectiveErrors.
func (e *ApplyError) Unwrap() []error {
	errs := make([]error, len(e.Errors))
	for i, de := range e.Errors {
		errs[i] = de
	}
	return errs
}

// Set applies one directive to c, as a config file line or a command-line
// option would: name is the directive (any case), args its values, one
// each ("bind", "127.0.0.1", "-::1"; a directive taking several values
// also takes them as one string, as CONFIG SET gives them). Every error is
// a *DirectiveError: for a directive Shingle does not know or refuses
// (docs/directives.md lists them all, with the reason), for a value Redis
// would refuse, in Redis's words, and for a value Shingle does not honour,
// saying what Shingle does instead.
func (c *Config) Set(name string, args ...string) error {
	return c.set(config.Directive{Name: strings.ToLower(name), Args: args})
}

func (c *Config) set(line config.Directive) error {
	fail := func(unknown bool, reason string) error {
		return &DirectiveError{Directive: line, Unknown: unknown, Reason: reason}
	}
	d := lookupDirective(line.Name)
	if d == nil || d.status == refused {
		return fail(true, config.RedisBadDirective)
	}
	args := line.Args
	switch d.name {
	case "user": // many of them, and only from a config file or New
		if len(args) == 0 {
			return fail(true, config.RedisBadDirective)
		}
		c.Users = append(c.Users, append([]string(nil), args...))
		return nil
	case "include":
		return fail(false, "include is read by the config package (config.Parse), which expands it into the directives of the file it names")
	case "list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands":
		if len(args) != 1 {
			return fail(true, config.RedisBadDirective)
		}
		return nil // deprecated: Redis 7.0 ignores them too
	}
	if !d.multiArg && len(args) != 1 {
		return fail(false, errWrongArgs.Error())
	}
	if err := c.setValue(d, line.Name, args); err != nil {
		return fail(false, err.Error())
	}
	return nil
}

// setValue gives d, named name (its name or an alias), the value args,
// checked.
func (c *Config) setValue(d *directive, name string, args []string) error {
	if d.set != nil {
		return d.set(c, strings.Join(args, " "))
	}
	v, err := d.parse(args)
	if err != nil {
		return err
	}
	if d.status == fixedValue && !d.allows(v) {
		return d.refusal(name)
	}
	if c.shown == nil {
		c.shown = map[string]string{}
	}
	c.shown[d.name] = v
	return nil
}

// Apply applies directives in order, as a config file or command line
// gives them. It goes on past a directive it cannot take, so that one run
// names every bad line, as an *ApplyError; the directives it took stay
// applied.
func (c *Config) Apply(ds []config.Directive) error {
	var errs []*DirectiveError
	for _, d := range ds {
		if err := c.set(d); err != nil {
			errs = append(errs, err.(*DirectiveError))
		}
	}
	if len(errs) > 0 {
		return &ApplyError{Errors: errs}
	}
	return nil
}
