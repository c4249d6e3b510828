#!/bin/sh
# Regenerates the golden files with amtool 0.25 (Debian prometheus-alertmanager 0.25.0-1).
set -e
cd "$(dirname "$0")"
r() { amtool template render --template.glob=/usr/share/prometheus/alertmanager/default.tmpl --template.glob=/usr/share/prometheus/alertmanager/email.tmpl --template.data="$PWD/data.json" "$@"; }
r --template.text='{{ template "email.default.subject" . }}' > subject.txt
r --template.text='{{ template "slack.default.title" . }}|{{ template "slack.default.titlelink" . }}|{{ template "slack.default.fallback" . }}' > slack.txt
r --template.text='{{ template "opsgenie.default.description" . }}' > opsgenie.txt
r --template.text='{{ template "pushover.default.message" . }}' > pushover.txt
r --template.text='{{ template "wechat.default.message" . }}' > wechat.txt
r --template.type=html --template.text='{{ template "email.default.html" . }}' > email.html
r --template.text="$(cat methods.tmpl)" > methods.txt
r --template.type=html --template.text="$(cat html_snippet.tmpl)" > html_snippet.txt
r --template.type=html --template.text="$(cat html_contexts.tmpl)" > html_contexts.txt
rc() { amtool template render --template.glob=/usr/share/prometheus/alertmanager/default.tmpl --template.glob=/usr/share/prometheus/alertmanager/email.tmpl --template.glob="$PWD/custom.tmpl" --template.data="$PWD/data.json" "$@"; }
rc --template.text='{{ template "custom.slack.text" . }}~{{ template "custom.title" . }}~{{ template "custom.silence" . }}~{{ template "custom.misc" . }}' > custom.txt
