#!/usr/bin/env bash
# Lints the Helm chart deploy/charts/pullthrough:
#   1. helm lint --strict with the default values and with every optional part on;
#   2. helm template in each certificate mode, with every optional part on, and with
#      one replica (no PodDisruptionBudget), checking what each must and must not render;
#   3. every rendering decoded strictly into the Kubernetes API types (go test ./deploy),
#      so a misspelt field fails here rather than at kubectl apply;
#   4. values the chart must refuse (values.schema.json or a template check) are refused;
#   5. deploy/manifests is what hack/render-manifests.sh renders now.
# Exits non-zero on the first failure, saying which check failed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
chart=$root/deploy/charts/pullthrough
helm=$("$root/hack/render-manifests.sh" --print-helm)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

log() { echo "lint-chart: $*" >&2; }
fail() {
	log "FAIL: $*"
	exit 1
}

# Every optional part of the chart switched on, with the values each one reads.
cat >"$tmp/all-optional.yaml" <<'EOF'
image:
  digest: sha256:0000000000000000000000000000000000000000000000000000000000000000
imagePullSecrets: [registry-credentials]
config:
  mode: enforce
  imagePullSecrets: [proxy-credentials]
  proxyHealth: {url: "https://proxy.example.internal/v2/", interval: 15s, failOpen: true, failureThreshold: 3, successThreshold: 2}
  migrate:
    configMaps:
      - {namespace: istio-system, name: istio-sidecar-injector}
    fields:
      - {group: operator.tigera.io, version: v1, resource: installations, name: default, path: spec.registry, value: registry}
proxyHealth:
  caBundle: {configMap: {name: corp-ca, key: ca.crt}}
excludedNamespaces: [legacy]
certs:
  mode: cert-manager
  certManager:
    issuerRef: {kind: ClusterIssuer, name: internal-ca}
webhook:
  replicas: 3
  priorityClassName: system-cluster-critical
  nodeSelector: {kubernetes.io/os: linux}
  tolerations: [{key: CriticalAddonsOnly, operator: Exists}]
  topologySpread: {enabled: true}
  log: {level: debug, encoder: console}
metrics:
  serviceMonitor: {enabled: true, labels: {release: prometheus}}
networkPolicy:
  enabled: true
migrator:
  enabled: true
  apply: true
  serverDryRun: true
  namespaces: [team-a, team-b]
  extraRules:
    - {apiGroups: [operator.tigera.io], resources: [installations], verbs: [get, list, patch]}
EOF

template() { "$helm" template pullthrough "$chart" --namespace pullthrough-system "$@"; }

# expect FILE PATTERN WHY: FILE must contain a line matching PATTERN (grep -E).
expect() { grep -Eq -- "$2" "$1" || fail "$(basename "$1"): $3 (no line matches '$2')"; }
# refuse FILE PATTERN WHY: FILE must not contain a line matching PATTERN.
refuse() { ! grep -Eq -- "$2" "$1" || fail "$(basename "$1"): $3 (a line matches '$2')"; }

log "1. helm lint --strict"
"$helm" lint --strict "$chart" >/dev/null || fail "helm lint --strict with the default values"
"$helm" lint --strict "$chart" -f "$tmp/all-optional.yaml" >/dev/null ||
	fail "helm lint --strict with every optional part on"

log "2. helm template in each mode"
mkdir "$tmp/rendered"
template >"$tmp/rendered/self-signed.yaml" || fail "template, self-signed"
template --set certs.mode=cert-manager >"$tmp/rendered/cert-manager.yaml" || fail "template, cert-manager"
template -f "$tmp/all-optional.yaml" >"$tmp/rendered/all-optional.yaml" || fail "template, all optional parts"
template --set webhook.replicas=1 >"$tmp/rendered/one-replica.yaml" || fail "template, one replica"

f=$tmp/rendered/self-signed.yaml
expect "$f" '^kind: Role$' "self-signed mode needs its Role on the Secret"
expect "$f" '--self-signed-secret=pullthrough-system/pullthrough-webhook-tls' "self-signed flags"
expect "$f" '^kind: PodDisruptionBudget$' "two replicas get a PodDisruptionBudget"
expect "$f" 'helm.sh/hook: test' "the helm test pod"
refuse "$f" 'cert-manager.io' "no cert-manager object or annotation in self-signed mode"

f=$tmp/rendered/cert-manager.yaml
expect "$f" '^kind: Certificate$' "cert-manager mode creates a Certificate"
expect "$f" '^kind: Issuer$' "without issuerRef, a self-signed Issuer"
expect "$f" 'cert-manager.io/inject-ca-from: pullthrough-system/pullthrough-webhook$' "cainjector annotation names the Certificate"
expect "$f" 'automountServiceAccountToken: false' "no API credentials with cert-manager"
refuse "$f" '^kind: (Cluster)?Role(Binding)?$' "no RBAC for the webhook with cert-manager"
refuse "$f" '--self-signed-|--webhook-config' "no self-signed flags with cert-manager"

f=$tmp/rendered/all-optional.yaml
for kind in ServiceMonitor NetworkPolicy Job Certificate; do
	expect "$f" "^kind: $kind\$" "every optional part on renders a $kind"
done
refuse "$f" '^kind: Issuer$' "an issuerRef replaces the chart's own Issuer"
expect "$f" '^kind: RoleBinding$' "migrator.namespaces binds the migrator per namespace"
refuse "$f" '^kind: ClusterRoleBinding$' "migrator.namespaces: no cluster-wide binding"
expect "$f" '- --apply$' "migrator.apply passes --apply"
expect "$f" '- --server-dry-run$' "migrator.serverDryRun passes --server-dry-run"
expect "$f" 'values: \["pullthrough-system","legacy"\]' "excludedNamespaces reach the namespaceSelector"
expect "$f" 'topologySpreadConstraints:' "topologySpread.enabled"
expect "$f" 'image: ghcr.io/pullthrough/pullthrough:0.1.0@sha256:0{64}$' "a digest pins the image"
expect "$f" 'caBundle: /etc/pullthrough/proxy-ca/ca.crt$' "proxyHealth.caBundle points the config at the mounted bundle"
expect "$f" 'mountPath: /etc/pullthrough/proxy-ca$' "proxyHealth.caBundle is mounted"

refuse "$tmp/rendered/one-replica.yaml" '^kind: PodDisruptionBudget$' \
	"one replica gets no PodDisruptionBudget (it would block drains)"

log "3. strict decoding into the API types"
(cd "$root" && PULLTHROUGH_RENDERED_DIR=$tmp/rendered go test -count=1 -run '^TestRenderedDecodesStrictly$' ./deploy >/dev/null) ||
	fail "a rendering does not decode strictly: PULLTHROUGH_RENDERED_DIR=... go test -v -run TestRenderedDecodesStrictly ./deploy"

log "4. values the chart must refuse"
# refused WHY HELM-ARGS...: helm template must fail, for a reason that names the value.
refused() {
	local why=$1 want=$2
	shift 2
	local out
	if out=$(template "$@" 2>&1 >/dev/null); then
		fail "accepted $*: $why"
	fi
	grep -q -- "$want" <<<"$out" || fail "refused $* without naming $want: $out"
}
refused "certs.mode is an enum" "certs" --set certs.mode=letsencrypt
refused "config.mode is an enum" "mode" --set config.mode=enforcing
refused "top-level keys are closed (a misspelt key must not be ignored)" "replica" --set replica=3
refused "config keys are closed, as in the binary's strict decoding" "targte" \
	--set 'config.mirrors[0].source=docker.io' --set 'config.mirrors[0].targte=proxy/dockerhub'
refused "replicas is a positive integer" "replicas" --set webhook.replicas=0
refused "the proxy's CA comes from a ConfigMap or a Secret, not both" "caBundle" \
	--set proxyHealth.caBundle.configMap.name=a --set proxyHealth.caBundle.configMap.key=k \
	--set proxyHealth.caBundle.secret.name=b --set proxyHealth.caBundle.secret.key=k
refused "a server dry run needs apply" "serverDryRun" \
	--set migrator.enabled=true --set migrator.serverDryRun=true

log "5. deploy/manifests up to date"
"$root/hack/render-manifests.sh" --check || fail "deploy/manifests is stale: run hack/render-manifests.sh"

log "ok"
