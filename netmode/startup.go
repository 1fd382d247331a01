package netmode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shinglekv/shingle/config"
)

// FatalConfigText returns what redis-server 7.0 prints on standard error
// before it exits with status 1 when it refuses its configuration, for
// every configuration error err holds: a *config.Error from reading the
// files (unbalanced quotes ...), and the *DirectiveError values of Set and
// Apply. Each is one block:
//
//	*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
//	Reading the configuration file, at line 3
//	>>> 'maxmemory 2gb'
//	<the reason>
//
// preceded by an empty line, as Redis writes it. The line number is
// Redis's (config.Directive.RedisLine: a command-line option's follows the
// file's last line); an error not about a line (a DirectiveError from Set)
// has the first and last lines only. Redis stops at the first bad line;
// this returns a block for every one, so that one start names them all.
//
// ok is false when err holds anything else (a file that cannot be opened,
// which Redis reports differently, or an error from elsewhere).
func FatalConfigText(err error) (text string, ok bool) {
	var b strings.Builder
	if !writeFatal(&b, err) {
		return "", false
	}
	return b.String(), true
}

func writeFatal(b *strings.Builder, err error) bool {
	var (
		de *DirectiveError
		ce *config.Error
		ae *ApplyError
	)
	switch {
	case err == nil:
		return true
	case errors.As(err, &ae) && ae == err:
		for _, e := range ae.Errors {
			writeBlock(b, e.Directive.RedisLine, e.Directive.Text, e.Reason)
		}
		return true
	case errors.As(err, &de) && de == err:
		writeBlock(b, de.Directive.RedisLine, de.Directive.Text, de.Reason)
		return true
	case errors.As(err, &ce) && ce == err:
		if ce.Reason == "" {
			return false
		}
		writeBlock(b, ce.RedisLine, ce.Text, ce.Reason)
		return true
	}
	if j, isJoin := err.(interface{ Unwrap() []error }); isJoin {
		for _, e := range j.Unwrap() {
			if !writeFatal(b, e) {
				return false
			}
		}
		return true
	}
	return false
}

func writeBlock(b *strings.Builder, line int, text, reason string) {
	fmt.Fprintf(b, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", Version)
	if line > 0 {
		fmt.Fprintf(b, "Reading the configuration file, at line %d\n", line)
		fmt.Fprintf(b, ">>> '%s'\n", text)
	}
	fmt.Fprintf(b, "%s\n", reason)
}
