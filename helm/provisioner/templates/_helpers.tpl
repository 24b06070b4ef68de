{{/*
Names, labels and the fixed paths of the chart. The paths are constants, not values: the
container's arguments and PROVISIONER_* variables are built from them, and
helm/tests/check_chart.py checks that the rendered mounts match.
*/}}

{{/* Where the ConfigMap (provisioner.toml, policy.toml, accounts/) is mounted. */}}
{{- define "provisioner.configDir" -}}/etc/provisioner{{- end }}
{{/* Where the Secret (creds file, signing key seeds) is mounted. */}}
{{- define "provisioner.secretDir" -}}/var/run/secrets/provisioner{{- end }}
{{/* Where the NATS TLS Secret is mounted. */}}
{{- define "provisioner.tlsDir" -}}/var/run/secrets/provisioner-tls{{- end }}
{{/* Where the agent's creds Secret is mounted. */}}
{{- define "provisioner.agentSecretDir" -}}/var/run/secrets/agent{{- end }}
{{/* File names inside those directories. */}}
{{- define "provisioner.configFile" -}}provisioner.toml{{- end }}
{{- define "provisioner.policyFile" -}}policy.toml{{- end }}
{{- define "provisioner.credsFile" -}}provisioner.creds{{- end }}
{{- define "provisioner.nkeysDir" -}}nkeys{{- end }}
{{- define "provisioner.calloutIssuerFile" -}}callout-issuer.nk{{- end }}
{{- define "provisioner.calloutXkeyFile" -}}callout.xk{{- end }}
{{- define "provisioner.agentCredsFile" -}}agent.creds{{- end }}

{{- define "provisioner.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "provisioner.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of the agent's resources. */}}
{{- define "provisioner.agentName" -}}
{{- printf "%s-agent" (include "provisioner.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{- define "provisioner.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "provisioner.labels" -}}
helm.sh/chart: {{ include "provisioner.chart" . }}
app.kubernetes.io/name: {{ include "provisioner.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: nats-provisioner
{{- end }}

{{/* Selector labels of the provisioner pods. */}}
{{- define "provisioner.selectorLabels" -}}
app.kubernetes.io/name: {{ include "provisioner.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: provisioner
{{- end }}

{{/* Selector labels of the agent pods. */}}
{{- define "provisioner.agentSelectorLabels" -}}
app.kubernetes.io/name: {{ include "provisioner.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: agent
{{- end }}

{{- define "provisioner.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "provisioner.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "provisioner.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "provisioner.secretName" -}}
{{- .Values.secret.name }}
{{- end }}

{{/*
Public keys of the signing keys whose seeds are mounted, as a JSON list, sorted and
without duplicates: those the policy names by `public_key = "A…"` (when
secret.signingKeysFromPolicy), secret.signingKeys and, for a Secret made from values,
the keys of secret.seeds.
*/}}
{{- define "provisioner.signingKeys" -}}
{{- $keys := list }}
{{- if .Values.secret.signingKeysFromPolicy }}
{{- range regexFindAll "public_key\\s*=\\s*\"A[A-Z2-7]{55}\"" (.Values.policy | default "") -1 }}
{{- $keys = append $keys (regexFind "A[A-Z2-7]{55}" .) }}
{{- end }}
{{- end }}
{{- range .Values.secret.signingKeys }}
{{- $keys = append $keys . }}
{{- end }}
{{- if .Values.secret.create }}
{{- range $key, $_ := .Values.secret.seeds }}
{{- $keys = append $keys $key }}
{{- end }}
{{- end }}
{{- $keys | uniq | sortAlpha | toJson }}
{{- end }}

{{/* Where nsc keeps the seed of public key `.`: keys/A/<chars 2-3>/<key>.nk. */}}
{{- define "provisioner.nscSeedPath" -}}
{{- printf "%s/keys/%s/%s/%s.nk" (include "provisioner.nkeysDir" "") (substr 0 1 .) (substr 1 3 .) . }}
{{- end }}

{{/* PROVISIONER_ACCOUNT_JWT: the mounted account JWT files, comma-separated. */}}
{{- define "provisioner.accountJwtPaths" -}}
{{- $dir := include "provisioner.configDir" . }}
{{- $paths := list }}
{{- range $name := keys .Values.accounts | sortAlpha }}
{{- $paths = append $paths (printf "%s/accounts/%s.jwt" $dir $name) }}
{{- end }}
{{- join "," $paths }}
{{- end }}

{{/* A TOML value: strings quoted (JSON escapes are TOML escapes), numbers as integers. */}}
{{- define "provisioner.tomlValue" -}}
{{- if kindIs "string" . }}
{{- toJson . }}
{{- else if or (kindIs "float64" .) (kindIs "int" .) (kindIs "int64" .) }}
{{- int64 . }}
{{- else if kindIs "bool" . }}
{{- . }}
{{- else }}
{{- fail (printf "config: unsupported value %v" .) }}
{{- end }}
{{- end }}

{{/* Egress rules of the NetworkPolicies: DNS, the NATS servers, networkPolicy.extraEgress. */}}
{{- define "provisioner.networkPolicyEgress" -}}
{{- $np := .Values.networkPolicy }}
{{- if $np.dns }}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}
- ports:
    {{- range $np.nats.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $np.nats.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- with $np.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The portal (portal.enabled): where its ConfigMap is mounted, its file, its CA dir. */}}
{{- define "provisioner.portalConfigDir" -}}/etc/portal{{- end }}
{{- define "provisioner.portalConfigFile" -}}portal.toml{{- end }}
{{- define "provisioner.portalCaDir" -}}/etc/portal-ca{{- end }}

{{/* Name of the portal's resources. */}}
{{- define "provisioner.portalName" -}}
{{- printf "%s-portal" (include "provisioner.fullname" . | trunc 56 | trimSuffix "-") }}
{{- end }}

{{/* Selector labels of the portal pods. */}}
{{- define "provisioner.portalSelectorLabels" -}}
app.kubernetes.io/name: {{ include "provisioner.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: portal
{{- end }}

{{/* The portal's image: portal.image, each empty field taken from image. */}}
{{- define "provisioner.portalImage" -}}
{{- $p := .Values.portal.image }}
{{- $repository := default .Values.image.repository $p.repository }}
{{- $digest := default .Values.image.digest $p.digest }}
{{- if $digest }}
{{- printf "%s@%s" $repository $digest }}
{{- else }}
{{- printf "%s:%s" $repository (default (default .Chart.AppVersion .Values.image.tag) $p.tag) }}
{{- end }}
{{- end }}

{{/* Items of the provisioner's ConfigMap that the portal reads: the policy and JWKS files. */}}
{{- define "provisioner.policyItems" -}}
- key: {{ include "provisioner.policyFile" . }}
  path: {{ include "provisioner.policyFile" . }}
{{- range $name := keys .Values.oidc.jwksFiles | sortAlpha }}
- key: jwks-{{ $name }}
  path: {{ $name }}
{{- end }}
{{- end }}
