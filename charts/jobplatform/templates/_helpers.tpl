{{/* Names: every object is "<fullname>-<component>". */}}
{{- define "jobplatform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jobplatform.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains (include "jobplatform.name" .) .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "jobplatform.name" .) | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; "component" says which process. */}}
{{- define "jobplatform.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{ include "jobplatform.selectorLabels" . }}
{{- end -}}

{{/* The platform's pods carry part-of: the NetworkPolicies admit exactly these. */}}
{{- define "jobplatform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jobplatform.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: jobplatform
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "jobplatform.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The Secrets the platform's URLs come from: the user's, or the bundled stores'. */}}
{{- define "jobplatform.credentialsSecret" -}}
{{- .Values.bundled.existingSecret | default (printf "%s-bundled-credentials" (include "jobplatform.fullname" .)) -}}
{{- end -}}

{{/* The Secret the run-ticket signing key comes from: the user's, or the generated one. */}}
{{- define "jobplatform.runTicketsSecret" -}}
{{- .Values.runTickets.existingSecret | default (printf "%s-run-tickets" (include "jobplatform.fullname" .)) -}}
{{- end -}}

{{/* The run-ticket signing key, for the two processes that use it: the relay signs, the workers
check. No other process gets it; nothing at all when run tickets are off. */}}
{{- define "jobplatform.runTicketEnv" -}}
{{- if .Values.runTickets.enabled }}
- name: JOBPLATFORM_RUN_TICKET_KEY
  valueFrom:
    secretKeyRef: {name: {{ include "jobplatform.runTicketsSecret" . }}, key: {{ .Values.runTickets.key | quote }}}
{{- end }}
{{- end -}}

{{- define "jobplatform.redisHost" -}}
{{ include "jobplatform.fullname" . }}-redis
{{- end -}}

{{- define "jobplatform.postgresHost" -}}
{{ include "jobplatform.fullname" . }}-postgres
{{- end -}}

{{/* Environment of every platform process: settings from the values (a change rolls the pods;
no ConfigMap, so the pre-install migration hook has everything it needs), URLs from Secrets. */}}
{{- define "jobplatform.env" -}}
{{- if .Values.bundled.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "jobplatform.credentialsSecret" . }}, key: redis-password}
- name: POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "jobplatform.credentialsSecret" . }}, key: postgres-password}
- name: JOBPLATFORM_REDIS_URL
  value: redis://jobplatform:$(REDIS_PASSWORD)@{{ include "jobplatform.redisHost" . }}:6379/0
- name: JOBPLATFORM_DATABASE_URL
  value: postgresql://jobplatform:$(POSTGRES_PASSWORD)@{{ include "jobplatform.postgresHost" . }}:5432/jobplatform
{{- else }}
- name: JOBPLATFORM_REDIS_URL
  valueFrom:
    secretKeyRef: {name: {{ required "redis.existingSecret is required when bundled.enabled is false" .Values.redis.existingSecret }}, key: {{ .Values.redis.urlKey }}}
- name: JOBPLATFORM_DATABASE_URL
  valueFrom:
    secretKeyRef: {name: {{ required "postgres.existingSecret is required when bundled.enabled is false" .Values.postgres.existingSecret }}, key: {{ .Values.postgres.urlKey }}}
{{- end }}
- name: JOBPLATFORM_METRICS_PORT
  value: {{ .Values.metricsPort | quote }}
{{- range $k, $v := .Values.config }}
- name: {{ $k }}
  value: {{ $v | toString | quote }}
{{- end }}
{{- end -}}

{{/* Volumes every platform pod has: /tmp (the only writable path) and the CAs, if any. */}}
{{- define "jobplatform.volumes" -}}
- name: tmp
  emptyDir: {}
{{- if .Values.redis.tls.caSecret }}
- name: redis-ca
  secret: {secretName: {{ .Values.redis.tls.caSecret }}}
{{- end }}
{{- if .Values.postgres.tls.caSecret }}
- name: db-ca
  secret: {secretName: {{ .Values.postgres.tls.caSecret }}}
{{- end }}
{{- end -}}

{{/* Where the stored files live in a pod: the storage root the processes are given. */}}
{{- define "jobplatform.storageRoot" -}}
{{- .Values.config.JOBPLATFORM_STORAGE_ROOT | default "/var/lib/jobplatform/storage" -}}
{{- end -}}

{{/* The stored files' volume: the given claim, the chart's claim, or (neither) a pod's own
emptyDir, which web and the workers do not share. */}}
{{- define "jobplatform.storageVolume" -}}
- name: storage
{{- if .Values.storage.existingClaim }}
  persistentVolumeClaim: {claimName: {{ .Values.storage.existingClaim }}}
{{- else if .Values.storage.persistence.enabled }}
  persistentVolumeClaim: {claimName: {{ include "jobplatform.fullname" . }}-storage}
{{- else }}
  emptyDir: {}
{{- end }}
{{- end -}}

{{/* "true" when a worker pool consuming these queues needs the stored files: the heavy queue
(CSV imports, reports) and the scheduled queue (the upload cleanup). Jobs of the other queues
(email, webhooks, audit) never touch them. */}}
{{- define "jobplatform.queuesUseStorage" -}}
{{- $uses := false -}}
{{- range . }}{{ if has . (list "heavy" "scheduled") }}{{ $uses = true }}{{ end }}{{ end -}}
{{- if $uses }}true{{ end -}}
{{- end -}}

{{- define "jobplatform.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.redis.tls.caSecret }}
- name: redis-ca
  mountPath: /etc/jobplatform/redis-ca
  readOnly: true
{{- end }}
{{- if .Values.postgres.tls.caSecret }}
- name: db-ca
  mountPath: /etc/jobplatform/db-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* The pod-level settings every platform pod shares. No process but the operator talks to
the Kubernetes API, so no other pod gets a token. */}}
{{- define "jobplatform.podSpecCommon" -}}
serviceAccountName: {{ include "jobplatform.fullname" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* One platform container: name, image, args, env, the secure context and /tmp; with
storage, the stored files' volume too; with runTickets, the run-ticket signing key. */}}
{{- define "jobplatform.container" -}}
{{- $root := .root -}}
- name: {{ .name }}
  image: {{ include "jobplatform.image" $root }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  args: {{ toJson .args }}
  env:
    {{- include "jobplatform.env" $root | nindent 4 }}
    {{- if .runTickets }}
    {{- include "jobplatform.runTicketEnv" $root | nindent 4 }}
    {{- end }}
    {{- range $k, $v := (.env | default dict) }}
    - name: {{ $k }}
      value: {{ $v | quote }}
    {{- end }}
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
  volumeMounts:
    {{- include "jobplatform.volumeMounts" $root | nindent 4 }}
    {{- if .storage }}
    - name: storage
      mountPath: {{ include "jobplatform.storageRoot" $root }}
    {{- end }}
  {{- with .resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
