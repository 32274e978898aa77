package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/pullthrough/pullthrough/e2e/cluster"
)

// server is one registry process: its config file, address and scheme.
type server struct {
	name   string // for errors: "upstream docker.io", "proxy docker.io"
	bin    string
	config string // path of its config.yml
	url    string // base URL, to probe /v2/
	client *http.Client
	out    io.Writer
	proc   *cluster.Process
}

// serverConfig is what differs between an upstream and a proxy.
type serverConfig struct {
	addr      string // 127.0.0.1:port
	storage   string // directory
	tlsDir    string // tls.crt and tls.key; "" for plain HTTP
	htpasswd  string // file; "" for no auth
	remoteURL string // proxy.remoteurl; "" for an ordinary registry
	delete    bool   // storage.delete.enabled: an upstream can lose a tag (DeleteTag)
}

// yaml renders a Distribution configuration. Every value is a path or an address
// this package made, so plain formatting is safe.
func (c serverConfig) yaml() (string, error) {
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("making an http secret: %w", err)
	}
	s := "version: 0.1\n" +
		"log:\n  level: warn\n  accesslog:\n    disabled: true\n" +
		fmt.Sprintf("storage:\n  filesystem:\n    rootdirectory: %q\n", c.storage) +
		"  maintenance:\n    uploadpurging:\n      enabled: false\n" +
		fmt.Sprintf("  delete:\n    enabled: %t\n", c.delete) +
		fmt.Sprintf("http:\n  addr: %q\n  secret: %q\n", c.addr, hex.EncodeToString(secret))
	if c.tlsDir != "" {
		s += fmt.Sprintf("  tls:\n    certificate: %q\n    key: %q\n",
			filepath.Join(c.tlsDir, "tls.crt"), filepath.Join(c.tlsDir, "tls.key"))
	}
	if c.htpasswd != "" {
		s += fmt.Sprintf("auth:\n  htpasswd:\n    realm: pullthrough-e2e\n    path: %q\n", c.htpasswd)
	}
	if c.remoteURL != "" {
		s += fmt.Sprintf("proxy:\n  remoteurl: %q\n", c.remoteURL)
	}
	return s, nil
}

// newServer writes the configuration into dir/name.yml and returns the server, not started.
func newServer(name, bin, dir string, cfg serverConfig, client *http.Client, out io.Writer) (*server, error) {
	text, err := cfg.yaml()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name+".yml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return nil, fmt.Errorf("writing the registry configuration: %w", err)
	}
	scheme := "http"
	if cfg.tlsDir != "" {
		scheme = "https"
	}
	return &server{name: name, bin: bin, config: path, url: scheme + "://" + cfg.addr, client: client, out: out}, nil
}

// start runs the registry and waits until /v2/ answers (200, or 401 behind auth).
func (s *server) start() error {
	if s.proc != nil {
		return fmt.Errorf("%s: already running", s.name)
	}
	cmd := exec.Command(s.bin, "serve", s.config)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	// No tracing exporter: the registry would otherwise try to reach a collector.
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_SDK_DISABLED=true")
	proc, err := cluster.StartProcess("registry "+s.name, cmd, func(ctx context.Context) bool {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return cluster.Answers(ctx, s.client, s.url+"/v2/", func(status int) bool {
			return status == http.StatusOK || status == http.StatusUnauthorized
		})
	})
	if err != nil {
		return err
	}
	s.proc = proc
	return nil
}

// stop ends the process; a stopped server can start again.
func (s *server) stop() error {
	if s.proc == nil {
		return nil
	}
	err := s.proc.Stop()
	s.proc = nil
	return err
}
