package registry

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/certs"
	"github.com/pullthrough/pullthrough/e2e/cluster"
	"github.com/pullthrough/pullthrough/resolve"
)

// Username is the htpasswd user of proxies started with auth; Set.Password is its password.
const Username = "puller"

// Options choose the registries a Set plays.
type Options struct {
	// Hosts are the public registries to play, e.g. "docker.io", "ghcr.io", "quay.io".
	Hosts []string
	// AuthHosts are those of Hosts whose proxy requires Username and Set.Password.
	AuthHosts []string
	// Kinds makes the proxy of a host of Hosts fail as a real product's cache
	// does (ProxyECR, ProxyHarbor); a host not named is ProxyDistribution.
	Kinds map[string]ProxyKind
	// World serves the internet a node sees (Set.WorldProxy): the upstreams under
	// the public registries' real host names, through an HTTPS forward proxy.
	World bool
	// Output receives every registry's log; nil discards it.
	Output io.Writer
}

// Upstream is the registry that plays one public registry.
type Upstream struct {
	// Addr is host:port of the counting front, plain HTTP: where proxies and direct pulls go.
	Addr    string
	direct  string // the registry itself, for seeding uncounted
	server  *server
	counter *counter
	front   *http.Server
}

// Counts returns a snapshot of the requests the upstream received so far.
func (u *Upstream) Counts() Counts { return u.counter.snapshot() }

// CountsFrom returns a snapshot of the requests that came from the client address
// addr: NodeAddr for a node's direct pulls, 127.0.0.1 for the proxies'.
func (u *Upstream) CountsFrom(addr string) Counts { return u.counter.snapshotFrom(addr) }

// SetPullLimit starts enforcing limit from now on, with every client's window
// empty; the zero PullLimit lifts it.
func (u *Upstream) SetPullLimit(limit PullLimit) { u.counter.setLimit(limit) }

// SpendPulls counts n pulls from addr in the current window without serving
// them: the pulls of the other machines behind the same address (a fleet's nodes
// share their NAT gateway's address, and Docker Hub counts per address).
func (u *Upstream) SpendPulls(addr string, n int) { u.counter.spend(addr, n) }

// Limited returns how many pulls from addr the upstream's PullLimit refused (429).
func (u *Upstream) Limited(addr string) int { return u.counter.limitedFrom(addr) }

// Proxy is the pull-through cache of one upstream.
type Proxy struct {
	// Addr is host:port, served over TLS from the Set's CA: a bare-host mirror target.
	Addr string
	// Auth is whether it requires Username and Set.Password.
	Auth bool
	// Kind is the product whose failures it plays.
	Kind   ProxyKind
	server *server
	front  *front // before server, for a Kind other than ProxyDistribution
}

// Stop stops the proxy; its address then refuses connections (or, behind
// the front of a Kind, answers 502).
func (p *Proxy) Stop() error { return p.server.stop() }

// Start starts a stopped proxy again on the same address, with its cache.
func (p *Proxy) Start() error { return p.server.start() }

// Set is running upstreams and their proxies; Stop it when done.
type Set struct {
	// CAFile is the PEM CA certificate the proxies' serving certificate chains to.
	CAFile string
	// Password is Username's password on proxies with auth.
	Password  string
	dir       string
	upstreams map[string]*Upstream
	proxies   map[string]*Proxy
	transport http.RoundTripper
	world     *world
}

// StartForTest starts a Set for t and stops it in t.Cleanup; it fails t on error.
func StartForTest(t testing.TB, opts Options) *Set {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// Start runs an upstream and a proxy per host, upstreams first. On error nothing is left running.
func Start(opts Options) (*Set, error) {
	if len(opts.Hosts) == 0 {
		return nil, errors.New("registry.Options.Hosts: need at least one registry to play")
	}
	bin, err := cluster.RegistryBinary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pullthrough-registry-")
	if err != nil {
		return nil, fmt.Errorf("creating the registries' directory: %w", err)
	}
	s := &Set{dir: dir, upstreams: map[string]*Upstream{}, proxies: map[string]*Proxy{}}
	if err := s.start(bin, opts); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

func (s *Set) start(bin string, opts Options) error {
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	tlsDir := filepath.Join(s.dir, "tls")
	// One certificate serves the proxies and, in the world, the public host names.
	names := []string{"127.0.0.1"}
	if opts.World {
		for _, host := range opts.Hosts {
			names = append(names, publicHost(host))
		}
	}
	if _, err := certs.WriteSelfSigned(tlsDir, names, 24*time.Hour); err != nil {
		return err
	}
	s.CAFile = filepath.Join(tlsDir, "ca.crt")
	htpasswd, err := s.writeHtpasswd()
	if err != nil {
		return err
	}
	addrs := make([]string, len(opts.Hosts))
	for i := range addrs {
		if addrs[i], err = freeAddr(); err != nil {
			return err
		}
	}
	if s.transport, err = resolve.Transport(s.CAFile, addrs); err != nil {
		return err
	}
	client := &http.Client{Transport: s.transport, Timeout: 5 * time.Second}
	for i, host := range opts.Hosts {
		up, err := s.startUpstream(bin, host, client, out)
		if err != nil {
			return err
		}
		kind := opts.Kinds[host]
		backend := addrs[i]
		if kind != ProxyDistribution {
			if backend, err = freeAddr(); err != nil {
				return err
			}
		}
		cfg := serverConfig{
			addr:      backend,
			storage:   filepath.Join(s.dir, "proxy-"+host),
			tlsDir:    tlsDir,
			remoteURL: "http://" + up.Addr,
		}
		auth := slices.Contains(opts.AuthHosts, host)
		if auth {
			cfg.htpasswd = htpasswd
		}
		srv, err := newServer("proxy-"+host, bin, s.dir, cfg, client, out)
		if err != nil {
			return err
		}
		p := &Proxy{Addr: addrs[i], Auth: auth, Kind: kind, server: srv}
		s.proxies[host] = p
		if err := srv.start(); err != nil {
			return err
		}
		if kind != ProxyDistribution {
			if p.front, err = startFront(kind, addrs[i], backend, up.Addr, tlsDir, s.transport, out); err != nil {
				return err
			}
		}
	}
	if opts.World {
		s.world, err = startWorld(tlsDir, s.upstreams, out)
	}
	return err
}

// startUpstream runs the upstream registry and its counting front.
func (s *Set) startUpstream(bin, host string, client *http.Client, out io.Writer) (*Upstream, error) {
	direct, err := freeAddr()
	if err != nil {
		return nil, err
	}
	srv, err := newServer("upstream-"+host, bin, s.dir,
		serverConfig{addr: direct, storage: filepath.Join(s.dir, "upstream-"+host), delete: true}, client, out)
	if err != nil {
		return nil, err
	}
	up := &Upstream{direct: direct, server: srv, counter: newCounter(&url.URL{Scheme: "http", Host: direct})}
	s.upstreams[host] = up
	if err := srv.start(); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the counter of upstream %s: %w", host, err)
	}
	up.Addr = l.Addr().String()
	up.front = &http.Server{Handler: up.counter, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = up.front.Serve(l) }() // Serve returns ErrServerClosed on Stop
	return up, nil
}

// writeHtpasswd makes a password for Username and writes its bcrypt line.
func (s *Set) writeHtpasswd() (string, error) {
	secret := make([]byte, 12)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("making a password: %w", err)
	}
	s.Password = base64.RawURLEncoding.EncodeToString(secret)
	hash, err := bcrypt.GenerateFromPassword([]byte(s.Password), bcrypt.MinCost)
	if err != nil {
		return "", fmt.Errorf("hashing the password: %w", err)
	}
	path := filepath.Join(s.dir, "htpasswd")
	if err := os.WriteFile(path, []byte(Username+":"+string(hash)+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("writing htpasswd: %w", err)
	}
	return path, nil
}

func freeAddr() (string, error) {
	port, err := cluster.FreePort()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}

// Upstream returns the upstream playing host, or nil.
func (s *Set) Upstream(host string) *Upstream { return s.upstreams[host] }

// Counts returns the requests all upstreams received so far, summed.
func (s *Set) Counts() Counts {
	sum := Counts{}
	for _, u := range s.upstreams {
		for k, v := range u.Counts() {
			sum[k] += v
		}
	}
	return sum
}

// WorldProxy returns the URL of the world's forward proxy, for a runtime's
// HTTPS_PROXY, or "" when Options.World was not set. A runtime that trusts CAFile
// and pulls docker.io/library/app:1 without a mirror then reaches the docker.io
// upstream as registry-1.docker.io, from NodeAddr.
func (s *Set) WorldProxy() string {
	if s.world == nil {
		return ""
	}
	return "http://" + s.world.addr
}

// WorldRefused returns the hosts a runtime tried to reach through the world that
// no upstream plays (an auth server, a registry the Set does not play), with counts.
func (s *Set) WorldRefused() map[string]int {
	if s.world == nil {
		return nil
	}
	return s.world.refusedHosts()
}

// Proxy returns the pull-through proxy for host, or nil.
func (s *Set) Proxy(host string) *Proxy { return s.proxies[host] }

// Mirrors returns public registry -> proxy host:port, the mirror targets of a config.
func (s *Set) Mirrors() map[string]string {
	out := make(map[string]string, len(s.proxies))
	for host, p := range s.proxies {
		out[host] = p.Addr
	}
	return out
}

// DockerConfigJSON returns a docker config holding the login of every proxy with auth:
// the .dockerconfigjson of a pull secret, or a docker config file.
func (s *Set) DockerConfigJSON() ([]byte, error) {
	auths := map[string]map[string]string{}
	for _, p := range s.proxies {
		if p.Auth {
			auths[p.Addr] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(Username + ":" + s.Password))}
		}
	}
	data, err := json.Marshal(map[string]any{"auths": auths})
	if err != nil {
		return nil, fmt.Errorf("encoding a docker config: %w", err)
	}
	return data, nil
}

// PullSecret returns a kubernetes.io/dockerconfigjson Secret named name that
// holds DockerConfigJSON: what a namespace needs for the proxies with auth.
func (s *Set) PullSecret(name string) (*corev1.Secret, error) {
	login, err := s.DockerConfigJSON()
	if err != nil {
		return nil, err
	}
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data:       map[string][]byte{corev1.DockerConfigJsonKey: login},
	}, nil
}

// Transport returns the transport Pull uses: it trusts CAFile and speaks TLS to proxies.
func (s *Set) Transport() http.RoundTripper { return s.transport }

// Stop stops proxies, then upstreams and their counters, and removes the directory.
func (s *Set) Stop() error {
	var errs []error
	if s.world != nil {
		errs = append(errs, s.world.close())
	}
	for _, p := range s.proxies {
		if p.front != nil {
			errs = append(errs, p.front.close())
		}
		errs = append(errs, p.server.stop())
	}
	for _, u := range s.upstreams {
		if u.front != nil {
			errs = append(errs, u.front.Close())
		}
		errs = append(errs, u.server.stop())
	}
	errs = append(errs, os.RemoveAll(s.dir))
	return errors.Join(errs...)
}
