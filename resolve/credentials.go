package resolve

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/pullthrough/pullthrough/rewrite"
)

// Credentials are registry logins by registry identity (rewrite.CanonicalHost:
// Docker Hub's aliases, case and the default port fold together), from pull
// secrets or a docker config file. They implement authn.Keychain.
type Credentials map[string]authn.AuthConfig

// dockerConfig is the JSON of a docker config file and of a
// kubernetes.io/dockerconfigjson Secret's .dockerconfigjson key.
type dockerConfig struct {
	Auths map[string]dockerAuth `json:"auths"`
}

type dockerAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Auth     string `json:"auth"` // base64 of username:password, what `docker login` writes
}

// Add merges the logins of one docker config JSON document into c; source names it in
// errors (a file path, namespace/secret). A later login for a registry replaces an
// earlier one; within one document, keys are taken in sorted order, so that two
// spellings of one registry (index.docker.io and docker.io) always give the same login.
func (c Credentials) Add(source string, data []byte) error {
	var cfg dockerConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("%s: not a docker config: %w", source, err)
	}
	for _, host := range slices.Sorted(maps.Keys(cfg.Auths)) {
		a := cfg.Auths[host]
		login := authn.AuthConfig{Username: a.Username, Password: a.Password}
		if a.Auth != "" {
			decoded, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				return fmt.Errorf("%s: auths[%q].auth: %w", source, host, err)
			}
			user, pass, ok := strings.Cut(string(decoded), ":")
			if !ok {
				return fmt.Errorf("%s: auths[%q].auth: not username:password", source, host)
			}
			login = authn.AuthConfig{Username: user, Password: pass}
		}
		c[registryOfKey(host)] = login
	}
	return nil
}

// registryOfKey is the registry identity of a docker config key, which may be
// a URL ("https://index.docker.io/v1/").
func registryOfKey(key string) string {
	registry, _ := rewrite.SplitPrefix(strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://"))
	return registry
}

// Resolve implements authn.Keychain: the login for the resource's registry, else anonymous.
func (c Credentials) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if login, ok := c[rewrite.CanonicalHost(r.RegistryStr())]; ok {
		return authn.FromConfig(login), nil
	}
	return authn.Anonymous, nil
}
