package pullsecret

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/config"
	"github.com/pullthrough/pullthrough/wellknown"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	const hash = "h2"
	tests := []struct {
		name       string
		sourceHash string
		held       *Copy
		qualifies  bool
		want       Action
	}{
		{"new namespace gets its copy", hash, nil, true, ActionCreate},
		{"a namespace whose pods are not rewritten gets none", hash, nil, false, ActionNone},
		{"current copy left alone", hash, &Copy{Owned: true, Hash: hash}, true, ActionNone},
		{"rotation rewrites the copy", hash, &Copy{Owned: true, Hash: "h1"}, true, ActionUpdate},
		// Its rewritten pods still pull with it: kept, and kept current.
		{"copy where the namespace stopped qualifying is rotated", hash, &Copy{Owned: true, Hash: "h1"}, false, ActionUpdate},
		{"copy where the namespace stopped qualifying stays", hash, &Copy{Owned: true, Hash: hash}, false, ActionNone},
		{"source deleted: copy deleted", "", &Copy{Owned: true, Hash: hash}, true, ActionDelete},
		{"source deleted, nothing held", "", nil, true, ActionNone},
		// A Secret of the same name someone else wrote is never touched.
		{"foreign Secret kept on rotation", hash, &Copy{Hash: "h1"}, true, ActionNone},
		{"foreign Secret kept when the source goes", "", &Copy{}, true, ActionNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Decide(tt.sourceHash, tt.held, tt.qualifies); got != tt.want {
				t.Errorf("Decide = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestQualifies(t *testing.T) {
	t.Parallel()
	enforce := &config.Config{Mode: config.ModeEnforce, Exclude: config.Exclude{Namespaces: []string{"legacy-*"}}}
	audit := &config.Config{Mode: config.ModeAudit}
	label := func(v string) map[string]string { return map[string]string{wellknown.LabelMode: v} }
	tests := []struct {
		name     string
		cfg      *config.Config
		ns       string
		labels   map[string]string
		deleting bool
		want     bool
	}{
		{"unlabelled namespace enforces", enforce, "shop", nil, false, true},
		{"labelled enforce", enforce, "shop", label("enforce"), false, true},
		// kube-system is not excluded implicitly: its pods are rewritten.
		{"kube-system", enforce, "kube-system", nil, false, true},
		{"audit label", enforce, "shop", label("audit"), false, false},
		{"off label", enforce, "shop", label("off"), false, false},
		{"a typo audits", enforce, "shop", label("Enforce"), false, false},
		{"excluded by glob", enforce, "legacy-billing", nil, false, false},
		{"the source namespace", enforce, "pullthrough-system", nil, false, false},
		{"being deleted", enforce, "shop", nil, true, false},
		{"config in audit mode", audit, "shop", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := qualifies(tt.cfg, "pullthrough-system", tt.ns, tt.labels, tt.deleting); got != tt.want {
				t.Errorf("qualifies = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	secret := func(typ corev1.SecretType, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "ignored"}, Type: typ, Data: data}
	}
	base := secret(corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": []byte(`{"auths":{}}`)})
	if Hash(base) != Hash(secret(corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": []byte(`{"auths":{}}`)})) {
		t.Error("equal secrets hash differently")
	}
	for name, other := range map[string]*corev1.Secret{
		"data changed": secret(corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": []byte(`{"auths":{"x":{}}}`)}),
		"type changed": secret(corev1.SecretTypeOpaque, base.Data),
		"key added":    secret(corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": []byte(`{"auths":{}}`), "x": nil}),
		// Without lengths these two would write the same bytes.
		"bytes moved between key and value": secret(corev1.SecretTypeOpaque, map[string][]byte{"ab": []byte("c")}),
	} {
		if Hash(other) == Hash(base) || (name == "bytes moved between key and value" && Hash(other) == Hash(secret(corev1.SecretTypeOpaque, map[string][]byte{"a": []byte("bc")}))) {
			t.Errorf("%s: same hash", name)
		}
	}
}
