{{/* A Deployment of one platform process that serves metrics on .Values.metricsPort.
Arguments: root, component, args, resources, replicas (omitted: the operator owns them),
env (extra variables), strategy, terminationGracePeriodSeconds, storage (mount the stored
files' volume), runTickets (give the run-ticket signing key). */}}
{{- define "jobplatform.processDeployment" -}}
{{- $root := .root -}}
{{- $labels := dict "root" $root "component" .component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "jobplatform.fullname" $root }}-{{ .component }}
  labels:
    {{- include "jobplatform.labels" $labels | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" .replicas) }}
  replicas: {{ .replicas }}
  {{- end }}
  {{- with .strategy }}
  strategy:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "jobplatform.selectorLabels" $labels | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "jobplatform.labels" $labels | nindent 8 }}
    spec:
      {{- include "jobplatform.podSpecCommon" $root | nindent 6 }}
      {{- with .terminationGracePeriodSeconds }}
      terminationGracePeriodSeconds: {{ . }}
      {{- end }}
      containers:
        {{- $c := include "jobplatform.container" (dict "root" $root "name" .component "args" .args "resources" .resources "env" .env "storage" .storage "runTickets" .runTickets) | fromYamlArray }}
        {{- $_ := set (first $c) "ports" (list (dict "name" "metrics" "containerPort" (int $root.Values.metricsPort))) }}
        {{- toYaml $c | nindent 8 }}
      volumes:
        {{- include "jobplatform.volumes" $root | nindent 8 }}
        {{- if .storage }}
        {{- include "jobplatform.storageVolume" $root | nindent 8 }}
        {{- end }}
{{- end -}}
