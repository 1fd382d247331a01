package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shinglekv/shingle/config"
	"github.com/shinglekv/shingle/internal/testutil"
)

// TestListenerPlan checks which listeners each configuration asks for: the
// ready-to-try ones only when no listener directive is given, exactly what
// is named otherwise, plus port 6379 when port is left out.
func TestListenerPlan(t *testing.T) {
	type listeners struct {
		port, tls, quic int
		unix            string
	}
	tests := []struct {
		name string
		args []string
		file string // config file text, if any
		want listeners
		err  bool
	}{
		{name: "no listener directive", args: nil, want: listeners{7379, 7380, 7381, ""}},
		{name: "other directives only", args: []string{"--requirepass", "x", "--bind", "127.0.0.1"}, want: listeners{7379, 7380, 7381, ""}},
		{name: "only unixsocket", args: []string{"--unixsocket", "/run/s.sock"}, want: listeners{6379, 0, 0, "/run/s.sock"}},
		{name: "port P, tls-port 0", args: []string{"--port", "7000", "--tls-port", "0"}, want: listeners{7000, 0, 0, ""}},
		{name: "port 0, tls-port T", args: []string{"--port", "0", "--tls-port", "7001"}, want: listeners{0, 7001, 0, ""}},
		{name: "only tls-port T", args: []string{"--tls-port", "7001"}, want: listeners{6379, 7001, 0, ""}},
		{name: "only quic-port Q", args: []string{"--quic-port", "7002"}, want: listeners{6379, 0, 7002, ""}},
		{name: "only port P", args: []string{"--port", "7000"}, want: listeners{7000, 0, 0, ""}},
		{name: "port 0 and unixsocket", args: []string{"--port", "0", "--unixsocket", "/run/s.sock"}, want: listeners{0, 0, 0, "/run/s.sock"}},
		{name: "tls-port 0 alone", args: []string{"--tls-port", "0"}, want: listeners{6379, 0, 0, ""}},
		{name: "port in the config file", file: "port 7000\n", want: listeners{7000, 0, 0, ""}},
		{name: "file and options", file: "tls-port 7001\n", args: []string{"--port", "0"}, want: listeners{0, 7001, 0, ""}},
		{name: "directive names in any case", file: "PORT 7000\n", want: listeners{7000, 0, 0, ""}},
		{name: "port 0 alone", args: []string{"--port", "0"}, err: true},
		{name: "everything off", args: []string{"--port", "0", "--tls-port", "0", "--quic-port", "0"}, err: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				f := filepath.Join(t.TempDir(), "shingle.conf")
				if err := os.WriteFile(f, []byte(tc.file), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append([]string{f}, args...)
			}
			cl, err := config.ParseCommandLine(args)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := cl.Load(strings.NewReader(""))
			if err != nil {
				t.Fatal(err)
			}
			cfg := demoConfig(ds)
			if err := cfg.Apply(ds); err != nil {
				t.Fatal(err)
			}
			if !listensSomewhere(cfg) != tc.err {
				t.Fatalf("listens somewhere = %v, want %v", listensSomewhere(cfg), !tc.err)
			}
			if tc.err {
				return
			}
			got := listeners{cfg.Port, cfg.TLSPort, cfg.QUICPort, cfg.UnixSocket}
			if got != tc.want {
				t.Errorf("listeners = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// The process tests run the demo as a program and list the sockets it
// holds, from /proc: the exact set of what it listens on.

var (
	demoBinOnce sync.Once
	demoBin     string
	demoBinErr  error
)

// buildDemo builds the demo once for the test binary's life.
func buildDemo(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/proc/self/net/tcp"); err != nil {
		testutil.Unavailable(t, "no /proc/self/net/tcp here (%v): the process tests read the sockets from /proc", err)
	}
	demoBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "embedded-demo")
		if err != nil {
			demoBinErr = err
			return
		}
		demoBin = filepath.Join(dir, "embedded-demo")
		out, err := exec.Command("go", "build", "-o", demoBin, ".").CombinedOutput()
		if err != nil {
			demoBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if demoBinErr != nil {
		t.Fatal(demoBinErr)
	}
	return demoBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demoBin != "" {
		os.RemoveAll(filepath.Dir(demoBin))
	}
	os.Exit(code)
}

// startProcess runs the demo binary with args and waits until it has
// printed ready lines naming each address in want.
func startProcess(t *testing.T, args []string, want ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(buildDemo(t), args...)
	cmd.Dir = t.TempDir()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		cmd.Wait()
		close(exited)
	}()
	var out strings.Builder
	ready := map[string]bool{}
	timeout := time.After(60 * time.Second)
	for len(ready) < len(want) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("demo %v exited before it was ready:\n%s", args, out.String())
			}
			out.WriteString(l + "\n")
			for _, w := range want {
				if strings.HasPrefix(l, "Ready to accept connections ") && strings.HasSuffix(l, "("+w+")") {
					ready[w] = true
				}
			}
		case <-timeout:
			t.Fatalf("demo %v not ready:\n%s", args, out.String())
		}
	}
	// Keep draining, so that the demo never blocks writing its log.
	go func() {
		for range lines {
		}
	}()
	return cmd
}

// sockets lists the sockets process pid holds, one string each: "tcp
// 127.0.0.1:7000 LISTEN", "udp 127.0.0.1:7002", "unix /path LISTEN".
// Sockets of kinds it does not know are listed by inode, so that they show
// up as unexpected.
func sockets(t *testing.T, pid int) []string {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if ino, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(ino, "]")] = true
		}
	}
	var out []string
	for _, table := range []string{"tcp", "tcp6", "udp", "udp6", "unix"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			switch {
			case table == "unix" && len(f) >= 7 && inodes[f[6]]:
				desc := "unix"
				if len(f) >= 8 {
					desc += " " + f[7]
				}
				if flags, _ := strconv.ParseUint(f[3], 16, 32); flags&0x10000 != 0 { // __SO_ACCEPTCON
					desc += " LISTEN"
				}
				out = append(out, desc)
				delete(inodes, f[6])
			case table != "unix" && len(f) >= 10 && inodes[f[9]]:
				desc := strings.TrimSuffix(table, "6") + " " + procAddr(t, f[1])
				if strings.HasPrefix(table, "tcp") && f[3] == "0A" {
					desc += " LISTEN"
				}
				out = append(out, desc)
				delete(inodes, f[9])
			}
		}
	}
	for ino := range inodes {
		out = append(out, "socket:["+ino+"]")
	}
	slices.Sort(out)
	return out
}

// procAddr decodes an address of /proc/net/{tcp,udp}{,6}: the IP as
// 32-bit words in host (little-endian) order, then the port, in hex.
func procAddr(t *testing.T, s string) string {
	t.Helper()
	ipHex, portHex, _ := strings.Cut(s, ":")
	raw, err := hex.DecodeString(ipHex)
	if err != nil || len(raw)%4 != 0 {
		t.Fatalf("bad address %q in /proc/net", s)
	}
	for i := 0; i < len(raw); i += 4 {
		slices.Reverse(raw[i : i+4])
	}
	port, _ := strconv.ParseUint(portHex, 16, 16)
	return net.JoinHostPort(net.IP(raw).String(), strconv.FormatUint(port, 10))
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// TestProcessListensOnlyOnWhatIsNamed runs the demo with explicit listener
// directives and checks the exact set of sockets the process holds.
func TestProcessListensOnlyOnWhatIsNamed(t *testing.T) {
	p, tp := testutil.FreePort(t), testutil.FreePort(t)
	sock := filepath.Join(testutil.SocketDir(t), "s.sock")
	tests := []struct {
		name  string
		args  []string
		ready []string
		want  []string
		ping  string // a plain-text address to PING, if any
	}{
		{"port P, tls-port 0", []string{"--port", strconv.Itoa(p), "--tls-port", "0"},
			[]string{addr(p)}, []string{"tcp " + addr(p) + " LISTEN"}, addr(p)},
		{"port 0, tls-port T", []string{"--port", "0", "--tls-port", strconv.Itoa(tp)},
			[]string{addr(tp)}, []string{"tcp " + addr(tp) + " LISTEN"}, ""},
		{"port 0, unixsocket", []string{"--port", "0", "--unixsocket", sock},
			[]string{sock}, []string{"unix " + sock + " LISTEN"}, sock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--dir", t.TempDir()}, tc.args...)
			cmd := startProcess(t, args, tc.ready...)
			if got := sockets(t, cmd.Process.Pid); !slices.Equal(got, tc.want) {
				t.Errorf("the demo holds sockets %q, want exactly %q", got, tc.want)
			}
			if tc.ping != "" {
				pingAt(t, tc.ping)
			}
		})
	}
}

// TestTwoProcessesSideBySide runs two demos with distinct explicit ports at
// once: neither opens a port the other needs.
func TestTwoProcessesSideBySide(t *testing.T) {
	var cmds []*exec.Cmd
	var wants [][]string
	var plain []string
	for range 2 {
		p, tp := testutil.FreePort(t), testutil.FreePort(t)
		cmd := startProcess(t, []string{"--dir", t.TempDir(), "--port", strconv.Itoa(p), "--tls-port", strconv.Itoa(tp)}, addr(p), addr(tp))
		cmds = append(cmds, cmd)
		want := []string{"tcp " + addr(p) + " LISTEN", "tcp " + addr(tp) + " LISTEN"}
		slices.Sort(want)
		wants = append(wants, want)
		plain = append(plain, addr(p))
	}
	// Sockets first: a connection of pingAt's would be held a moment
	// after it closes.
	for i, cmd := range cmds {
		if got := sockets(t, cmd.Process.Pid); !slices.Equal(got, wants[i]) {
			t.Errorf("demo %d holds sockets %q, want exactly %q", i, got, wants[i])
		}
	}
	for _, a := range plain {
		pingAt(t, a)
	}
}

// pingAt sends PING over plain TCP (or a unix socket, for a path) and
// expects PONG.
func pingAt(t *testing.T, address string) {
	t.Helper()
	network := "tcp"
	if strings.HasPrefix(address, "/") {
		network = "unix"
	}
	c := testutil.MustDial(t, network, address)
	defer c.Close()
	r, err := c.Do("PING")
	if err != nil || string(r.Str) != "PONG" {
		t.Fatalf("PING at %s = %+v, %v", address, r, err)
	}
}
