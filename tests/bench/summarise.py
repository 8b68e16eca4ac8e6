#!/usr/bin/env python3
# The tables of tests/bench/run.sh in Markdown, and each target of issue 6
# met or missed. usage: summarise.py TIMES.tsv RSS.tsv CHECKS CONC XARGS_P
import statistics
import sys
from collections import defaultdict

times, rss_path = sys.argv[1], sys.argv[2]
checks, conc, xargs_p = int(sys.argv[3]), sys.argv[4], sys.argv[5]

t = defaultdict(list)  # (section, endpoint, tool) -> [ms]
for line in open(times):
    sec, ep, tool, us = line.split("\t")
    t[sec, ep, tool].append(int(us) / 1000.0)


def med(key):
    v = t.get(key)
    return statistics.median(v) if v else None


targets = []  # (target, measured, met)
out = []
p = out.append

eps = [e for e in ("submission", "smtps", "imap", "imaps") if ("single", e, "mailcert") in t]
if eps:
    p("### 1. One check (median wall time of the whole process, ms; floor: in-process handshake)\n")
    p("| endpoint | runs | floor | mailcert check | s_client | gnutls-cli | check_ssl_cert "
      "| mailcert − floor | mailcert ÷ s_client | mailcert ÷ gnutls-cli | mailcert ÷ check_ssl_cert |")
    p("|---|---|---|---|---|---|---|---|---|---|---|")
    for e in eps:
        f, m, s, g, c = (med(("single", e, k)) for k in
                         ("floor-handshake", "mailcert", "s-client", "gnutls-cli", "check-ssl-cert"))
        n = len(t["single", e, "mailcert"])
        nc = len(t.get(("single", e, "check-ssl-cert"), []))
        p("| %s | %d (csc %d) | %.1f | %.1f | %.1f | %.1f | %.0f | %+.1f ms | %.2f | %.2f | %.4f (1/%.0f) |"
          % (e, n, nc, f, m, s, g, c, m - f, m / s, m / g, m / c, c / m))
        targets.append(("%s: check within 3 ms of the floor's handshake" % e,
                        "%.1f ms − %.1f ms = %+.1f ms" % (m, f, m - f), m - f <= 3))
        fast = e in ("submission", "smtps")
        targets.append(("%s: ≤ 0.5× s_client%s" % (e, "" if fast else " (Dovecot: not applicable, the server's own handshake dominates)"),
                        "%.2f×" % (m / s), (m / s <= 0.5) if fast else None))
        targets.append(("%s: ≤ 1/100 of check_ssl_cert" % e, "1/%.0f" % (c / m), m / c <= 0.01))
    p("")

names = {"floor": "floor.c, poll loop, concurrency %s" % conc,
         "scan": "mailcert scan --concurrency %s" % conc,
         "xargs-s_client": "xargs -P %s openssl s_client" % xargs_p}
sets = {"all": "the four endpoints (submission, smtps, imap, imaps)",
        "postfix": "Postfix only (submission, smtps)"}
for n, (key, label) in enumerate(sets.items()):
    if ("throughput", key, "scan") not in t:
        continue
    p("### 2%s. %d checks over %s (median of %d interleaved runs)\n"
      % ("abc"[n], checks, label, len(t["throughput", key, "scan"])))
    p("| contender | wall s (median) | checks/s | fraction of the floor | scan ÷ this |")
    p("|---|---|---|---|---|")
    rate = {}
    for k in names:
        rate[k] = checks / (med(("throughput", key, k)) / 1000)
    for k in names:
        p("| %s | %.2f | %.0f | %.0f%% | %.2f× |" % (names[k], checks / rate[k], rate[k],
                                                     100 * rate[k] / rate["floor"], rate["scan"] / rate[k]))
    p("")
    allruns = ", ".join("%s: %s" % (k, " ".join("%.2f" % (x / 1000) for x in t["throughput", key, k]))
                        for k in names)
    p("All runs (s): %s\n" % allruns)
    targets.append(("scan ≥ 80%% of the floor (%s)" % label, "%.0f%%" % (100 * rate["scan"] / rate["floor"]),
                    rate["scan"] / rate["floor"] >= 0.8))
    targets.append(("scan ≥ 4× xargs -P %s s_client (%s)" % (xargs_p, label),
                    "%.2f×" % (rate["scan"] / rate["xargs-s_client"]),
                    rate["scan"] / rate["xargs-s_client"] >= 4))

rss = defaultdict(dict)
for line in open(rss_path):
    scheme, n, kib = line.split()
    rss[scheme][int(n)] = int(kib)
if rss:
    p("### 3. Peak RSS of mailcert scan with N checks in flight (/usr/bin/time -v)\n")
    p("| scheme (where the check waits) | N | peak RSS KiB | (RSS(N) − RSS(1)) ÷ (N − 1), KiB per in-flight check |")
    p("|---|---|---|---|")
    worst = None
    for scheme, levels in rss.items():
        base = levels.get(1)
        for n in sorted(levels):
            per = (levels[n] - base) / (n - 1) if base is not None and n > 1 else None
            p("| %s | %d | %d | %s |" % ({"smtp": "smtp:// (greeting)", "smtps": "smtps:// (ServerHello)",
                                         "smtps+dane": "smtps:// --dane (its TLSA lookup, after the handshake)"}.get(scheme, scheme),
                                        n, levels[n], "-" if per is None else "%.1f" % per))
            if per is not None and n == max(levels):
                worst = per if worst is None else max(worst, per)
    p("")
    if worst is not None:
        targets.append(("≤ 100 KiB per in-flight check", "%.1f KiB (worst scheme, largest N)" % worst, worst <= 100))

ceps = [e for e in ("submission", "smtps", "imap", "imaps") if ("cpu", e, "mailcert") in t]
if ceps:
    p("### 4. CPU time of one check (perf stat task-clock, whole process, mean, ms)\n")
    st = med(("cpu", "all", "mailcert-startup"))
    if st is not None:
        p("`mailcert --version` alone: %.2f ms.\n" % st)
    p("| endpoint | floor (process) | mailcert check | s_client | gnutls-cli | mailcert − floor | mailcert ÷ s_client |")
    p("|---|---|---|---|---|---|---|")
    for e in ceps:
        f, m, s, g = (med(("cpu", e, k)) for k in ("floor-process", "mailcert", "s-client", "gnutls-cli"))
        p("| %s | %.2f | %.2f | %.2f | %.2f | %+.2f | %.2f |" % (e, f, m, s, g, m - f, m / s))
    p("")

if targets:
    p("### Targets\n")
    p("| target | measured | |")
    p("|---|---|---|")
    for name, val, met in targets:
        p("| %s | %s | %s |" % (name, val, "n/a" if met is None else ("met" if met else "**missed**")))
print("\n".join(out))
