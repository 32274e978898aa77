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
Labels of every pod the chart runs. pullthrough.dev/skip keeps them away from
the webhook even if the release namespace's exclusion were lost: the webhook
must never depend on itself (or on the proxy) to start.
*/}}
{{- define "pullthrough.podLabels" -}}
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
{{- toYaml $config -}}
{{- end -}}

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
Container securityContext of every pod: what the "restricted" Pod Security
Standard asks for, and a read-only root filesystem (the pods write only to
their emptyDir volumes).
*/}}
{{- define "pullthrough.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Pod securityContext; fsGroup lets the non-root user read the mounted Secret's key. */}}
{{- define "pullthrough.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
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
