package resolve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerConfig reaches a basic-auth registry with the logins of docker config
// files the ways docker keeps them: static auths, a credHelpers entry for the
// registry, a credsStore for all, and helpers that fail or do not exist. The
// helpers are shell scripts on PATH (testdata/credhelpers), executed as docker
// executes docker-credential-NAME. Not parallel: it sets PATH.
func TestDockerConfig(t *testing.T) {
	host, transport, _ := basicAuthRegistry(t)
	helpers, err := filepath.Abs("testdata/credhelpers")
	if err != nil {
		t.Fatal(err)
	}
	calls := filepath.Join(t.TempDir(), "calls")
	t.Setenv("PATH", helpers+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_HELPER_HOST", host)
	t.Setenv("FAKE_HELPER_USER", "u")
	t.Setenv("FAKE_HELPER_SECRET", "p")
	t.Setenv("FAKE_HELPER_LOG", calls)
	t.Setenv("DOCKER_AUTH_CONFIG", "") // docker's environment override, not under test
	tests := []struct {
		name       string
		config     string
		want       Status
		wantErr    string // in Check's error
		wantHelper bool   // the fake helper was asked for host
	}{
		{"static auths", `{"auths":{"` + host + `":{"auth":"dTpw"}}}`, StatusServed, "", false},
		{"credHelpers for the registry", `{"credHelpers":{"` + host + `":"fake"}}`, StatusServed, "", true},
		{"credsStore for every registry", `{"credsStore":"fake"}`, StatusServed, "", true},
		{"credHelpers beat auths", `{"auths":{"` + host + `":{"auth":"eDp5"}},"credHelpers":{"` + host + `":"fake"}}`, StatusServed, "", true},
		{"helper for another registry only", `{"credHelpers":{"other.example":"fake"}}`, StatusUnauthorized, "401", false},
		{"helper fails", `{"credHelpers":{"` + host + `":"broken"}}`, StatusUnauthorized, "token expired", false},
		{"helper not installed", `{"credsStore":"absent"}`, StatusUnauthorized, "docker-credential-absent", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.Remove(calls); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "config.json")
			if err := os.WriteFile(path, []byte(tt.config), 0o600); err != nil {
				t.Fatal(err)
			}
			keychain, err := DockerConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			got := NewChecker(transport, keychain).Check(t.Context(), host+"/library/nginx:1.27")
			if got.Status != tt.want || (tt.wantErr != "" && (got.Err == nil || !strings.Contains(got.Err.Error(), tt.wantErr))) {
				t.Errorf("Check = %s (%v), want %s with an error containing %q", got.Status, got.Err, tt.want, tt.wantErr)
			}
			logged, _ := os.ReadFile(calls) // absent when the helper was not run
			if asked := strings.Contains(string(logged), host); asked != tt.wantHelper {
				t.Errorf("fake helper asked for %s: %v, want %v (calls: %q)", host, asked, tt.wantHelper, logged)
			}
		})
	}
}

func TestDockerConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("auths:"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing.json")} {
		if _, err := DockerConfig(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("DockerConfig(%s) err = %v, want one naming the file", path, err)
		}
	}
}
