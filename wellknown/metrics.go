package wellknown

// Metrics of the webhook (`pullthrough webhook`).
const (
	MetricImages                 = "pullthrough_images_total"
	MetricAdmissionRequests      = "pullthrough_admission_requests_total"
	MetricAdmissionDuration      = "pullthrough_admission_duration_seconds"
	MetricAdmissionInternalError = "pullthrough_admission_internal_errors_total"
	MetricConfigReloads          = "pullthrough_config_reloads_total"
	MetricConfigLastReloadOK     = "pullthrough_config_last_reload_successful"
	MetricProxyUp                = "pullthrough_proxy_up"
	MetricProxyTransitions       = "pullthrough_proxy_transitions_total"
	MetricProxyProbes            = "pullthrough_proxy_probes_total"
	MetricServedChecks           = "pullthrough_served_checks_total"
	MetricServedVerdicts         = "pullthrough_served_verdicts"
	MetricVerdictRecordErrors    = "pullthrough_verdict_record_errors_total"
)

// Metrics of the pull-secret check and replicator (`--check-pull-secrets`
// and `--replicate-pull-secret` of `pullthrough webhook`).
const (
	MetricPullSecretWrites      = "pullthrough_pull_secret_writes_total"
	MetricPullSecretWatchErrors = "pullthrough_pull_secret_watch_errors_total"
)

// Metrics of the running-pods gauge (`--pod-images` of `pullthrough webhook`
// or of `pullthrough policy --apply --watch`).
const (
	MetricPodImages            = "pullthrough_pod_images"
	MetricPodImagesWatchErrors = "pullthrough_pod_images_watch_errors_total"
)

// Metrics of the failed pulls of proxied images, from the kubelet's events
// (`--pull-failures` of `pullthrough webhook`).
const (
	MetricPullFailures            = "pullthrough_pull_failures_total"
	MetricPullFailuresWatchErrors = "pullthrough_pull_failures_watch_errors_total"
)

// Metrics of the node agent (`pullthrough nodeconfig --watch`).
const (
	MetricNodeconfigFilesWritten    = "pullthrough_nodeconfig_files_written_total"
	MetricNodeconfigFilesRemoved    = "pullthrough_nodeconfig_files_removed_total"
	MetricNodeconfigSyncs           = "pullthrough_nodeconfig_syncs_total"
	MetricNodeconfigLastSyncOK      = "pullthrough_nodeconfig_last_sync_successful"
	MetricNodeconfigLastSuccessTime = "pullthrough_nodeconfig_last_sync_success_timestamp_seconds"
	MetricNodeconfigFiles           = "pullthrough_nodeconfig_files"
	MetricNodeconfigUnexpressed     = "pullthrough_nodeconfig_unexpressed_rules"
	MetricNodeconfigContainerdReads = "pullthrough_nodeconfig_containerd_reads_files"
)

// Metrics of the policy engine's applier (`pullthrough policy --apply --watch`).
const (
	MetricPolicyApplies     = "pullthrough_policy_applies_total"
	MetricPolicyLastApplyOK = "pullthrough_policy_last_apply_successful"
)

// Metrics of every process that serves /metrics with --metrics-secure.
const (
	MetricMetricsRequests = "pullthrough_metrics_requests_total"
)
