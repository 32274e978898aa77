package ecr

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/pullthrough/pullthrough/resolve"
)

// TestKeychain asks the keychain for each kind of registry in a process without
// AWS credentials: only a private ECR registry costs an attempt, and its failure
// is an ErrNoCredentials error, with the reason logged. Not
// parallel: it sets the AWS environment.
func TestKeychain(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
	} {
		t.Setenv(k, v)
	}
	tests := []struct {
		name    string
		repo    string
		wantErr bool
	}{
		{"private ECR", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/dockerhub/library/nginx", true},
		{"ECR Public serves anonymous pulls", "public.ecr.aws/nginx/nginx", false},
		{"another registry", "proxy.example.internal/dockerhub/library/nginx", false},
		{"a host that only looks like ECR", "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example/x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, err := name.NewRepository(tt.repo)
			if err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			auth, err := Keychain(t.Context(), &log).Resolve(repo)
			if tt.wantErr {
				if !errors.Is(err, resolve.ErrNoCredentials) || log.Len() == 0 {
					t.Errorf("Resolve(%s) = %v, %v (log %q); want a credentials error, its reason logged", tt.repo, auth, err, log.String())
				}
				return
			}
			if err != nil || auth != authn.Anonymous || log.Len() != 0 {
				t.Errorf("Resolve(%s) = %v, %v (log %q); want anonymous, no AWS call", tt.repo, auth, err, log.String())
			}
		})
	}
}
