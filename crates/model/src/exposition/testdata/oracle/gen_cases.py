import random, os, binascii
random.seed(42)
PROM = b'# HELP go_gc_duration_seconds A summary \\\\ of\\n pauses.\n# TYPE go_gc_duration_seconds summary\ngo_gc_duration_seconds{quantile="0"} 4.9351e-05\ngo_gc_duration_seconds{quantile="0.5",} 1.2e-04 1700000000000\n# a comment\n\ngo_gc_duration_seconds_sum 0.00 \ngo_gc_duration_seconds_count{ a="b\nc" } +Inf\n'
OM = b'# HELP a_seconds Time \\"spent\\".\n# TYPE a_seconds histogram\n# UNIT a_seconds seconds\na_seconds_bucket{le="0.1",path="/x"} 3 1.5 # {trace_id="abc"} 0.05 1.4\na_seconds_bucket{le="+Inf",path="/x"} 5\na_seconds_count{path="/x"} 5\na_seconds_sum{path="/x"} 0.7e-1\na_seconds_created{path="/x"} 1520872607.123\n# EOF\n'
alpha = b'{}=,"\\# \t\n\x00\xffaZ_:019.eE+-InfNa'
hand_prom = [b"a", b"a{b='c'} 1\n", b"a{b=\n", b"a{\xff=\"foo\"} 1\n", b"a{b=\"\xff\"} 1\n", b"a true\n", b"something_weird{problem=\"", b"empty_label_name{=\"\"} 0", b"foo 1_2\n", b"foo 0x1p-3\n", b"foo 0 1_2\n", b"{a=\"ok\"} 1", b"# TYPE #\n", b"# HELP #\n", b"a{b=\x00\"ssss\"} 1\n", b"a{b=\"\x00", b"a{b\x00=\"hiih\"}\t1", b"a\x00{b=\"ddd\"} 1", b"a 0 1\x00", b"a 1 2 3\n", b"# TYPE a bogus\n", b"# TYPE a\n", b"# HELP a \xff\n", b"a 1 -5\n", b"a 1 1.5\n", b"a 1 99999999999999999999\n", b"a 1e400\n", b"a +NaN\n", b"a{b=\"c\"}} 1\n", b"a{b=\"c\",,d=\"e\"} 1\n", b"a{b=\"c\" 1\n", b"a{b:c=\"d\"} 1\n", b"0a 1\n", b"a 1\n\x00b 2\n", b"a{b=\"c\"\x00} 1\n", b"a 1 2 \n", b"a 1\r\n", b"# HELP\n", b"# HELP \n", b"#\n", b"# TYPE a counter x\n", b"a{b=\"x\\\ny\"} 1\n"]
hand_om = [b"", b"\n", b"metric", b"metric 1", b"metric 1\n", b"metric_total 1 # {aa=\"bb\"} 4", b"a\n# EOF\n", b" a 1\n# EOF\n", b"9\n# EOF\n", b"# TYPE u untyped\n# EOF\n", b"# TYPE c counter \n# EOF\n", b"#  TYPE c counter\n# EOF\n", b"# TYPE \n# EOF\n", b"# TYPE m\n# EOF\n", b"# UNIT metric suffix\n# EOF\n", b"# UNIT m suffix\n# EOF\n", b"# UNIT \n# EOF\n", b"# UNIT m\n# EOF\n", b"# HELP m\n# EOF\n", b"a\t1\n# EOF\n", b"a 1\t2\n# EOF\n", b"a 1 2 \n# EOF\n", b"a 1 2 #\n# EOF\n", b"a 1 1z\n# EOF\n", b" # EOF\n", b"# EOF\na 1", b"# EOF\n\n", b"# EOFa 1", b"#\tTYPE c counter\n", b"# TYPE c  counter\n", b"a 1 1 1\n# EOF\n", b"a{b='c'} 1\n# EOF\n", b"a{,b=\"c\"} 1\n# EOF\n", b"a{b=\"c\"d=\"e\"} 1\n# EOF\n", b"a{b=\"c\",,d=\"e\"} 1\n# EOF\n", b"a{b=\"c\",} 1\n# EOF\n", b"a{b=\n# EOF\n", b"a{\xff=\"foo\"} 1\n# EOF\n", b"a{b=\"\xff\"} 1\n# EOF\n", b"a true\n", b"empty_label_name{=\"\"} 0\n# EOF\n", b"foo 1_2\n\n# EOF\n", b"foo 0 1_2\n\n# EOF\n", b"custom_metric_total 1 # {aa=bb}\n# EOF\n", b"custom_metric_total 1 # {aa=\"bb\"}\n# EOF\n", b"custom_metric_total 1 # {aa=\"bb\"}", b"custom_metric_total 1 # {bb}", b"custom_metric_total 1 # {aa=\"bb\",,cc=\"dd\"} 1", b"custom_metric_total 1 # {aa=\"bb\"} 1_2", b"custom_metric_total 1 # {aa=\"bb\"} true", b"custom_metric_total 1 # {aa=\"bb\",cc=}", b"{b=\"c\",} 1", b"a 1 NaN", b"a 1 -Inf", b"a 1 Inf", b"hhh_bucket{le=\"+Inf\"} 1 # {aa=\"bb\"} 4 NaN", b"a{b=\x00\"ssss\"} 1\n# EOF\n", b"a{b=\"\x00", b"#", b"# H", b"custom_metric_total 1 # {b=\x00\"ssss\"} 1\n", b"custom_metric_total 1 # {b=\"\x00ss\"} 1\n", b"a 1\n# random comment\n# EOF\n", b"a 1\nb 2 # x\n# EOF\n", b"a 1 # {x=\"y\"} 1 2 3\n# EOF\n", b"# HELP a \xff\n# EOF\n"]
def mutate(b):
    b = bytearray(b)
    for _ in range(1 + random.randrange(3)):
        i = random.randrange(len(b))
        op = random.randrange(3)
        c = alpha[random.randrange(len(alpha))]
        if op == 0: b[i] = c
        elif op == 1: del b[i]
        else: b.insert(i, c)
    return bytes(b)
cases = []
for fmt, body, hand in (("P", PROM, hand_prom), ("O", OM, hand_om)):
    for h in hand: cases.append((fmt, h))
    for cut in range(0, len(body), 7): cases.append((fmt, body[:cut]))
    for _ in range(350): cases.append((fmt, mutate(body)))
seen=set(); uniq=[]
for c in cases:
    if c not in seen: seen.add(c); uniq.append(c)
with open("cases.tsv","w") as f:
    for i,(fmt,b) in enumerate(uniq):
        f.write("%d\t%s\t%s\n" % (i, fmt, binascii.hexlify(b).decode()))
        open("cases/%d.%s" % (i, "prom" if fmt=="P" else "om"), "wb").write(b)
print(len(uniq))
