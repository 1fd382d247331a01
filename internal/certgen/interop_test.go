package certgen_test

// These tests have the real tools read what certgen writes. They are an
// external test package because they use internal/testutil, which imports
// certgen.

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shinglekv/shingle/internal/certgen"
	"github.com/shinglekv/shingle/internal/testutil"
)

func TestOpenSSLReadsEncryptedKey(t *testing.T) {
	openssl := testutil.RequireTool(t, "openssl")
	ca := testutil.NewPKI(t, "test CA").CA
	dir := t.TempDir()
	for _, useRSA := range []bool{false, true} {
		_, keyPEM, err := ca.Issue(certgen.LeafOptions{Server: true, RSA: useRSA})
		if err != nil {
			t.Fatal(err)
		}
		encPEM, err := certgen.EncryptKeyPEM(keyPEM, "pass word")
		if err != nil {
			t.Fatal(err)
		}
		if err := certgen.WriteFiles(dir, map[string][]byte{"enc.key": encPEM}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "enc.key")
		out, err := exec.Command(openssl, "pkey", "-in", path, "-passin", "pass:pass word").CombinedOutput()
		if err != nil {
			t.Fatalf("openssl cannot read the encrypted key: %v\n%s", err, out)
		}
		// openssl prints the key as unencrypted PKCS#8: it must be ours.
		if !bytes.Equal(bytes.TrimSpace(out), bytes.TrimSpace(keyPEM)) {
			block, _ := pem.Decode(out)
			if block == nil {
				t.Fatalf("openssl output is not PEM:\n%s", out)
			}
			got, _ := x509.ParsePKCS8PrivateKey(block.Bytes)
			pb, _ := pem.Decode(keyPEM)
			want, _ := x509.ParsePKCS8PrivateKey(pb.Bytes)
			if got == nil || !got.(interface{ Equal(crypto.PrivateKey) bool }).Equal(want) {
				t.Fatalf("openssl decrypted a different key:\n%s", out)
			}
		}
		if out, err := exec.Command(openssl, "pkey", "-in", path, "-passin", "pass:wrong", "-noout").CombinedOutput(); err == nil {
			t.Fatalf("openssl read the key with a wrong password:\n%s", out)
		}
	}
}

// TestRedisServerReadsEncryptedKey starts a stock redis-server with the
// encrypted key as tls-key-file: it must start with the right
// tls-key-file-pass and refuse a wrong one. tls-replication yes makes it
// load its TLS configuration without a TLS port; it listens on a unix
// socket only.
func TestRedisServerReadsEncryptedKey(t *testing.T) {
	redis := testutil.RequireTool(t, "redis-server")
	ca := testutil.NewPKI(t, "test CA").CA
	dir := testutil.SocketDir(t)
	certPEM, keyPEM, err := ca.Issue(certgen.LeafOptions{DNSNames: []string{"localhost"}, Server: true, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	encPEM, err := certgen.EncryptKeyPEM(keyPEM, "open sesame")
	if err != nil {
		t.Fatal(err)
	}
	if err := certgen.WriteFiles(dir, map[string][]byte{"ca.crt": ca.CertPEM, "server.crt": certPEM, "server.key": encPEM}); err != nil {
		t.Fatal(err)
	}
	run := func(pass string) (ready bool, log string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, redis, "--port", "0", "--unixsocket", filepath.Join(dir, "s"),
			"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", "",
			"--tls-replication", "yes",
			"--tls-cert-file", filepath.Join(dir, "server.crt"),
			"--tls-key-file", filepath.Join(dir, "server.key"),
			"--tls-key-file-pass", pass,
			"--tls-ca-cert-file", filepath.Join(dir, "ca.crt"))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = cmd.Stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var lines []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if strings.Contains(strings.ToLower(sc.Text()), "ready to accept connections") {
				ready = true
				break
			}
		}
		cmd.Process.Kill()
		io.Copy(io.Discard, out)
		cmd.Wait()
		return ready, strings.Join(lines, "\n")
	}
	if ready, log := run("open sesame"); !ready {
		t.Fatalf("redis-server did not start with the right password:\n%s", log)
	}
	if ready, log := run("wrong"); ready || !strings.Contains(log, "private key") {
		t.Fatalf("redis-server with a wrong password: ready=%v\n%s", ready, log)
	}
}
