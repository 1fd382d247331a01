package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRun runs the demo twice on one directory: it must succeed, and the
// counter must show that the first run's writes persisted.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	var first, second bytes.Buffer
	if err := run([]string{"--dir", dir}, &first); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"--dir", dir, "--appendfsync", "always"}, &second); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"hello, world"`, "1 (one more each run)", "name=Ada", "WRONGTYPE"} {
		if !strings.Contains(first.String(), want) {
			t.Errorf("first run output lacks %q:\n%s", want, first.String())
		}
	}
	if !strings.Contains(second.String(), "2 (one more each run)") {
		t.Errorf("second run did not see the first run's counter:\n%s", second.String())
	}
	if err := run([]string{"--appendfsync", "sometimes"}, &first); err == nil {
		t.Error("an invalid appendfsync was accepted")
	}
}
