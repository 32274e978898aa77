package certs

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*SelfSignedOptions)
		// want are substrings of the error, one group per invalid field; none means valid.
		want [][]string
	}{
		{
			name:   "valid",
			modify: func(*SelfSignedOptions) {},
		},
		{
			// Namespaces are DNS labels: no dots.
			name:   "secret namespace with a dot",
			modify: func(o *SelfSignedOptions) { o.SecretNamespace = "a.b" },
			want:   [][]string{{"SecretNamespace", "--self-signed-secret", `"a.b"`}},
		},
		{
			// Object names are DNS subdomains: lower case only.
			name:   "secret name in upper case",
			modify: func(o *SelfSignedOptions) { o.SecretName = "TLS" },
			want:   [][]string{{"SecretName", "--self-signed-secret", `"TLS"`}},
		},
		{
			// Service names are DNS-1035 labels: they may not start with a digit.
			name:   "service name starting with a digit",
			modify: func(o *SelfSignedOptions) { o.ServiceName = "1webhook" },
			want:   [][]string{{"ServiceName", "--self-signed-service", `"1webhook"`}},
		},
		{
			name:   "webhook config name with an underscore",
			modify: func(o *SelfSignedOptions) { o.WebhookConfigName = "pull_through" },
			want:   [][]string{{"WebhookConfigName", "--webhook-config", `"pull_through"`}},
		},
		{
			name:   "no cert dir",
			modify: func(o *SelfSignedOptions) { o.CertDir = "" },
			want:   [][]string{{"CertDir", "--cert-dir", `""`, "must be set"}},
		},
		{
			// Every problem is reported at once, so one run of the command shows them all.
			name:   "all empty",
			modify: func(o *SelfSignedOptions) { *o = SelfSignedOptions{} },
			want: [][]string{
				{"SecretNamespace"}, {"SecretName"}, {"ServiceNamespace"},
				{"ServiceName"}, {"WebhookConfigName"}, {"CertDir"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := testOptions("/tmp/certs")
			tt.modify(&opts)
			err := opts.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), invalidOption+": ") {
				t.Fatalf("Validate() = %v, want an invalid option", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("Validate() reported %d problems, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, parts := range tt.want {
				if !strings.HasPrefix(lines[i], invalidOption+": ") {
					t.Errorf("problem %d = %q, want an invalid option", i, lines[i])
				}
				for _, part := range parts {
					if !strings.Contains(lines[i], part) {
						t.Errorf("problem %d = %q, want it to contain %q", i, lines[i], part)
					}
				}
			}
		})
	}
}

func TestParseNamespacedName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
		want        types.NamespacedName
		wantErr     bool
	}{
		{name: "namespace and name", value: "pullthrough-system/tls", want: types.NamespacedName{Namespace: "pullthrough-system", Name: "tls"}},
		// A bare name would silently pick a namespace; the flag asks for both.
		{name: "no namespace", value: "tls", wantErr: true},
		{name: "empty namespace", value: "/tls", wantErr: true},
		{name: "empty name", value: "ns/", wantErr: true},
		{name: "two slashes", value: "ns/a/b", wantErr: true},
		{name: "empty", value: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseNamespacedName(FlagSecret, tt.value)
			if tt.wantErr {
				if err == nil || !strings.HasPrefix(err.Error(), invalidOption+": ") || !strings.Contains(err.Error(), "--"+FlagSecret) ||
					!strings.Contains(err.Error(), `"`+tt.value+`"`) {
					t.Fatalf("ParseNamespacedName(%q) error = %v, want an invalid option naming the flag and value", tt.value, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseNamespacedName(%q) = %v, %v, want %v", tt.value, got, err, tt.want)
			}
		})
	}
}
