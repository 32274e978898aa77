package resolve

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

func TestCredentialsAdd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		json    string
		host    string // looked up after Add
		want    authn.AuthConfig
		wantErr string
	}{
		{"auth field", `{"auths":{"p.example:5000":{"auth":"dTpw"}}}`, "p.example:5000", authn.AuthConfig{Username: "u", Password: "p"}, ""},
		{"username and password", `{"auths":{"p.example":{"username":"u","password":"p:q"}}}`, "p.example", authn.AuthConfig{Username: "u", Password: "p:q"}, ""},
		{"URL key", `{"auths":{"https://p.example/v1/":{"auth":"dTpw"}}}`, "p.example", authn.AuthConfig{Username: "u", Password: "p"}, ""},
		{"other host is anonymous", `{"auths":{"p.example":{"auth":"dTpw"}}}`, "q.example", authn.AuthConfig{}, ""},
		// Logins are keyed by registry identity (rewrite.CanonicalHost), as the
		// rewrite routes: a login docker wrote for Docker Hub serves every name
		// of it, and case or the default port never hide one.
		{"docker hub key, an alias looked up", `{"auths":{"https://index.docker.io/v1/":{"auth":"dTpw"}}}`, "registry-1.docker.io", authn.AuthConfig{Username: "u", Password: "p"}, ""},
		{"docker hub alias key, docker.io looked up", `{"auths":{"registry.hub.docker.com":{"auth":"dTpw"}}}`, "docker.io", authn.AuthConfig{Username: "u", Password: "p"}, ""},
		{"key with case and default port", `{"auths":{"P.Example:443":{"auth":"dTpw"}}}`, "p.example", authn.AuthConfig{Username: "u", Password: "p"}, ""},
		{"lookup with case and default port", `{"auths":{"p.example":{"auth":"dTpw"}}}`, "P.Example:443", authn.AuthConfig{Username: "u", Password: "p"}, ""},
		{"another port is another registry", `{"auths":{"p.example:5000":{"auth":"dTpw"}}}`, "p.example", authn.AuthConfig{}, ""},
		// Two spellings of one registry in one document: the later key in
		// sorted order wins, every time (map order would pick at random).
		{"two spellings of one registry", `{"auths":{"docker.io":{"auth":"eDp5"},"https://index.docker.io/v1/":{"auth":"dTpw"}}}`, "docker.io", authn.AuthConfig{Username: "u", Password: "p"}, ""},
		{"not base64", `{"auths":{"p.example":{"auth":"%%%"}}}`, "", authn.AuthConfig{}, `src: auths["p.example"].auth`},
		{"no colon", `{"auths":{"p.example":{"auth":"dXNlcg=="}}}`, "", authn.AuthConfig{}, "not username:password"},
		{"not JSON", `auths:`, "", authn.AuthConfig{}, "src: not a docker config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Credentials{}
			err := c.Add("src", []byte(tt.json))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			reg, err := name.NewRegistry(tt.host)
			if err != nil {
				t.Fatal(err)
			}
			a, err := c.Resolve(reg)
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.Authorization()
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("login for %s = %+v, want %+v", tt.host, *got, tt.want)
			}
		})
	}
}

// FuzzCredentialsAdd: any bytes give logins or an error naming the source, never a panic.
func FuzzCredentialsAdd(f *testing.F) {
	for _, seed := range []string{`{"auths":{"p.example":{"auth":"dTpw"}}}`, `{"auths":{"https://p/v1/":{"username":"u","password":"p"}}}`, `{}`, `[`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := (Credentials{}).Add("fuzz", data); err != nil && !strings.HasPrefix(err.Error(), "fuzz: ") {
			t.Fatalf("error %q does not name the source", err)
		}
	})
}
