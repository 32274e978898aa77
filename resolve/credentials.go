package resolve

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Credentials are registry logins by host (host:port), from pull secrets or a docker
// config file. They implement authn.Keychain.
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
// errors (a file path, namespace/secret). A later login for a host replaces an earlier one.
func (c Credentials) Add(source string, data []byte) error {
	var cfg dockerConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("%s: not a docker config: %w", source, err)
	}
	for host, a := range cfg.Auths {
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
		c[registryHost(host)] = login
	}
	return nil
}

// registryHost reduces a docker config key, which may be a URL
// ("https://host:5000/v1/"), to its host:port.
func registryHost(key string) string {
	key = strings.TrimPrefix(strings.TrimPrefix(key, "https://"), "http://")
	host, _, _ := strings.Cut(key, "/")
	return host
}

// Resolve implements authn.Keychain: the login for the resource's registry, else anonymous.
func (c Credentials) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if login, ok := c[r.RegistryStr()]; ok {
		return authn.FromConfig(login), nil
	}
	return authn.Anonymous, nil
}
