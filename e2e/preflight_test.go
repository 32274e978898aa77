package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pullthrough/pullthrough/e2e/registry"
	"github.com/pullthrough/pullthrough/verdicts"
)

// preflight runs the binary's `migrate --verify` and `verify -n` against the real
// API server and registries: a Deployment whose image the proxy serves, and one
// whose image it does not (a repository the upstream never had). Both commands
// check every image pulled through the proxy, rewritten or already proxied.
func preflight(t *testing.T, p *pullEnv) {
	p.namespace(t, "preflight")
	cs := p.client(t, nil)
	bin := BuildBinary(t)
	createDeployment(t, cs, "preflight", "good", officialIndex, 1)
	createDeployment(t, cs, "preflight", "missing", "docker.io/acme/missing:1", 1)
	waitPodCount(t, cs, "preflight", 2)
	run := func(args ...string) (string, int) {
		t.Helper()
		r := runCLI(t, bin, append(args, "--config", p.config, "--kubeconfig", p.cluster.KubeconfigPath(), "-n", "preflight")...)
		t.Logf("pullthrough %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		return r.stdout, r.code
	}

	plan, code := run("migrate", "--verify")
	if code != 1 || !strings.Contains(plan, "VERIFY") || !lineHas(plan, "missing", "not-found", "not-served") || !lineHas(plan, "good", "served", "planned") {
		t.Errorf("migrate --verify: exit %d, want 1 with good served and planned, missing not-found/not-served:\n%s", code, plan)
	}
	applied, code := run("migrate", "--verify", "--apply")
	if code != 1 || !lineHas(applied, "good", "served", "patched") || !lineHas(applied, "missing", "not-found", "not-served") {
		t.Errorf("migrate --verify --apply: exit %d, want 1, good patched, missing refused:\n%s", code, applied)
	}
	for name, want := range map[string]string{"good": p.set.Proxy("docker.io").Addr + "/library/nginx:1.27", "missing": "docker.io/acme/missing:1"} {
		dep, err := cs.AppsV1().Deployments("preflight").Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := dep.Spec.Template.Spec.Containers[0].Image; got != want {
			t.Errorf("deployment %s image %q after apply, want %q", name, got, want)
		}
	}
	forced, code := run("migrate", "--verify", "--apply", "--force")
	if code != 0 || !lineHas(forced, "missing", "not-found", "patched") {
		t.Errorf("migrate --verify --apply --force: exit %d, want 0 with missing patched:\n%s", code, forced)
	}
	// Both now pull through the proxy (already-proxied): --verify still checks
	// them, as `verify -n` does, and says the missing one will not start. Neither
	// has anything to patch, so nothing fails.
	proxied, code := run("migrate", "--verify")
	if code != 0 || !lineHas(proxied, "good", "already-proxied", "served", "unchanged") || !lineHas(proxied, "missing", "already-proxied", "not-found", "unchanged") {
		t.Errorf("migrate --verify after the migration: exit %d, want 0 with good served and missing not-found, both already-proxied and unchanged:\n%s", code, proxied)
	}
	pods, code := run("verify")
	if code != 1 || !lineHas(pods, "good-", "served") || !lineHas(pods, "missing-", "not-found") {
		t.Errorf("verify -n preflight: exit %d, want 1 with the good pod served and the missing one not-found:\n%s", code, pods)
	}
	// With --verdict-record, what was checked is written for the webhook:
	// the served reference and the refused one, nothing else.
	if _, code := run("verify", "--verdict-record", "preflight/"+verdicts.DefaultName); code != 1 {
		t.Errorf("verify --verdict-record: exit %d, want 1 as without it", code)
	}
	cm, err := cs.CoreV1().ConfigMaps("preflight").Get(t.Context(), verdicts.DefaultName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	record, err := verdicts.Decode("preflight/"+verdicts.DefaultName, cm.Data[verdicts.Key])
	hub := p.set.Proxy("docker.io").Addr
	if err != nil || len(record) != 2 || !record[hub+"/library/nginx:1.27"].Served || record[hub+"/acme/missing:1"].Served {
		t.Errorf("verdict record after verify: %v (%v), want the good image served and the missing one refused", record, err)
	}
	if _, code := run("verify", "--ca-bundle", "/nonexistent"); code != 2 {
		t.Errorf("verify with a missing CA bundle: exit %d, want 2", code)
	}
	credentialHelpers(t, p, run)
}

// credentialHelpers checks the proxy with the login a docker config's credential
// helper hands out, as an ECR or GCR login is kept: docker-credential-fake
// (resolve/testdata/credhelpers) on PATH answers for the Docker Hub proxy, which
// requires basic auth, with its htpasswd login. Without the helper the proxy
// answers unauthorized; a config naming a helper that is not installed is
// unauthorized too, never unreachable. Sets PATH for the binaries it runs.
func credentialHelpers(t *testing.T, p *pullEnv, run func(...string) (string, int)) {
	helpers, err := filepath.Abs("../resolve/testdata/credhelpers")
	if err != nil {
		t.Fatal(err)
	}
	proxy := p.set.Proxy("docker.io").Addr
	calls := filepath.Join(t.TempDir(), "calls")
	t.Setenv("PATH", helpers+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_HELPER_HOST", proxy)
	t.Setenv("FAKE_HELPER_USER", registry.Username)
	t.Setenv("FAKE_HELPER_SECRET", p.set.Password)
	t.Setenv("FAKE_HELPER_LOG", calls)
	dockerConfig := func(json string) string {
		path := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(path, []byte(json), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// Everything above is migrated by now; migrate checks it too (already
	// proxied), so "missing" is not found there, which fails no object.
	createDeployment(t, p.client(t, nil), "preflight", "helped", officialIndex, 1)
	helper := dockerConfig(`{"credHelpers":{"` + proxy + `":"fake"}}`)
	if out, code := run("verify", "--docker-config", helper); code != 1 || !lineHas(out, "good-", "served") || !lineHas(out, "missing-", "not-found") {
		t.Errorf("verify --docker-config with credHelpers: exit %d, want 1 with the good pod served through the helper's login:\n%s", code, out)
	}
	if out, code := run("migrate", "--verify", "--docker-config", dockerConfig(`{"credsStore":"fake"}`)); code != 0 || !lineHas(out, "helped", "served", "planned") {
		t.Errorf("migrate --verify --docker-config with credsStore: exit %d, want 0 with helped served and planned:\n%s", code, out)
	}
	if logged, err := os.ReadFile(calls); err != nil || !strings.Contains(string(logged), proxy) {
		t.Errorf("docker-credential-fake was not asked for %s (%v): %q", proxy, err, logged)
	}
	if out, code := run("verify", "--docker-config", dockerConfig(`{"credsStore":"absent"}`)); code != 1 || !lineHas(out, "good-", "unauthorized") {
		t.Errorf("verify with a helper that is not installed: exit %d, want 1 with good unauthorized:\n%s", code, out)
	}
}

// lineHas reports whether some line of text has every word as a field; a word
// ending in - matches a field it starts (a pod's generated name).
func lineHas(text string, words ...string) bool {
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if hasAll(fields, words) {
			return true
		}
	}
	return false
}

func hasAll(fields, words []string) bool {
	for _, w := range words {
		found := false
		for _, f := range fields {
			if f == w || (strings.HasSuffix(w, "-") && strings.HasPrefix(f, w)) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
