package resolve

import (
	"errors"
	"fmt"
	"os"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullthrough/pullthrough/rewrite"
)

// ErrNoCredentials marks a keychain's failure to obtain credentials (a credential
// helper that is missing or fails, no AWS credentials for ECR): Check reports it
// as unauthorized, since a runtime without those credentials could not pull either.
var ErrNoCredentials = errors.New("no credentials")

// DockerConfig reads a docker config file the way docker and crane read theirs:
// static `auths` entries, and `credHelpers` (per registry) and `credsStore` (the
// default), for which the helper docker-credential-NAME on PATH is executed when a
// registry's login is needed. That is how ECR, GCR/Artifact Registry and ACR
// logins are usually kept, as short-lived tokens no file holds.
func DockerConfig(path string) (authn.Keychain, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read-only: a close error loses nothing
	file, err := config.LoadFromReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: not a docker config: %w", path, err)
	}
	return &configFileKeychain{path: path, file: file}, nil
}

// configFileKeychain is DockerConfig's keychain.
type configFileKeychain struct {
	path string
	file *configfile.ConfigFile
}

// Resolve implements authn.Keychain: the registry's login, through its helper if
// one is configured, else anonymous.
func (d *configFileKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	key := r.RegistryStr()
	if rewrite.CanonicalHost(key) == rewrite.DockerHub {
		key = authn.DefaultAuthKey // the key docker writes for Docker Hub, under any of its names
	}
	cfg, err := d.file.GetAuthConfig(key)
	if err != nil {
		return nil, fmt.Errorf("%w for %s from %s: %w", ErrNoCredentials, r.RegistryStr(), d.path, err)
	}
	cfg.ServerAddress = "" // set by GetAuthConfig; not a credential
	if cfg == (types.AuthConfig{}) {
		return authn.Anonymous, nil
	}
	return authn.FromConfig(authn.AuthConfig{
		Username: cfg.Username, Password: cfg.Password, Auth: cfg.Auth,
		IdentityToken: cfg.IdentityToken, RegistryToken: cfg.RegistryToken,
	}), nil
}
