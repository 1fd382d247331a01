package imports

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/shinglekv/shingle"

type pkg struct {
	ImportPath string
	Imports    []string // the package's own files, tests aside
	Deps       []string // everything they import, transitively
}

// packages lists the module's packages with go list, as the build sees
// them (test files aside).
func packages(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	return pkgs
}

// ours returns the project packages in list, by their path in the module.
func ours(list []string) []string {
	var r []string
	for _, p := range list {
		if p == module || strings.HasPrefix(p, module+"/") {
			r = append(r, strings.TrimPrefix(strings.TrimPrefix(p, module), "/"))
		}
	}
	return r
}

func internal(p string) bool { return strings.HasPrefix(p, "internal/") }

func TestImportRules(t *testing.T) {
	pkgs := packages(t)
	for _, want := range []string{"netmode", "store", "tlsconn", "replication", "command", "cluster", "internal/resp"} {
		if _, ok := pkgs[want]; !ok {
			t.Fatalf("go list does not list %s: the rules below would check nothing", want)
		}
	}
	for name, p := range pkgs {
		deps := ours(p.Deps)
		// Only tests use the test helpers, and the linearizability
		// checker (and with it porcupine).
		for _, only := range []string{"internal/testutil", "internal/linear"} {
			if slices.Contains(ours(p.Imports), only) {
				t.Errorf("%s imports %s outside its _test.go files", name, only)
			}
		}
		switch {
		case name == "internal/testutil":
		case internal(name), name == "store", name == "tlsconn":
			// Leaves: the codec and helpers, the engine, the transports.
			for _, d := range deps {
				if !internal(d) {
					t.Errorf("%s imports %s: it may import only packages under internal/", name, d)
				}
			}
		case name == "netmode", name == "cluster":
			for _, d := range p.Imports {
				if d == "crypto/tls" || d == "crypto/x509" {
					t.Errorf("%s imports %s: TLS is tlsconn's", name, d)
				}
			}
		}
		// Nothing beneath the server imports it.
		if name != "netmode" && !strings.HasPrefix(name, "cmd/") && !strings.HasPrefix(name, "bench/") && slices.Contains(deps, "netmode") {
			t.Errorf("%s imports netmode", name)
		}
	}
}
