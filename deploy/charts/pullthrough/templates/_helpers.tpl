{{/*
Name prefix of every object. Truncated to 40 characters to leave room for the
suffixes of names that must stay 63-character labels: the Service's (a DNS
label) and the migrator Job's (a pod label value).
*/}}
{{- define "pullthrough.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Names derived from the prefix, defined once because flags and RBAC rules repeat them. */}}
{{- define "pullthrough.tlsSecretName" -}}{{ include "pullthrough.fullname" . }}-webhook-tls{{- end -}}
{{- define "pullthrough.migratorName" -}}{{ include "pullthrough.fullname" . }}-migrator{{- end -}}
{{- define "pullthrough.nodeconfigName" -}}{{ include "pullthrough.fullname" . }}-nodeconfig{{- end -}}

{{/*
The migrator Job's name: a hash of its spec, the config it reads and
migrator.runId (migrator-job.yaml says why). Called with (dict "root" $ "spec" SPEC).
*/}}
{{- define "pullthrough.migratorJobName" -}}
{{- $root := .root -}}
{{- $inputs := list .spec (include "pullthrough.config" $root) (toString $root.Values.migrator.runId) -}}
{{- printf "%s-migrate-%s" (include "pullthrough.fullname" $root) (join "\n---\n" $inputs | sha256sum | trunc 10) -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "pullthrough.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector of the webhook pods: stable across upgrades, as a Deployment's selector is immutable. */}}
{{- define "pullthrough.webhookSelector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{/*
Labels of every pod the chart runs: podLabels, then pullthrough.dev/skip,
which keeps them away from the webhook even if the release namespace's
exclusion were lost: the webhook must never depend on itself (or on the
proxy) to start. The schema keeps podLabels off the keys the chart sets.
*/}}
{{- define "pullthrough.podLabels" -}}
{{- with .Values.podLabels }}{{ toYaml . }}
{{ end -}}
pullthrough.dev/skip: "true"
{{- end -}}

{{/* The image reference: repository:tag, with @digest when one is pinned. */}}
{{- define "pullthrough.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
Namespaces the webhook configuration never matches and the config excludes:
the release namespace, always, then excludedNamespaces. One list for both, so
the migrator (which reads only the config) leaves alone what the webhook
never sees.
*/}}
{{- define "pullthrough.excludedNamespaces" -}}
{{- prepend .Values.excludedNamespaces .Release.Namespace | uniq | toJson -}}
{{- end -}}

{{/* The config file as the pods read it: values.config plus the excluded namespaces. */}}
{{- define "pullthrough.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $exclude := get $config "exclude" | default dict -}}
{{- $namespaces := concat (include "pullthrough.excludedNamespaces" . | fromJsonArray) ($exclude.namespaces | default list) | uniq -}}
{{- $_ := set $exclude "namespaces" $namespaces -}}
{{- $_ := set $config "exclude" $exclude -}}
{{- $ca := .Values.proxyHealth.caBundle -}}
{{- if and $ca (get $config "proxyHealth") -}}
{{- $_ := set $config.proxyHealth "caBundle" (printf "%s/%s" (include "pullthrough.caBundleDir" .) (include "pullthrough.caBundleKey" .)) -}}
{{- end -}}
{{- if include "pullthrough.servedPullSecret" . -}}
{{- $served := get $config "servedCheck" | default dict -}}
{{- $_ := set $served "dockerConfig" (printf "%s/.dockerconfigjson" (include "pullthrough.proxyLoginDir" .)) -}}
{{- $_ := set $config "servedCheck" $served -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/*
The Secret whose login the served check sends to the proxy (servedCheck.pullSecret,
else the first of config.imagePullSecrets), mounted into the webhook pods; ""
when there is none to mount: "-", no imagePullSecrets, engine: policy, the check
off, or a config.servedCheck.dockerConfig of the user's own.
*/}}
{{- define "pullthrough.servedPullSecret" -}}
{{- $served := .Values.config.servedCheck | default dict -}}
{{- $name := .Values.servedCheck.pullSecret | default (first (.Values.config.imagePullSecrets | default list)) | default "" -}}
{{- if and $name (ne $name "-") (include "pullthrough.webhookEngine" .) (ne (toString (get $served "enabled")) "false") (not (get $served "dockerConfig")) -}}
{{- $name -}}
{{- end -}}
{{- end -}}
{{- define "pullthrough.proxyLoginDir" -}}/etc/pullthrough/proxy-login{{- end -}}

{{/*
The shared verdict record's ConfigMap (verdictRecord), and the Role its writers
are bound to. "pullthrough.verdictRecord" is "true" when it is on: only with
engine: webhook, since the policy engine's policies read no record.
*/}}
{{- define "pullthrough.verdictRecord" -}}{{ if and .Values.verdictRecord.enabled (include "pullthrough.webhookEngine" .) }}true{{ end }}{{- end -}}
{{- define "pullthrough.verdictRecordName" -}}{{ include "pullthrough.fullname" . }}-verdicts{{- end -}}
{{- define "pullthrough.verdictWriterRole" -}}{{ include "pullthrough.fullname" . }}-verdicts-writer{{- end -}}

{{/*
Where the webhook mounts proxyHealth.caBundle, and the key of the ConfigMap or
Secret that holds it.
*/}}
{{- define "pullthrough.caBundleDir" -}}
/etc/pullthrough/proxy-ca
{{- end -}}
{{- define "pullthrough.caBundleKey" -}}
{{- $ca := .Values.proxyHealth.caBundle -}}
{{- if $ca.configMap }}{{ $ca.configMap.key }}{{ else }}{{ $ca.secret.key }}{{ end -}}
{{- end -}}

{{/*
The volume of proxyHealth.caBundle and its mount, in every pod whose config
names it (config.proxyHealth.caBundle): the webhook's probe reads it, and so
does the migrator's --verify. Empty without a caBundle.
*/}}
{{- define "pullthrough.proxyCAVolume" -}}
{{- with .Values.proxyHealth.caBundle -}}
# The proxy's private CA (config.proxyHealth.caBundle).
- name: proxy-ca
  {{- if .configMap }}
  configMap:
    name: {{ .configMap.name }}
  {{- else }}
  secret:
    secretName: {{ .secret.name }}
  {{- end }}
{{- end -}}
{{- end -}}
{{- define "pullthrough.proxyCAVolumeMount" -}}
{{- if .Values.proxyHealth.caBundle -}}
- name: proxy-ca
  mountPath: {{ include "pullthrough.caBundleDir" . }}
  readOnly: true
{{- end -}}
{{- end -}}

{{/* imagePullSecrets of the chart's own pods; empty when none are set. */}}
{{- define "pullthrough.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* Paths inside the pods. */}}
{{- define "pullthrough.configDir" -}}/etc/pullthrough/config{{- end -}}
{{- define "pullthrough.configFile" -}}{{ include "pullthrough.configDir" . }}/config.yaml{{- end -}}
{{- define "pullthrough.certDir" -}}/etc/pullthrough/certs{{- end -}}

{{/*
Mirror targets whose host is a documented example name: a label "example"
(RFC 2606's example TLD and example.com, the chart's own
proxy.example.internal, harbor.corp.example in the docs) or the TLD
"invalid". No pull can succeed from such a host, so enforce with one of them
would point every new pod of the cluster at a proxy that does not exist. The
binary's startup warning (cmd/pullthrough, exampleTargets) uses the same rule
on the registry's identity (rewrite.SplitPrefix), which a template cannot
call: the host before the first "/", lower-cased, without its port and a
trailing dot. Cutting at the first ":" also cuts an IPv6 literal short, which
is harmless: no address is an example name either way. hack/lint-chart.sh
holds the chart to the binary's cases (case, port, trailing dot). Prints a
JSON list.
*/}}
{{- define "pullthrough.exampleTargets" -}}
{{- $found := list -}}
{{- range .Values.config.mirrors -}}
{{- $host := splitList "/" .target | first | splitList ":" | first | lower | trimSuffix "." -}}
{{- $labels := splitList "." $host -}}
{{- if or (has "example" $labels) (eq (last $labels) "invalid") -}}
{{- $found = append $found .target -}}
{{- end -}}
{{- end -}}
{{- toJson $found -}}
{{- end -}}

{{/*
Refuses values the schema cannot: enforce with mirrors that still point at
an example host, which would break the cluster's pulls (the migrator follows
config.mode, so in audit it patches nothing either), the policy engine on a
cluster that cannot run it (read from .Capabilities: the API server's version
and served APIs at install; helm template needs --kube-version and
--api-versions), and ports that collide.
*/}}
{{- define "pullthrough.validate" -}}
{{- $examples := include "pullthrough.exampleTargets" . | fromJsonArray -}}
{{- if and $examples (eq .Values.config.mode "enforce") -}}
{{- fail (printf "config.mode=enforce with config.mirrors still pointing at example hosts (%s): every new pod would pull from a proxy that does not exist. Set config.mirrors[].target to your proxy first (docs/install.md)" (join ", " $examples)) -}}
{{- end -}}
{{- if eq .Values.engine "policy" -}}
{{- if not (semverCompare ">=1.36.0-0" .Capabilities.KubeVersion.Version) -}}
{{- fail (printf "engine=policy needs Kubernetes 1.36 or later (MutatingAdmissionPolicy in admissionregistration.k8s.io/v1); this cluster is %s: use engine=webhook" .Capabilities.KubeVersion.Version) -}}
{{- end -}}
{{- if not (.Capabilities.APIVersions.Has "admissionregistration.k8s.io/v1/MutatingAdmissionPolicy") -}}
{{- fail "engine=policy: the API server does not serve admissionregistration.k8s.io/v1 MutatingAdmissionPolicy (a 1.36+ API server with the API disabled?): use engine=webhook" -}}
{{- end -}}
{{- end -}}
{{- $p := .Values.webhook.ports -}}
{{- /* Compared as text: --set gives an int64, values.yaml a float64. */ -}}
{{- if ne (list (toString $p.webhook) (toString $p.metrics) (toString $p.health) | uniq | len) 3 -}}
{{- fail (printf "webhook.ports must be three different ports: webhook %v, metrics %v, health %v" $p.webhook $p.metrics $p.health) -}}
{{- end -}}
{{- end -}}

{{/*
Tolerations of the webhook pods: on the host network they must run on nodes
whose CNI is not up yet (not-ready, network-unavailable), which is the point
of the bootstrap; then webhook.tolerations.
*/}}
{{- define "pullthrough.webhookTolerations" -}}
{{- $tolerations := list -}}
{{- if .Values.webhook.hostNetwork -}}
{{- range list "node.kubernetes.io/not-ready" "node.kubernetes.io/network-unavailable" -}}
{{- $tolerations = append $tolerations (dict "key" . "operator" "Exists" "effect" "NoSchedule") -}}
{{- end -}}
{{- $tolerations = append $tolerations (dict "key" "node.kubernetes.io/not-ready" "operator" "Exists" "effect" "NoExecute") -}}
{{- end -}}
{{- with concat $tolerations .Values.webhook.tolerations -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}

{{/* "true" when the rewrite runs in the webhook (engine: webhook), else "". */}}
{{- /* "true" when some mirror has a namespaceSelector: the webhook then
watches namespaces (their labels pick the mirror), with its own RBAC. */}}
{{- define "pullthrough.selectsNamespaceLabels" -}}
{{- range .Values.config.mirrors }}{{ if .namespaceSelector }}true{{ end }}{{ end }}
{{- end -}}

{{- define "pullthrough.webhookEngine" -}}{{ if eq .Values.engine "webhook" }}true{{ end }}{{- end -}}
{{- define "pullthrough.policyClusterRole" -}}{{ include "pullthrough.fullname" . }}-policy{{- end -}}

{{/*
A ClusterRole and its binding that let the webhook's ServiceAccount list and
watch one core resource across the cluster, for an opt-in informer:
pods for metrics.podImages, events for metrics.pullFailures. Nothing else:
they read, never write. Called with (dict "root" $ "suffix" NAME "resource" R).
*/}}
{{- define "pullthrough.watchRBAC" -}}
{{- $fullname := include "pullthrough.fullname" .root -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ $fullname }}-{{ .suffix }}
  labels:
    {{- include "pullthrough.labels" .root | nindent 4 }}
    app.kubernetes.io/component: webhook
rules:
  - apiGroups: [""]
    resources: [{{ .resource | quote }}]
    verbs: ["list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ $fullname }}-{{ .suffix }}
  labels:
    {{- include "pullthrough.labels" .root | nindent 4 }}
    app.kubernetes.io/component: webhook
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ $fullname }}-{{ .suffix }}
subjects:
  - kind: ServiceAccount
    name: {{ $fullname }}
    namespace: {{ .root.Release.Namespace }}
{{- end -}}


{{/*
The Secret pullSecrets.replicate copies ("" when it is off): its name, else the
first of config.imagePullSecrets; a name the pods are not given is refused.
*/}}
{{- define "pullthrough.replicatedSecret" -}}
{{- if .Values.pullSecrets.replicate.enabled -}}
{{- $names := .Values.config.imagePullSecrets | default list -}}
{{- $name := .Values.pullSecrets.replicate.name | default (first $names) -}}
{{- if not (has $name $names) -}}
{{- fail (printf "pullSecrets.replicate: %q is not one of config.imagePullSecrets %v, which the pods are given" ($name | default "") $names) -}}
{{- end -}}
{{- $name -}}
{{- end -}}
{{- end -}}
{{/* Whether the webhook checks the pull secrets: asked, and there are some to check. */}}
{{- define "pullthrough.checkPullSecrets" -}}
{{- if and .Values.pullSecrets.check .Values.config.imagePullSecrets (include "pullthrough.webhookEngine" .) }}true{{ end -}}
{{- end -}}
{{- define "pullthrough.replicatorClusterRole" -}}{{ include "pullthrough.fullname" . }}-pull-secret-replicator{{- end -}}
