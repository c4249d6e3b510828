#!/usr/bin/env python3
"""Render Prometheus alert templates with promtool: reads JSON cases
[{"t": template, "v": value, "l": {labels}}] on stdin, prints JSON results."""
import json, subprocess, sys, re, os, tempfile
allcases = json.load(sys.stdin)
def run(cases):
  d = tempfile.mkdtemp()
  rules = ["groups:", "- name: g", "  rules:"]
  series = []
  tests = []
  for i, c in enumerate(cases):
      rules += [f"  - alert: A{i}", f"    expr: m{{case=\"{i}\"}}", "    annotations:", f"      a: {json.dumps(c['t'])}"]
      lbl = dict(c.get('l', {})); lbl['case'] = str(i)
      ls = ",".join(f'{k}={json.dumps(v)}' for k, v in sorted(lbl.items()))
      series.append(f"  - series: {json.dumps('m{'+ls+'}')}\n    values: {json.dumps(str(c.get('v','1')))}")
      tests.append(f"  - eval_time: 0m\n    alertname: A{i}\n    exp_alerts: [{{exp_labels: {{nomatch: x}}}}]")
  open(os.path.join(d, "r.yml"), "w").write("\n".join(rules) + "\n")
  open(os.path.join(d, "t.yml"), "w").write("rule_files: [r.yml]\nevaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series:\n" + "\n".join(series) + "\n  alert_rule_test:\n" + "\n".join(tests) + "\n")
  p = subprocess.run(["promtool", "test", "rules", os.path.join(d, "t.yml")], capture_output=True, text=True)
  out = p.stdout + p.stderr
  def unq(s):
      r = []; i = 0
      while i < len(s):
          ch = s[i]
          if ch != '\\': r.append(ch); i += 1; continue
          n = s[i+1]
          if n in 'nt"\\rabfv': r.append({'n':'\n','t':'\t','"':'"','\\':'\\','r':'\r','a':'\a','b':'\b','f':'\f','v':'\v'}[n]); i += 2
          elif n == 'x': r.append(chr(int(s[i+2:i+4],16))); i += 4
          elif n == 'u': r.append(chr(int(s[i+2:i+6],16))); i += 6
          elif n == 'U': r.append(chr(int(s[i+2:i+10],16))); i += 10
          else: r.append(n); i += 2
      return "".join(r)
  res = {}
  for m in re.finditer(r'alertname: A(\d+), time: .*?got:\[(.*?)\]\s*$', out, re.S | re.M):
      i = int(m.group(1)); got = m.group(2)
      a = re.search(r'Annotations:\{a="((?:[^"\\]|\\.)*)"\}', got)
      res[i] = unq(a.group(1)) if a else None
  if not res:
      print(out, file=sys.stderr)
  return res, out
res, out = run(allcases)
perr = {}
for m in re.finditer(r'rule (\d+), "A(\d+)": annotation "a": (.*)$', out, re.M):
    perr[int(m.group(2))] = m.group(3)
rest = list(range(len(allcases)))
if perr:
    rest = [i for i in range(len(allcases)) if i not in perr]
    r2, out2 = run([allcases[i] for i in rest])
    res = {rest[j]: v for j, v in r2.items()}
    if not r2: print(out2, file=sys.stderr)
final = []
for i, c in enumerate(allcases):
    c = dict(c)
    if i in perr: c["parse_err"] = perr[i]; c["name"] = f"A{i}"; c["case"] = str(i)
    else:
        c["want"] = res.get(i)
        j = rest.index(i) if perr else i
        c["name"] = f"A{j}"; c["case"] = str(j)
    final.append(c)
print(json.dumps(final, ensure_ascii=False, indent=1))
