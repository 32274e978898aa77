#!/usr/bin/env bash
# Lints the Helm chart deploy/charts/pullthrough:
#   1. helm lint --strict with the default values and with every optional part on;
#   2. helm template in each certificate mode, with every optional part on, and with
#      one replica (no PodDisruptionBudget), checking what each must and must not render;
#   3. every rendering decoded strictly into the Kubernetes API types, its migrator RBAC
#      checked, and every document sent to a real API server as a server-side dry run with
#      the CRDs of cert-manager and the Prometheus Operator installed (go test ./deploy),
#      so a misspelt field or an invalid value fails here rather than at kubectl apply;
#   4. values the chart must refuse (values.schema.json or a template check) are refused;
#   5. promtool test rules on the chart's alerts (deploy/prometheus/alerts_test.yaml), and
#      every query of the alerts and the dashboard parsed, naming exported metrics;
#   6. the chart's README is what helm-docs generates (make chart-docs);
#   7. deploy/manifests is what hack/render-manifests.sh renders now.
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
podAnnotations: {example.com/team: platform}
podLabels: {team: platform}
# OpenShift: its SCC assigns the IDs.
podSecurityContext: {runAsUser: null, runAsGroup: null, fsGroup: null}
securityContext: {runAsUser: null, runAsGroup: null}
config:
  mirrors:
    - {source: docker.io, target: harbor.platform.internal/dockerhub}
    - {source: ghcr.io, target: "harbor.platform.internal:8443/ghcr"}
  mode: enforce
  imagePullSecrets: [proxy-credentials]
  proxyHealth: {url: "https://harbor.platform.internal/v2/", interval: 15s, failOpen: true, failureThreshold: 3, successThreshold: 2}
  migrate:
    configMaps:
      - {namespace: istio-system, name: istio-sidecar-injector}
      - {namespace: team-a, name: addon-values}
    fields:
      - {group: operator.tigera.io, version: v1, resource: installations, name: default, path: spec.registry, value: registry}
proxyHealth:
  caBundle: {configMap: {name: corp-ca, key: ca.crt}}
pullSecrets:
  replicate: {enabled: true}
verdictRecord: {enabled: true}
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
  env: [{name: HTTPS_PROXY, value: "http://egress.platform.internal:3128"}]
  extraVolumes: [{name: scratch, emptyDir: {sizeLimit: 1Mi}}]
  extraVolumeMounts: [{name: scratch, mountPath: /scratch}]
  objectSelectorExpressions: [{key: team, operator: NotIn, values: [legacy]}]
  matchConditions:
    - {name: not-node-users, expression: "!request.userInfo.username.startsWith('system:node:')"}
metrics:
  secure: {enabled: true, readers: [{kind: ServiceAccount, name: prometheus-k8s, namespace: monitoring}]}
  serviceMonitor: {enabled: true, labels: {release: prometheus}}
  podImages: {enabled: true}
  pullFailures: {enabled: true}
  prometheusRule: {enabled: true, labels: {release: prometheus}, migratedRegistries: [docker.io, ghcr.io]}
  dashboard: {enabled: true, annotations: {grafana_folder: Platform}}
networkPolicy:
  enabled: true
test:
  namespace: shop
  auditNamespace: shop-audit
nodeConfig:
  enabled: true
  namespace: kube-system
  priorityClassName: system-node-critical
  nodeSelector: {kubernetes.io/os: linux}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
          - matchExpressions: [{key: karpenter.k8s.aws/ec2nodeclass, operator: NotIn, values: [bottlerocket]}]
migrator:
  enabled: true
  apply: true
  serverDryRun: true
  verify: true
  kinds: [deploy, sts, installations]
  selector: team=payments
  qps: 5
  burst: 10
  serviceAccountAnnotations: {eks.amazonaws.com/role-arn: "arn:aws:iam::111122223333:role/pullthrough-migrator"}
  namespaces: [team-a, team-b]
  runId: "2026-11-28"
  ttlSecondsAfterFinished: 86400
  activeDeadlineSeconds: 3600
  nodeSelector: {kubernetes.io/os: linux}
  tolerations: [{key: CriticalAddonsOnly, operator: Exists}]
  extraRules:
    - {apiGroups: [operator.tigera.io], resources: [installations], verbs: [get, list, patch]}
EOF

# The tools of checks 5 and 6: promtool (hack/promtool.sh) and helm-docs
# (hack/go-tool.sh builds it once, about a minute on 2 cores).
HELM_DOCS_VERSION=${HELM_DOCS_VERSION:-v1.14.2}
go_tool() { "$root/hack/go-tool.sh" "$@"; }

# --tools builds what the checks use (helm above, the CRDs, promtool,
# helm-docs) and stops: make tools, which CI runs beside make test.
if [[ ${1:-} == --tools ]]; then
	"$root/hack/crds.sh" >/dev/null || fail "fetching the CRDs (hack/crds.sh)"
	"$root/hack/promtool.sh" >/dev/null || fail "fetching promtool (hack/promtool.sh)"
	go_tool helm-docs github.com/norwoodj/helm-docs/cmd/helm-docs "$HELM_DOCS_VERSION" >/dev/null ||
		fail "building helm-docs $HELM_DOCS_VERSION"
	exit 0
fi

template() { "$helm" template pullthrough "$chart" --namespace pullthrough-system "$@"; }

# expect FILE PATTERN WHY: FILE must contain a line matching PATTERN (grep -E).
expect() { grep -Eq -- "$2" "$1" || fail "$(basename "$1"): $3 (no line matches '$2')"; }
# refuse FILE PATTERN WHY: FILE must not contain a line matching PATTERN.
refuse() { ! grep -Eq -- "$2" "$1" || fail "$(basename "$1"): $3 (a line matches '$2')"; }

log "0. the chart's kubeVersion is the oldest Kubernetes the suite runs on"
# shellcheck source=SCRIPTDIR/versions.env
min=$(source "$root/hack/versions.env" && echo "$K8S_MIN_VERSION")
minor=${min#v}
minor=${minor%.*}
grep -qx "kubeVersion: \">=$minor.0-0\"" "$chart/Chart.yaml" ||
	fail "Chart.yaml kubeVersion is not \">=$minor.0-0\" (hack/versions.env K8S_MIN_VERSION=$min)"
too_old=$(echo "$minor" | awk -F. '{printf "%d.%d.0", $1, $2-1}')
if "$helm" template pullthrough "$chart" --kube-version "$too_old" >/dev/null 2>&1; then
	fail "the chart installs on Kubernetes $too_old, older than K8S_MIN_VERSION $min"
fi

log "1. helm lint --strict"
"$helm" lint --strict "$chart" >/dev/null || fail "helm lint --strict with the default values"
"$helm" lint --strict "$chart" -f "$tmp/all-optional.yaml" >/dev/null ||
	fail "helm lint --strict with every optional part on"

log "2. helm template in each mode"
mkdir "$tmp/rendered"
template >"$tmp/rendered/self-signed.yaml" || fail "template, self-signed"
# Without the helm test, whose own Role would hide the webhook's RBAC.
template --set certs.mode=cert-manager --skip-tests >"$tmp/rendered/cert-manager.yaml" || fail "template, cert-manager"
template -f "$tmp/all-optional.yaml" >"$tmp/rendered/all-optional.yaml" || fail "template, all optional parts"
template --set webhook.replicas=1 >"$tmp/rendered/one-replica.yaml" || fail "template, one replica"
# The CNI bootstrap: the host network, on ports of its own.
template -f - >"$tmp/rendered/host-network.yaml" <<'EOF2' || fail "template, host network"
config:
  mirrors: [{source: docker.io, target: harbor.platform.internal/dockerhub}]
  mode: enforce
webhook:
  hostNetwork: true
  ports: {webhook: 10443, metrics: 10480, health: 10481}
  tolerations: [{key: CriticalAddonsOnly, operator: Exists}]
EOF2
# Mirrors per tenant, one by label: the webhook watches namespaces (its own
# ClusterRole and a token, which cert-manager mode otherwise leaves out).
template --set certs.mode=cert-manager --skip-tests -f - >"$tmp/rendered/tenants.yaml" <<'EOF2' || fail "template, tenants"
config:
  mirrors:
    - {source: docker.io, target: harbor.platform.internal/dockerhub}
    - {source: docker.io, target: harbor.platform.internal/team-a, namespaces: [team-a, team-a-*]}
    - {source: docker.io, target: harbor.platform.internal/tenant-b, namespaceSelector: {matchLabels: {tenant: b}}}
EOF2
# A migrator that only plans, with an extra rule that asks for patch.
template --set migrator.enabled=true --set migrator.undo=true \
	--set 'migrator.extraRules[0].apiGroups[0]=operator.tigera.io' --set 'migrator.extraRules[0].resources[0]=installations' \
	--set 'migrator.extraRules[0].verbs={get,list,patch}' \
	--set-json 'config.migrate.configMaps=[{"namespace":"istio-system","name":"istio-sidecar-injector"},{"namespace":"tigera-operator","selector":"app=my-addon"},{"namespace":"tigera-operator","name":"values"}]' \
	>"$tmp/rendered/migrator-plan.yaml" || fail "template, migrator plan"

# The policy engine, every optional part on (the chart reads the API server's
# version and APIs from .Capabilities; helm template is told them).
policy_caps=(--kube-version 1.36.0 --api-versions admissionregistration.k8s.io/v1/MutatingAdmissionPolicy)
template -f "$tmp/all-optional.yaml" --set engine=policy --set policy.guard=deny "${policy_caps[@]}" >"$tmp/rendered/policy-all-optional.yaml" ||
	fail "template, the policy engine with every optional part on"

f=$tmp/rendered/policy-all-optional.yaml
refuse "$f" '^kind: (MutatingWebhookConfiguration|Certificate|Issuer|PodDisruptionBudget)$' "the policy engine has no webhook configuration, certificate or PodDisruptionBudget"
refuse "$f" 'hostNetwork: true|--self-signed-|--cert-dir' "the policy engine's applier needs no host network or certificate"
expect "$f" '- --guard=deny$' "policy.guard reaches the applier"
refuse "$f" '^  name: pullthrough-webhook-writes$' "no webhook configuration to hold with the policy engine"
refuse "$f" 'proxy-login|--verdict-record|-verdicts' "the policy engine has no served check and reads no verdict record"
expect "$f" '^  replicas: 1$' "the policy engine runs one applier"
expect "$f" '^kind: Job$' "the migrator is the same with either engine"
expect "$f" '^kind: DaemonSet$' "the node agent is the same with either engine"

f=$tmp/rendered/self-signed.yaml
expect "$f" '^kind: Role$' "self-signed mode needs its Role on the Secret"
expect "$f" '^  name: pullthrough-webhook-writes$' "self-signed mode holds the webhook's configuration writes to caBundle"
expect "$f" '^kind: ResourceQuota$' "the critical priority class outside kube-system needs a ResourceQuota (GKE)"
expect "$f" '--self-signed-secret=pullthrough-system/pullthrough-webhook-tls' "self-signed flags"
expect "$f" '^kind: PodDisruptionBudget$' "two replicas get a PodDisruptionBudget"
expect "$f" 'unhealthyPodEvictionPolicy: AlwaysAllow' "crash-looping replicas must not block drains"
expect "$f" 'helm.sh/hook: test' "the helm test pod"
expect "$f" '^  name: pullthrough-selftest$' "helm test probes a namespace of its own by default"
expect "$f" '- -n=pullthrough-selftest$' "helm test probes a namespace of its own by default"
refuse "$f" '-n=default$' "helm test does not probe default, which a fleet rollout may label audit"
refuse "$f" 'cert-manager.io' "no cert-manager object or annotation in self-signed mode"
refuse "$f" '--metrics-secure|--bind-ip' "plain metrics on the pod network by default (docs/security.md says why)"
refuse "$f" '^kind: NetworkPolicy$' "no NetworkPolicy by default (docs/security.md says why)"
refuse "$f" 'proxy-login|dockerConfig:' "no pull secret to mount for the served check without config.imagePullSecrets"
refuse "$f" '--verdict-record|-verdicts' "no verdict record by default"

f=$tmp/rendered/cert-manager.yaml
expect "$f" '^kind: Certificate$' "cert-manager mode creates a Certificate"
expect "$f" 'secretName: pullthrough-webhook-tls$' "both certificate modes keep one Secret, so switching is an upgrade"
expect "$f" '^kind: Issuer$' "without issuerRef, a self-signed Issuer"
expect "$f" 'cert-manager.io/inject-ca-from: pullthrough-system/pullthrough-webhook$' "cainjector annotation names the Certificate"
expect "$f" 'automountServiceAccountToken: false' "no API credentials with cert-manager"
refuse "$f" '^kind: (Cluster)?Role(Binding)?$' "no RBAC for the webhook with cert-manager"
refuse "$f" '^kind: ValidatingAdmissionPolicy' "no writes to hold with cert-manager"
refuse "$f" '--self-signed-|--webhook-config' "no self-signed flags with cert-manager"

f=$tmp/rendered/all-optional.yaml
for kind in ServiceMonitor PrometheusRule NetworkPolicy Job Certificate DaemonSet; do
	expect "$f" "^kind: $kind\$" "every optional part on renders a $kind"
done
refuse "$f" '^kind: Issuer$' "an issuerRef replaces the chart's own Issuer"
expect "$f" '^kind: RoleBinding$' "migrator.namespaces binds the migrator per namespace"
# The webhook's own ClusterRoleBindings (certificates, the pod-images gauge,
# the failed-pull counter)
# may be there; none may bind the migrator.
if grep -A2 '^kind: ClusterRoleBinding$' "$f" | grep -Eq '^  name: .*migrator'; then
	fail "all-optional.yaml: migrator.namespaces: no cluster-wide binding for the migrator"
fi
expect "$f" '- --apply$' "migrator.apply passes --apply"
expect "$f" 'resourceNames: \["addon-values"\]' "a named ConfigMap target is granted by name"
refuse "$f" '^  namespace: istio-system$' "no Role for a ConfigMap target outside migrator.namespaces"
expect "$f" '- --server-dry-run$' "migrator.serverDryRun passes --server-dry-run"
expect "$f" 'values: \["pullthrough-system","legacy"\]' "excludedNamespaces reach the namespaceSelector"
expect "$f" 'topologySpreadConstraints:' "topologySpread.enabled"
expect "$f" 'image: ghcr.io/pullthrough/pullthrough:0.1.0@sha256:0{64}$' "a digest pins the image"
expect "$f" '- --pull-failures$' "metrics.pullFailures passes --pull-failures"
expect "$f" 'resources: \["events"\]' "metrics.pullFailures grants list and watch on events"
expect "$f" '- --pod-images$' "metrics.podImages passes --pod-images"
expect "$f" 'caBundle: /etc/pullthrough/proxy-ca/ca.crt$' "proxyHealth.caBundle points the config at the mounted bundle"
expect "$f" 'mountPath: /etc/pullthrough/proxy-ca$' "proxyHealth.caBundle is mounted"
expect "$f" 'dockerConfig: /etc/pullthrough/proxy-login/.dockerconfigjson$' "the served check logs in with the mounted pull secret"
expect "$f" 'secretName: proxy-credentials$' "the served check's login is the first of config.imagePullSecrets"
expect "$f" 'optional: true$' "a missing pull secret does not stop the webhook pods"
[[ $(grep -c -- '- --verdict-record=pullthrough-system/pullthrough-verdicts$' "$f") == 2 ]] ||
	fail "all-optional.yaml: verdictRecord reaches the webhook (watch) and the verifying migrator (write)"
[[ $(grep -c 'resourceNames: \["pullthrough-verdicts"\]' "$f") == 2 ]] ||
	fail "all-optional.yaml: verdictRecord's two Roles name the one ConfigMap"
expect "$f" '^  name: pullthrough-migrator-verdicts$' "a verifying migrator is bound to the record's writer Role"
[[ $(grep -c -- '- --metrics-secure$' "$f") == 2 ]] || fail "all-optional.yaml: metrics.secure reaches both the webhook and the node agent"
expect "$f" '^  name: system:auth-delegator$' "metrics.secure lets the processes review the scrapers' tokens"
expect "$f" 'scheme: https$' "metrics.secure: the ServiceMonitor scrapes over HTTPS"
expect "$f" 'nonResourceURLs: \["/metrics"\]' "metrics.secure: the reader ClusterRole"

f=$tmp/rendered/migrator-plan.yaml
expect "$f" 'resourceNames: \["istio-sidecar-injector"\]' "a named ConfigMap target is granted by name, in a Role of its namespace"
refuse "$f" 'resourceNames: \[.*"values"' "a namespace with a selector target grants its ConfigMaps, not names"

f=$tmp/rendered/tenants.yaml
expect "$f" '^  name: pullthrough-namespaces$' "a namespaceSelector gives the webhook its namespace ClusterRole"
expect "$f" 'automountServiceAccountToken: true$' "the namespace watch needs the token"
refuse "$tmp/rendered/cert-manager.yaml" '^  name: pullthrough-namespaces$' "no namespace access without a namespaceSelector"

f=$tmp/rendered/host-network.yaml
expect "$f" 'hostNetwork: true' "webhook.hostNetwork"
expect "$f" 'dnsPolicy: ClusterFirstWithHostNet' "the host network keeps cluster DNS"
expect "$f" 'key: node.kubernetes.io/network-unavailable' "the bootstrap tolerates a node without CNI"
expect "$f" 'key: CriticalAddonsOnly' "webhook.tolerations are kept next to the bootstrap's"
expect "$f" '--port=10443$' "webhook.ports.webhook reaches the flag"
expect "$f" 'containerPort: 10481$' "webhook.ports.health reaches the container"
expect "$f" 'maxSurge: 0$' "a host-network rollout replaces one replica at a time"
expect "$f" '- --bind-ip=\$\(POD_IP\)$' "on the host network the listeners bind the node's IP, not every address of the node"
expect "$f" 'fieldPath: status.podIP$' "--bind-ip reads the pod's IP from the downward API"

f=$tmp/rendered/all-optional.yaml
expect "$f" 'name: not-node-users' "matchConditions reach the webhooks"
expect "$f" 'key: team$' "objectSelectorExpressions reach the webhooks"
expect "$f" 'ttlSecondsAfterFinished: 86400' "migrator.ttlSecondsAfterFinished"
expect "$f" '- -n=shop-audit=audit$' "helm test probes the audit namespace too"
refuse "$f" '^  name: pullthrough-selftest$' "a test.namespace replaces the test's own namespace"
expect "$f" '- --verify$' "migrator.verify passes --verify"
expect "$f" '- --kinds=deploy,sts,installations$' "migrator.kinds passes --kinds"
expect "$f" '- -l=team=payments$' "migrator.selector passes -l"
expect "$f" '- --qps=5$' "migrator.qps passes --qps"
expect "$f" '- --burst=10$' "migrator.burst passes --burst"
expect "$f" 'eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/pullthrough-migrator' "migrator.serviceAccountAnnotations (IRSA for verify against ECR)"
expect "$f" '"resourceNames":\["proxy-credentials"\]|resourceNames: \["proxy-credentials"\]' "migrator.verify reads config.imagePullSecrets by name"
expect "$f" 'key: karpenter.k8s.aws/ec2nodeclass' "nodeConfig.affinity keeps the agent off some nodes"
refuse "$f" 'runAsUser: [1-9]' "null drops the webhook's securityContext keys (OpenShift; the node agent's root user for the host's certs.d is its own)"
refuse "$f" 'docker\.io/|curlimages' "the chart runs no image but its own"

refuse "$tmp/rendered/one-replica.yaml" '^kind: PodDisruptionBudget$' \
	"one replica gets no PodDisruptionBudget (it would block drains)"

f=$tmp/rendered/migrator-plan.yaml
refuse "$f" 'patch' "a migrator that only plans holds no patch, extraRules included"
expect "$f" '"resources":\["installations"\],"verbs":\["get","list"\]' "extraRules keep their read verbs"
expect "$f" '- --undo$' "migrator.undo passes --undo"

log "3. strict decoding, RBAC per variant, and a server-side dry run on a real API server"
# The dry run needs the e2e control plane (built once into the cache that make
# test uses too) and the CRDs of the optional objects.
"$root/hack/e2e-bins.sh" >/dev/null || fail "building the e2e control plane (hack/e2e-bins.sh)"
crds=$("$root/hack/crds.sh") || fail "fetching the CRDs (hack/crds.sh)"
tests='^(TestRenderedDecodesStrictly|TestMigratorWritesOnlyWithApply|TestRenderedDryRun)$'
if ! out=$(cd "$root" && PULLTHROUGH_RENDERED_DIR=$tmp/rendered PULLTHROUGH_CRDS_DIR=$crds go test -count=1 -run "$tests" ./deploy 2>&1); then
	echo "$out" >&2
	fail "a rendering is refused: the test output above names the variant, the object and the field"
fi

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
refused "the node agent's hostPath is absolute" "hostPath" --set nodeConfig.enabled=true --set nodeConfig.hostPath=etc/certs.d
refused "the node agent needs a namespace that admits it, never the release namespace by default" "namespace" \
	--set nodeConfig.enabled=true --set nodeConfig.namespace=
refused "the proxy's CA comes from a ConfigMap or a Secret, not both" "caBundle" \
	--set proxyHealth.caBundle.configMap.name=a --set proxyHealth.caBundle.configMap.key=k \
	--set proxyHealth.caBundle.secret.name=b --set proxyHealth.caBundle.secret.key=k
refused "a server dry run needs apply" "serverDryRun" \
	--set migrator.enabled=true --set migrator.serverDryRun=true
refused "verify checks what a forward run moves to the proxy; undo moves images away" "migrator.verify with migrator.undo" \
	--set migrator.enabled=true --set migrator.verify=true --set migrator.undo=true
refused "enforce with the placeholder proxy would send every pod to a host that does not exist" \
	"example hosts (proxy.example.internal/dockerhub" --set config.mode=enforce
refused "enforce with any documented example host" "harbor.corp.example/ghcr" --set config.mode=enforce \
	--set 'config.mirrors[0].source=ghcr.io' --set 'config.mirrors[0].target=harbor.corp.example/ghcr'
refused "an example host under case, a port and a trailing dot (as cmd/pullthrough's exampleTargets sees it)" \
	"example hosts (Proxy.INVALID.:8443/ghcr" --set config.mode=enforce \
	--set 'config.mirrors[0].source=ghcr.io' --set 'config.mirrors[0].target=Proxy.INVALID.:8443/ghcr'
refused "the replicated Secret is one the pods are given" "is not one of config.imagePullSecrets" \
	--set pullSecrets.replicate.enabled=true --set pullSecrets.replicate.name=other
refused "servedCheck.pullSecret is a Secret's name" "pullSecret" --set servedCheck.pullSecret=Not_A_Name
refused "two ports on one number collide" "webhook.ports" --set webhook.ports.metrics=8081
refused "podLabels cannot override the chart's own" "podLabels" --set 'podLabels.pullthrough\.dev/skip=false'
refused "a ServiceAccount among the metrics readers needs its namespace" "namespace" --set metrics.secure.enabled=true \
	--set-json 'metrics.secure.readers=[{"kind":"ServiceAccount","name":"prometheus"}]'
refused "matchConditions need a name and an expression" "matchConditions" --set 'webhook.matchConditions[0].name=x'
refused "the policy engine needs Kubernetes 1.36" "1.36" --set engine=policy --kube-version 1.35.4 \
	--api-versions admissionregistration.k8s.io/v1/MutatingAdmissionPolicy
refused "the policy engine needs the API served" "MutatingAdmissionPolicy" --set engine=policy --kube-version 1.37.2
refused "engine is webhook or policy" "engine" --set engine=cel
refused "policy.guard is off, warn or deny" "guard" --set engine=policy --set policy.guard=block "${policy_caps[@]}"

log "5. promtool test rules on the PrometheusRule (deploy/prometheus/alerts_test.yaml)"
promtool=$("$root/hack/promtool.sh") || fail "fetching promtool (hack/promtool.sh)"
mkdir "$tmp/rules"
# The rules file is the PrometheusRule's spec (groups:), lifted out of the object.
template --set metrics.prometheusRule.enabled=true --set 'metrics.prometheusRule.migratedRegistries={docker.io}' --set metrics.podImages.enabled=true \
	--set metrics.pullFailures.enabled=true \
	--show-only templates/prometheusrule.yaml | awk 'found { print substr($0, 3) } /^spec:$/ { found = 1 }' >"$tmp/rules/rules.yaml" ||
	fail "template, the PrometheusRule"
cp "$root/deploy/prometheus/alerts_test.yaml" "$tmp/rules/"
"$promtool" check rules "$tmp/rules/rules.yaml" >/dev/null || fail "promtool check rules"
(cd "$tmp/rules" && "$promtool" test rules alerts_test.yaml) >&2 || fail "promtool test rules deploy/prometheus/alerts_test.yaml"
# Every query of the rules and of the dashboard parses and names an exported metric.
if ! out=$(cd "$root/hack/tools/promql" && GOFLAGS='' PULLTHROUGH_RULES=$tmp/rules/rules.yaml go test -count=1 . 2>&1); then
	echo "$out" >&2
	fail "a query of the PrometheusRule or the dashboard (hack/tools/promql)"
fi

log "6. the chart's README is what helm-docs generates from values.yaml"
helm_docs=$(go_tool helm-docs github.com/norwoodj/helm-docs/cmd/helm-docs "$HELM_DOCS_VERSION") ||
	fail "building helm-docs $HELM_DOCS_VERSION"
cp -r "$chart" "$tmp/chart"
"$helm_docs" --chart-search-root "$tmp/chart" --log-level warning >&2 || fail "helm-docs"
diff -u "$chart/README.md" "$tmp/chart/README.md" >&2 || fail "deploy/charts/pullthrough/README.md is stale: run make chart-docs"

log "7. deploy/manifests up to date"
"$root/hack/render-manifests.sh" --check || fail "deploy/manifests is stale: run hack/render-manifests.sh"

log "ok"
