package promql

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"

	"github.com/pullthrough/pullthrough/inventory"
	"github.com/pullthrough/pullthrough/liveconfig"
	"github.com/pullthrough/pullthrough/policy"
	"github.com/pullthrough/pullthrough/pullfailures"
	"github.com/pullthrough/pullthrough/webhook"
)

const dashboardFile = "../../../deploy/charts/pullthrough/files/dashboard.json"

// apiServerMetrics are the API server's admission metrics (webhooks, policies) the
// alerts and the dashboard read: pullthrough cannot count the calls that
// never reach it.
var apiServerMetrics = []string{"apiserver_admission_webhook_fail_open_count", "apiserver_admission_webhook_rejection_count",
	"apiserver_mutating_admission_policy_check_total", "apiserver_validating_admission_policy_check_total"}

// grafanaVariables stand in for the dashboard's variables, which are not PromQL.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "5m", "$__range", "1h", "$namespace", "pullthrough-system", "$cluster", ".*")

func TestDashboardQueries(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dashboard struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(data, &dashboard); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	exported := exportedMetrics(t)
	var n int
	for _, p := range dashboard.Panels {
		for _, target := range p.Targets {
			checkQuery(t, p.Title, grafanaVariables.Replace(target.Expr), exported)
			n++
		}
	}
	if n == 0 {
		t.Fatalf("%s: no queries", dashboardFile)
	}
}

// TestRuleQueries checks the alert expressions of a rendered PrometheusRule
// spec (groups:) at $PULLTHROUGH_RULES, which hack/lint-chart.sh renders and
// sets; without it the test fails rather than pass having read nothing.
func TestRuleQueries(t *testing.T) {
	t.Parallel()
	path := os.Getenv("PULLTHROUGH_RULES")
	if path == "" {
		t.Fatal("PULLTHROUGH_RULES not set: hack/lint-chart.sh renders the rules and sets it")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.UnmarshalStrict(data, &rules); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	exported := exportedMetrics(t)
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			checkQuery(t, r.Alert, r.Expr, exported)
			alerts[r.Alert] = true
		}
	}
	checkAlertsDocumented(t, alerts)
}

// operationsDoc holds the one list of alerts: a table row per alert.
const operationsDoc = "../../../docs/operations.md"

// checkAlertsDocumented: the rows of operations.md's alert table are the
// chart's alerts, every one (a list that left out the policy engine's three
// once called itself complete), and every alert name a doc mentions is one
// the chart defines.
func checkAlertsDocumented(t *testing.T, alerts map[string]bool) {
	t.Helper()
	data, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(Pullthrough[A-Za-z]+)`").FindAllStringSubmatch(string(data), -1) {
		rows[m[1]] = true
	}
	for a := range alerts {
		if !rows[a] {
			t.Errorf("%s: no row for the chart's alert %s", operationsDoc, a)
		}
	}
	mention := regexp.MustCompile(`\bPullthrough[A-Z][A-Za-z]+`)
	for _, root := range []string{"../../../docs", "../../../README.md", "../../../deploy/charts/pullthrough/values.yaml"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, name := range mention.FindAllString(string(b), -1) {
				if !alerts[name] {
					t.Errorf("%s names the alert %s, which the chart does not define", path, name)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkQuery parses expr and checks that every metric it selects is exported.
func checkQuery(t *testing.T, where, expr string, exported []string) {
	t.Helper()
	parsed, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: %q does not parse: %v", where, expr, err)
		return
	}
	var names int
	parser.Inspect(parsed, func(node parser.Node, _ []parser.Node) error {
		if vs, ok := node.(*parser.VectorSelector); ok {
			names++
			if !slices.Contains(exported, vs.Name) {
				t.Errorf("%s: %q selects %s, which nothing exports (exported: %v)", where, expr, vs.Name, exported)
			}
		}
		return nil
	})
	if names == 0 {
		t.Errorf("%s: %q selects no metric", where, expr)
	}
}

// descName reads the metric name out of a Desc, which has no accessor for it.
var descName = regexp.MustCompile(`fqName: "([^"]+)"`)

// exportedMetrics returns the series names the binary's metrics export (a
// histogram as its _bucket, _sum and _count) and the API server's.
func exportedMetrics(t *testing.T) []string {
	t.Helper()
	rec := &recorder{}
	if _, err := webhook.NewMetrics(rec); err != nil {
		t.Fatal(err)
	}
	if _, err := liveconfig.NewMetrics(rec); err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.RegisterMetrics(rec, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := policy.NewMetrics(rec); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pullfailures.RegisterMetrics(rec, nil); err != nil {
		t.Fatal(err)
	}
	names := slices.Clone(apiServerMetrics)
	descs := make(chan *prometheus.Desc, 64)
	go func() {
		for _, c := range rec.collectors {
			c.Describe(descs)
		}
		close(descs)
	}()
	for d := range descs {
		m := descName.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no name in %s", d)
		}
		names = append(names, m[1], m[1]+"_bucket", m[1]+"_sum", m[1]+"_count")
	}
	return names
}

// recorder is a Registerer that keeps what is registered with it.
type recorder struct{ collectors []prometheus.Collector }

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	r.collectors = append(r.collectors, cs...)
}

func (r *recorder) Unregister(prometheus.Collector) bool { return false }
