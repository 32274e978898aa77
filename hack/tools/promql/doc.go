// Package promql checks the queries pullthrough ships for Prometheus and
// Grafana: every query of the chart's dashboard (and, given
// $PULLTHROUGH_RULES, of the rendered PrometheusRule) parses with
// Prometheus's own PromQL parser and names only metrics that the binary
// exports or that the API server exports about admission webhooks. It is a
// module of its own so that the Prometheus server's dependency graph stays out
// of the product's go.mod; hack/lint-chart.sh runs it.
package promql
