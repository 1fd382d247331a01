package store_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeExample keeps README.md's embedding snippet identical to the
// body of Example, which is compiled and run: the README cannot rot.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Embedding\n\n```go\n")
	snippet, _, ok2 := strings.Cut(after, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no go block under ## Embedding")
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "func Example() {\n")
	body, _, _ = strings.Cut(body, "\t// Output:")
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(body, "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if got, want := strings.TrimRight(snippet, "\n"), strings.Join(lines, "\n"); got != want {
		t.Fatalf("README snippet and Example differ:\nREADME:\n%s\nExample:\n%s", got, want)
	}
}
