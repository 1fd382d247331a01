package tlsconn

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// fileSet is one reading of the certificate, key and CA files a build
// uses. Each file (and the CA directory's listing) is read at most once,
// on first use, so that a build and the sum that auto-reload compares
// (sum) see the same bytes: a file rewritten in between cannot be built
// from one version and remembered as the other. It is not safe for
// concurrent use; each build has its own.
type fileSet struct {
	readFile func(string) ([]byte, error) // os.ReadFile; tests count the reads
	files    map[string]fileData
	dirs     map[string]dirData
}

type fileData struct {
	data []byte
	err  error
}

// dirData is a directory's listing: the paths of its entries, and whether
// each is (or links to) a regular file, the only ones read.
type dirData struct {
	paths   []string
	regular []bool
	err     error
}

func newFileSet() *fileSet {
	return &fileSet{readFile: os.ReadFile, files: map[string]fileData{}, dirs: map[string]dirData{}}
}

// read returns path's contents, reading the file the first time only.
func (f *fileSet) read(path string) ([]byte, error) {
	d, ok := f.files[path]
	if !ok {
		d.data, d.err = f.readFile(path)
		f.files[path] = d
	}
	return d.data, d.err
}

// readDir lists dir, the first time only.
func (f *fileSet) readDir(dir string) dirData {
	d, ok := f.dirs[dir]
	if ok {
		return d
	}
	var entries []fs.DirEntry
	entries, d.err = os.ReadDir(dir)
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		fi, err := os.Stat(path) // follows c_rehash's symbolic links
		d.paths = append(d.paths, path)
		// Not a dangling link, a directory, a socket...
		d.regular = append(d.regular, err == nil && fi.Mode().IsRegular())
	}
	f.dirs[dir] = d
	return d
}

// sum hashes the contents of the files a server configuration of s is
// built from (its pair and CAs): what auto-reload compares to tell that
// they changed. Files the build read are not read again; a missing or
// unreadable file hashes as its name alone.
func (f *fileSet) sum(s *Settings) [sha256.Size]byte {
	h := sha256.New()
	add := func(path string, data []byte) {
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(data))
		h.Write(data)
	}
	for _, path := range []string{s.CertFile, s.KeyFile, s.CACertFile} {
		if path != "" {
			data, _ := f.read(path)
			add(path, data)
		}
	}
	if s.CACertDir != "" {
		d := f.readDir(s.CACertDir)
		for i, path := range d.paths {
			var data []byte
			if d.regular[i] {
				data, _ = f.read(path)
			}
			add(path, data)
		}
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// pairNames are the directive names of a certificate/key pair, for errors.
type pairNames struct{ cert, key, pass string }

var (
	serverPairNames = pairNames{"tls-cert-file", "tls-key-file", "tls-key-file-pass"}
	clientPairNames = pairNames{"tls-client-cert-file", "tls-client-key-file", "tls-client-key-file-pass"}
)

// loadKeyPair reads a certificate (chain) and its key, decrypting the key
// with pass when it is encrypted.
func (f *fileSet) loadKeyPair(names pairNames, certFile, keyFile, pass string) (tls.Certificate, error) {
	certPEM, err := f.read(certFile)
	if err != nil {
		return tls.Certificate{}, newSettingError(names.cert, certFile, err, "cannot be read: %v", err)
	}
	if err := checkCertificates(certPEM); err != nil {
		return tls.Certificate{}, newSettingError(names.cert, certFile, ErrInvalidSetting, "%v", err)
	}
	keyData, err := f.read(keyFile)
	if err != nil {
		return tls.Certificate{}, newSettingError(names.key, keyFile, err, "cannot be read: %v", err)
	}
	keyPEM, err := decryptKeyPEM(names, keyFile, keyData, pass)
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, newSettingError(names.key, keyFile, ErrInvalidSetting,
			"does not fit %s %q: %v", names.cert, certFile, err)
	}
	return cert, nil
}

// checkCertificates requires at least one CERTIFICATE block and that every
// one parses.
func checkCertificates(data []byte) error {
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("holds a certificate that does not parse: %v", err)
		}
		n++
	}
	if n == 0 {
		return errors.New("holds no PEM certificate")
	}
	return nil
}

// decryptKeyPEM returns the first private key block of data as unencrypted
// PEM, decrypting OpenSSL's traditional encrypted PEM with pass.
func decryptKeyPEM(names pairNames, keyFile string, data []byte, pass string) ([]byte, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, newSettingError(names.key, keyFile, ErrInvalidSetting, "holds no PEM private key")
		}
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY":
			return nil, newSettingError(names.key, keyFile, ErrNotSupportedByGo,
				"is a PKCS#8-encrypted key (\"ENCRYPTED PRIVATE KEY\"), which Go's standard library cannot decrypt; "+
					"convert it to OpenSSL's traditional encrypted format with "+
					"`openssl pkey -in KEY -traditional -aes256 -out NEWKEY` (keeping %s), "+
					"or store it unencrypted with `openssl pkey -in KEY -out NEWKEY` and mode 0600", names.pass)
		case !strings.HasSuffix(block.Type, "PRIVATE KEY"):
			continue
		}
		if _, encrypted := block.Headers["Proc-Type"]; !encrypted {
			return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: block.Bytes}), nil
		}
		if pass == "" {
			return nil, newSettingError(names.pass, "", ErrKeyPassword, "is empty but %s %q is encrypted", names.key, keyFile)
		}
		// Deprecated API on purpose: OpenSSL's traditional format is what
		// tls-key-file-pass has to read.
		//lint:ignore SA1019 interoperability with OpenSSL-encrypted keys.
		der, err := x509.DecryptPEMBlock(block, []byte(pass))
		if err == nil && !parsesAsKey(block.Type, der) {
			// The padding check passes by chance for about one wrong
			// password in 256; the key then does not parse.
			err = x509.IncorrectPasswordError
		}
		if err != nil {
			return nil, newSettingError(names.pass, "", errors.Join(ErrKeyPassword, err),
				"does not decrypt %s %q: %v", names.key, keyFile, err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: block.Type, Bytes: der}), nil
	}
}

func parsesAsKey(blockType string, der []byte) bool {
	var err error
	switch blockType {
	case "EC PRIVATE KEY":
		_, err = x509.ParseECPrivateKey(der)
	case "RSA PRIVATE KEY":
		_, err = x509.ParsePKCS1PrivateKey(der)
	default:
		_, err = x509.ParsePKCS8PrivateKey(der)
	}
	return err == nil
}

// loadCAPool loads the CA file and directory into one pool, or returns nil
// when neither is set.
func (f *fileSet) loadCAPool(file, dir string) (*x509.CertPool, error) {
	if file == "" && dir == "" {
		return nil, nil
	}
	pool := x509.NewCertPool()
	if file != "" {
		data, err := f.read(file)
		if err != nil {
			return nil, newSettingError("tls-ca-cert-file", file, err, "cannot be read: %v", err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, newSettingError("tls-ca-cert-file", file, ErrInvalidSetting, "holds no PEM certificate")
		}
	}
	if dir != "" {
		d := f.readDir(dir)
		if d.err != nil {
			return nil, newSettingError("tls-ca-cert-dir", dir, d.err, "cannot be read: %v", d.err)
		}
		loaded := 0
		for i, path := range d.paths {
			if !d.regular[i] {
				continue
			}
			data, err := f.read(path)
			if err != nil {
				return nil, newSettingError("tls-ca-cert-dir", dir, err, "has a file that cannot be read: %v", err)
			}
			if pool.AppendCertsFromPEM(data) {
				loaded++
			}
		}
		if loaded == 0 {
			return nil, newSettingError("tls-ca-cert-dir", dir, ErrInvalidSetting, "holds no file with a PEM certificate")
		}
	}
	return pool, nil
}
