package main

import (
	"fmt"
	"io"

	"github.com/shinglekv/shingle/netmode"
)

// printError reports run's error on w as redis-server would: a refused
// configuration as its FATAL CONFIG FILE ERROR blocks (one per bad line,
// where Redis stops at the first), anything else on one line.
func printError(w io.Writer, err error) {
	if text, ok := netmode.FatalConfigText(err); ok {
		fmt.Fprint(w, text)
		return
	}
	fmt.Fprintln(w, "embedded-demo:", err)
}
