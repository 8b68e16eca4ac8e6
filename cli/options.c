/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The option table (options.h) and what is made from it. An option whose
 * help differs between commands (-t of scan, -f of file) has an entry per
 * meaning, each for its commands: a command sees each option once.
 */
#include <string.h>

#include "options.h"

#define B_CHECK MC_CMD_BIT(MC_CMD_CHECK)
#define B_SHOW MC_CMD_BIT(MC_CMD_SHOW)
#define B_FILE MC_CMD_BIT(MC_CMD_FILE)
#define B_DEMO MC_CMD_BIT(MC_CMD_DEMO)
#define B_EXPORTER MC_CMD_BIT(MC_CMD_EXPORTER)
#define B_SCAN MC_CMD_BIT(MC_CMD_SCAN)
#define B_DOMAIN MC_CMD_BIT(MC_CMD_DOMAIN)
#define B_CM MC_CMD_BIT(MC_CMD_CHECK_MAILCERT)
/* The commands whose targets name the servers: not domain, whose MX records do. */
#define TARGETED (B_CHECK | B_SHOW | B_SCAN | B_EXPORTER)
/* Those that connect to servers: the connection options. */
#define PROBING (TARGETED | B_DOMAIN)
/* Those that judge certificates: the policy options. */
#define JUDGING (PROBING | B_FILE)
/* Those that print reports: the output options. */
#define PRINTING (B_CHECK | B_SHOW | B_FILE | B_SCAN | B_DOMAIN)
/* Every command of mailcert: those before check_mailcert. */
#define MAILCERT (MC_CMD_BIT(MC_CMD_CHECK_MAILCERT) - 1)

#define MODULE MC_OPT_MODULE

/* name, val, arg, group, commands, refused, flags, help */
const struct mc_option mc_options[] = {
    /* Connection */
    {"protocol", 'P', "NAME", MC_GROUP_CONNECTION, TARGETED, B_DOMAIN, MODULE,
     "use this scheme whatever the target says"},
    {"connect-to", OPT_CONNECT_TO, "ADDR", MC_GROUP_CONNECTION, TARGETED, B_DOMAIN, MODULE,
     "connect here; the target host is still used for SNI\n"
     "and the name check (e.g. test a new server by IP)"},
    {"sni", OPT_SNI, "NAME", MC_GROUP_CONNECTION, TARGETED, B_DOMAIN, MODULE,
     "server name to send (default: the target host; none\n"
     "for an IP address)"},
    {"helo", OPT_HELO, "NAME", MC_GROUP_CONNECTION, TARGETED, 0, MODULE,
     "EHLO/LHLO name (default: mailcert.invalid)"},
    {"xmpp-domain", OPT_XMPP_DOMAIN, "NAME", MC_GROUP_CONNECTION, TARGETED, B_DOMAIN, MODULE,
     "XMPP domain sent as the stream's 'to' (default: the\n"
     "target host)"},
    {"direct-tls", OPT_DIRECT_TLS, NULL, MC_GROUP_CONNECTION, TARGETED, B_DOMAIN, MODULE,
     "postgres: TLS from the first byte with ALPN postgresql\n"
     "(PostgreSQL 17 and later) instead of SSLRequest"},
    {"force-starttls", OPT_FORCE_STARTTLS, NULL, MC_GROUP_CONNECTION, TARGETED, B_DOMAIN, MODULE,
     "pop3: send STLS even if the server has no CAPA to\n"
     "advertise it (else starttls.not-offered)"},
    {NULL, '4', NULL, MC_GROUP_CONNECTION, TARGETED, 0, 0, NULL},
    {NULL, '6', NULL, MC_GROUP_CONNECTION, TARGETED, 0, 0, "use IPv4 or IPv6 only"},
    {"timeout", 't', "SEC", MC_GROUP_CONNECTION, B_CHECK | B_SHOW | B_EXPORTER, 0, MODULE,
     "deadline for the whole check (default 10)"},

    /* Policy */
    {"name", 'n', "NAME", MC_GROUP_POLICY, TARGETED, B_DOMAIN, MODULE,
     "a name the certificate must be valid for; repeatable:\n"
     "every name must match (default: the target host)"},
    {"name", 'n', "NAME", MC_GROUP_POLICY, B_FILE, 0, 0,
     "a name the certificate must be valid for; repeatable\n"
     "(a file has no host: without -n no name is checked)"},
    {"warning", 'w', "T", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "WARNING when a certificate has less left than T"},
    {"critical", 'c', "T", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "CRITICAL when less than T (defaults: 30d and 15d,\n"
     "or for a lifetime under 90 days a third and a sixth\n"
     "of it); T is 30 or 30d (days), 12h, 900s, 33% (of the\n"
     "certificate's lifetime), a Nagios range (30:), or\n"
     "renewal (the start of the ARI window, else a third\n"
     "of the lifetime)"},
    {"ca-file", OPT_CA_FILE, "FILE", MC_GROUP_POLICY, TARGETED | B_FILE, 0, MODULE,
     "trust the CAs in FILE (PEM) instead of the system store"},
    {"ca-dir", OPT_CA_DIR, "DIR", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "trust the CAs in DIR instead of the system store"},
    {"system-ca", OPT_SYSTEM_CA, NULL, MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "trust the system store as well as --ca-file/--ca-dir"},
    {"allow-self-signed", OPT_SELF_SIGNED, NULL, MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "a self-signed certificate is not a finding"},
    {"at", OPT_AT, "TIME", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "judge as of TIME: 2027-01-31, 2027-01-31T12:00:00Z,\n"
     "or +30d (\"will this still pass in 30 days?\")"},
    {"compare-file", OPT_COMPARE_FILE, "FILE", MC_GROUP_POLICY, PROBING, 0, MODULE,
     "the served leaf must be the first certificate of\n"
     "FILE (PEM or DER): else deploy.mismatch, saying which\n"
     "is newer (renewed on disk, daemon not reloaded?)"},
    {"compare-acme", OPT_COMPARE_ACME, "PATH", MC_GROUP_POLICY, PROBING, 0, MODULE,
     "the served leaf must be the newest certificate of the\n"
     "ACME client's lineage for the name; PATH is certbot's\n"
     "config directory (/etc/letsencrypt), an acme.sh home,\n"
     "a lego directory or a Traefik acme.json: else\n"
     "deploy.mismatch, naming the lineage and its renewal,\n"
     "or deploy.not-in-store when no lineage has the name"},
    {"min-key-bits", OPT_MIN_KEY_BITS, "N", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "smallest RSA/DSA key of the chain (default 2048);\n"
     "ec:N sets the elliptic-curve minimum instead\n"
     "(default 256); repeatable (crypto.weak-key)"},
    {"min-tls", OPT_MIN_TLS, "VER", MC_GROUP_POLICY, PROBING, 0, MODULE,
     "oldest TLS version to accept: 1.0, 1.1, 1.2 or 1.3\n"
     "(default 1.2; older is tls.version)"},
    {"all-keys", OPT_ALL_KEYS, NULL, MC_GROUP_POLICY, TARGETED & ~B_SHOW, B_SHOW | B_DOMAIN, MODULE,
     "for a server with both an RSA and an ECDSA certificate:\n"
     "one handshake per key type (offering only its\n"
     "signature algorithms, TLS 1.3 too), one report each,\n"
     "\"(RSA)\"/\"(ECDSA)\" after the target; a type the\n"
     "server lacks is the OK note tls.key-type-absent"},
    {"key-type", OPT_KEY_TYPE, "TYPE", MC_GROUP_POLICY, PROBING, 0, MODULE,
     "one handshake offering only rsa or ecdsa (for a\n"
     "Nagios service per certificate)"},
    {"issuer", OPT_ISSUER, "RE", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "the leaf's issuer DN (CN=...,O=...,C=...) must match\n"
     "RE, a POSIX extended regex (issuer.mismatch)"},
    {"subject", OPT_SUBJECT, "RE", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "the same for the leaf's subject DN (subject.mismatch)"},
    {"serial", OPT_SERIAL, "HEX", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "the leaf's serial number, compared as a number: colons,\n"
     "case and leading zeros do not matter (serial.mismatch)"},
    {"pin", OPT_PIN, "sha256:PIN", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "SHA-256 of the leaf's public key (SPKI) or of the whole\n"
     "certificate, in base64 (as HPKP and check_ssl_cert\n"
     "write it) or hex; repeatable: one must match\n"
     "(pin.mismatch)"},
    {"severity", OPT_SEVERITY, "CODE=LEVEL", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "report finding CODE as ok, warning or critical;\n"
     "repeatable; an ok finding is still listed but does\n"
     "not raise the state (e.g. chain.root-included=ok)"},
    {"crl", OPT_CRL, "FILE", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "look the chain up in the CRL(s) of FILE (PEM or DER);\n"
     "repeatable: crl.revoked; a CRL its issuer's key did not\n"
     "sign is crl.invalid, one past its nextUpdate crl.stale"},
    {"crl-fetch", OPT_CRL_FETCH, NULL, MC_GROUP_POLICY, PROBING, 0, MODULE,
     "also fetch the CRLs the certificates point to (HTTP),\n"
     "cached in ~/.cache/mailcert/crl until their nextUpdate;\n"
     "a failed fetch is crl.unavailable"},
    /* A file has no server to look TLSA records up for: --tlsa gives them. */
    {"dane", OPT_DANE, NULL, MC_GROUP_POLICY, PROBING, B_FILE, MODULE,
     "match the TLSA records at _PORT._tcp.HOST (DANE),\n"
     "validated with DNSSEC: dane.match, dane.mismatch\n"
     "(CRITICAL), dane.bogus (CRITICAL), dane.none"},
    {"tlsa", OPT_TLSA, "\"U S M HEX\"", MC_GROUP_POLICY, TARGETED | B_FILE, B_DOMAIN, MODULE,
     "match this TLSA record instead of DNS's, e.g.\n"
     "\"3 1 1 0c72ac70...\"; repeatable"},
    {"next-key", OPT_NEXT_KEY, "FILE", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "the key of the next renewal (a certificate or key,\n"
     "PEM or DER; repeatable): the TLSA records must name\n"
     "it before the renewal deploys it, else\n"
     "dane.next-key-missing (WARNING) gives the \"3 1 1\"\n"
     "record to publish; judged only when there are TLSA\n"
     "records (--dane, --tlsa, domain)"},
    {"next-issuer", OPT_NEXT_ISSUER, "FILE", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "the same for DANE-TA: the CA certificate the next\n"
     "renewal will chain to (its intermediate) needs a\n"
     "DANE-TA record, else dane.next-key-missing gives the\n"
     "\"2 1 1\" record to publish; repeatable (one per\n"
     "intermediate the CA may pick)"},
    {"resolver", OPT_RESOLVER, "ADDR", MC_GROUP_POLICY, TARGETED, B_FILE, MODULE,
     "send DNSSEC lookups to ADDR[:PORT] (default: the\n"
     "resolvers of /etc/resolv.conf); it must pass DNSSEC\n"
     "records through: mailcert validates them itself"},
    {"trust-anchor", OPT_TRUST_ANCHOR, "FILE", MC_GROUP_POLICY, TARGETED, B_FILE, MODULE,
     "DNSSEC trust anchor, DS or DNSKEY records (default:\n"
     "/usr/share/dns/root.key, package dns-root-data)"},
    {"ari", OPT_ARI, NULL, MC_GROUP_POLICY, PROBING, 0, MODULE,
     "ask the leaf's CA when to renew it (ACME Renewal\n"
     "Information, RFC 9773), cached until its Retry-After:\n"
     "ari.window-open (WARNING) once the window opens,\n"
     "ari.window-passed (CRITICAL) after it"},
    {"acme-directory", OPT_ACME_DIRECTORY, "URL", MC_GROUP_POLICY, PROBING, 0, MODULE,
     "the ACME directory --ari asks (default:\n"
     "Let's Encrypt's or Google's, by the leaf's issuer)"},
    {"max-validity", OPT_MAX_VALIDITY, "DAYS", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "the leaf's longest allowed validity, DAYS, cabf (the\n"
     "CA/B Forum's calendar: 398, 200 from 2026-03-15, 100\n"
     "from 2027-03-15, 47 from 2029-03-15) or off; default\n"
     "cabf for chains the system store trusts\n"
     "(cert.validity-too-long)"},
    {"ct", OPT_CT, NULL, MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "require Certificate Transparency SCTs of private CAs\n"
     "too (default: of chains the system store trusts):\n"
     "ct.missing, ct.too-few (WARNING)"},
    {"ct-log-list", OPT_CT_LOG_LIST, "FILE", MC_GROUP_POLICY, JUDGING, 0, MODULE,
     "verify each SCT with its log's key from this v3 log\n"
     "list (Chrome's log_list.json): ct.invalid (CRITICAL),\n"
     "ct.unknown-log, and Chrome's CT policy (ct.too-few)"},

    /* Output */
    {"format", 'f', "FMT", MC_GROUP_OUTPUT, B_CHECK, B_SHOW, 0,
     "text (default on a terminal, or for several targets),\n"
     "nagios (default otherwise), json (one line per target),\n"
     "prometheus (metrics in the text exposition format)"},
    {"format", 'f', "FMT", MC_GROUP_OUTPUT, B_FILE, 0, 0,
     "text (default on a terminal, or for several files),\n"
     "nagios (default otherwise), json (one line per file),\n"
     "prometheus (metrics in the text exposition format)"},
    {"format", 'f', "FMT", MC_GROUP_OUTPUT, B_SCAN, 0, 0,
     "text (default): a table at the end (target, state,\n"
     "leaf expiry, first finding), with -v each target's\n"
     "details as it completes; json: one report per line\n"
     "as results arrive (JSON Lines), then one\n"
     "{\"consistency\": ...} line per --mail-ports host;\n"
     "nagios: one plugin output for the whole scan;\n"
     "prometheus: every report in one exposition"},
    {"format", 'f', "FMT", MC_GROUP_OUTPUT, B_DOMAIN, 0, 0,
     "text (default on a terminal), nagios (default\n"
     "otherwise: the domain's report alone, whose state is\n"
     "the worst of all), json (one line per report),\n"
     "prometheus"},
    {"output", OPT_OUTPUT, "FILE", MC_GROUP_OUTPUT, PRINTING, 0, 0,
     "write to FILE instead of stdout, replacing it at once\n"
     "when done (node_exporter's textfile collector)"},
    {"verbose", 'v', NULL, MC_GROUP_OUTPUT, PRINTING | B_DEMO, 0, 0, "more detail; repeatable"},
    {"help", 'h', NULL, MC_GROUP_OUTPUT, MAILCERT, 0, 0, "this help"},

    /* show */
    {"pem", OPT_PEM, NULL, MC_GROUP_SHOW, B_SHOW, B_CHECK, 0, "also print each certificate as PEM"},

    /* file */
    {"key", OPT_KEY, "FILE", MC_GROUP_FILE, B_FILE, 0, 0,
     "the private key (PEM or DER) must belong to the leaf\n"
     "(deploy.key-mismatch, CRITICAL); one FILE only"},
    {"tlsa-for", OPT_TLSA_FOR, "FILE", MC_GROUP_FILE, B_FILE, 0, 0,
     "print the TLSA records to publish for FILE (a\n"
     "certificate, chain or key) instead of checking:\n"
     "\"3 1 1\" of its key and, for a chain file, \"2 1 1\" of\n"
     "the leaf's issuer; stage them in DNS before deploying\n"
     "FILE; repeatable"},
    {"acme", OPT_ACME, "PATH", MC_GROUP_FILE, B_FILE, 0, 0,
     "check every lineage of an ACME client's store instead\n"
     "of FILEs: each one's newest chain and its key, as a\n"
     "FILE with --key (PATH as for --compare-acme)"},

    /* scan */
    {"input", 'i', "FILE", MC_GROUP_TARGETS, B_SCAN, 0, 0,
     "read targets from FILE ('-': stdin); repeatable"},
    {"mail-ports", OPT_MAIL_PORTS, "HOST", MC_GROUP_TARGETS, B_SCAN, 0, 0,
     "check HOST's mail endpoints: smtp 25, smtps 465,\n"
     "submission 587, imap 143, imaps 993, pop3 110,\n"
     "pop3s 995, sieve 4190; and report whether every open\n"
     "port serves the same leaf certificate:\n"
     "scan.leaf-consistent, or scan.leaf-mismatch (WARNING)\n"
     "naming which ports serve which. Closed ports\n"
     "(connect.refused) are listed as closed, not errors.\n"
     "Repeatable"},
    {"port-map", OPT_PORT_MAP, "P=Q[,...]", MC_GROUP_TARGETS, B_SCAN, 0, 0,
     "with --mail-ports: look for service or port P\n"
     "(smtp or 25, ...) on port Q instead, e.g. a test\n"
     "server on high ports: --port-map smtp=2525,imap=1143"},
    {"require-open", OPT_REQUIRE_OPEN, NULL, MC_GROUP_TARGETS, B_SCAN, 0, 0,
     "a closed --mail-ports port is an error (CRITICAL)"},
    {"concurrency", OPT_CONCURRENCY, "N", MC_GROUP_SCAN, B_SCAN, 0, 0,
     "at most N checks at once (default 32, at most 10000)"},
    {"rate", OPT_RATE, "N[/s|/m]", MC_GROUP_SCAN, B_SCAN, 0, 0,
     "start at most N checks per second (or minute)"},
    {"timeout", 't', "SEC", MC_GROUP_SCAN, B_SCAN, 0, 0, "deadline of each check (default 10)"},
    {"no-progress", OPT_NO_PROGRESS, NULL, MC_GROUP_SCAN, B_SCAN, 0, 0,
     "no progress bar (it is drawn on stderr only when\n"
     "stderr is a terminal)"},

    /* exporter */
    {"listen", OPT_LISTEN, "ADDR:PORT", MC_GROUP_EXPORTER, B_EXPORTER, 0, 0,
     "where to listen: 127.0.0.1:9154, [::1]:9154, or\n"
     ":9154 for every address"},
    {"config", OPT_CONFIG, "FILE", MC_GROUP_EXPORTER, B_EXPORTER, 0, 0,
     "modules: [module NAME] sections of option = value\n"
     "lines, named by /probe?module=NAME (docs/exporter.md)"},
    {"max-concurrent", OPT_MAX_CONCURRENT, "N", MC_GROUP_EXPORTER, B_EXPORTER, 0, 0,
     "probes at once (default 16, at most 1024); one\n"
     "more is answered 503 at once"},

    /* domain: the connection and policy options it reads its own way */
    {"port", OPT_PORT, "N", MC_GROUP_DOMAIN, B_DOMAIN, 0, 0,
     "the MX hosts' port (default 25); TLSA records are\n"
     "looked up at _N._tcp.MX"},
    {"resolver", OPT_RESOLVER, "ADDR", MC_GROUP_DOMAIN, B_DOMAIN, 0, 0,
     "send every lookup to ADDR[:PORT] (default: the\n"
     "resolvers of /etc/resolv.conf); it must pass DNSSEC\n"
     "records through: mailcert validates them itself"},
    {"trust-anchor", OPT_TRUST_ANCHOR, "FILE", MC_GROUP_DOMAIN, B_DOMAIN, 0, 0,
     "DNSSEC trust anchor, DS or DNSKEY records (default:\n"
     "/usr/share/dns/root.key, package dns-root-data)"},
    {"ca-file", OPT_CA_FILE, "FILE", MC_GROUP_DOMAIN, B_DOMAIN, 0, 0,
     "trust these CAs for the MX hosts and the MTA-STS\n"
     "policy host instead of the system store"},
    {"helo", OPT_HELO, "NAME", MC_GROUP_DOMAIN, B_DOMAIN, 0, 0,
     "EHLO name (default: mailcert.invalid)"},
    {"timeout", 't', "SEC", MC_GROUP_DOMAIN, B_DOMAIN, 0, 0,
     "deadline for the lookups, and for each MX check\n"
     "(default 10)"},
    {NULL, '4', NULL, MC_GROUP_DOMAIN, B_DOMAIN, 0, 0, NULL},
    {NULL, '6', NULL, MC_GROUP_DOMAIN, B_DOMAIN, 0, 0,
     "IPv4 or IPv6 only: the MX hosts' A or AAAA records\n"
     "(default: both)"},

    /* check_mailcert: check_ssl_cert's flags, one list without sections (its own -4, -v, -h) */
    {"host", 'H', "HOST", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0, "server to check"},
    {"file", 'f', "FILE", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "check a certificate file instead (PEM or DER)"},
    {"port", 'p', "PORT", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "TCP port (default: the protocol's, 443 for https)"},
    {"protocol", 'P', "PROTO", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "https (default), smtp, smtps, imap, imaps, pop3,\n"
     "pop3s, sieve, ftp, ftps, xmpp, xmpp-server, ldap,\n"
     "ldaps, postgres, mysql, irc, ircs, dns, h2, http;\n"
     "smtp, imap, pop3, sieve, ftp, xmpp, ldap, postgres,\n"
     "mysql and irc use STARTTLS on any port (-P smtp\n"
     "-p 587 is submission)"},
    {"warning", 'w', "DAYS", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "WARNING under DAYS of validity left (default 20)"},
    {"critical", 'c', "DAYS", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "CRITICAL under DAYS left (default 15); may be\n"
     "fractional (0.5); -w must be greater than -c"},
    {"timeout", 't', "SEC", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "deadline for the whole check (default 120)"},
    {"issuer", 'i', "RE", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "the O or CN of the issuer must match RE (whole)"},
    {"cn", 'n', "NAME", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0, NULL},
    {"match", 'm', "NAME", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "the certificate must also be valid for NAME\n"
     "(repeatable; the host name is always checked\n"
     "unless it is an IP address or localhost)"},
    {"ignore-host-cn", CM_IGNORE_HOST_CN, NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "do not check the host name (only -m names)"},
    {"sni", CM_SNI, "NAME", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "server name to send in the handshake"},
    {"resolve", CM_RESOLVE, "ADDR", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "connect to ADDR, keep HOST for SNI and names"},
    {"xmpphost", CM_XMPPHOST, "NAME", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "XMPP domain in the stream's 'to'"},
    {"rootcert", 'r', "PATH", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "trust this CA file or directory only"},
    {"rootcert-file", CM_ROOTCERT_FILE, "FILE", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0, NULL},
    {"rootcert-dir", CM_ROOTCERT_DIR, "DIR", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "the same, one kind each"},
    {"selfsigned", 's', NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "allow self-signed certificates"},
    {"noauth", 'A', NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "ignore trust errors (untrusted, self-signed,\n"
     "incomplete chain)"},
    {"ignore-exp", CM_IGNORE_EXP, NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "ignore expiration (expired and expiring)"},
    {"ignore-sig-alg", CM_IGNORE_SIG_ALG, NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "ignore weak (SHA-1, MD5) signatures"},
    {"ignore-ocsp", CM_IGNORE_OCSP, NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "ignore stapled OCSP problems"},
    {"ignore-sct", CM_IGNORE_SCT, NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "do not require Signed Certificate Timestamps\n"
     "(without it, or -s, a leaf without SCTs is CRITICAL,\n"
     "as in check_ssl_cert)"},
    /* check_ssl_cert's --dane TYPE is parsed to be refused by name. */
    {"dane", CM_DANE, NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, MC_OPT_ARG_OPTIONAL,
     "match the TLSA records at _PORT._tcp.HOST, validated\n"
     "with DNSSEC (not check_ssl_cert's --dane TYPE)"},
    {"resolver", CM_RESOLVER, "ADDR", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0, NULL},
    {"trust-anchor", CM_TRUST_ANCHOR, "FILE", MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "for --dane: the resolver and the\n"
     "DNSSEC trust anchor, as in mailcert check"},
    {NULL, '4', NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0, NULL},
    {NULL, '6', NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0, "IPv4 or IPv6 only"},
    {"prometheus", CM_PROMETHEUS, NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0,
     "Prometheus text output instead of Nagios"},
    {"verbose", 'v', NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0, "more detail; repeatable"},
    {"help", 'h', NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0, "this help"},
    {"version", 'V', NULL, MC_GROUP_CHECK_MAILCERT, B_CM, 0, 0, "the version"},
    {NULL, 0, NULL, 0, 0, 0, 0, NULL},
};

/* Each row gives a command at most one long option and three short-string bytes. */
_Static_assert(sizeof(mc_options) / sizeof(mc_options[0]) <= MC_OPTIONS_MAX + 1,
	       "MC_OPTIONS_MAX is too small for the option table");

/* The help column: where an option's description starts. */
static const struct {
	const char *name;
	int column;
} commands[MC_CMD_COUNT] = {
    [MC_CMD_CHECK] = {"check", 25},       [MC_CMD_SHOW] = {"show", 25},
    [MC_CMD_FILE] = {"file", 25},         [MC_CMD_DEMO] = {"demo", 25},
    [MC_CMD_EXPORTER] = {"exporter", 25}, [MC_CMD_SCAN] = {"scan", 25},
    [MC_CMD_DOMAIN] = {"domain", 25},     [MC_CMD_CHECK_MAILCERT] = {"check_mailcert", 27},
};

/* Section titles; an untitled section (a command's own few options) follows the description. */
static const char *const titles[MC_GROUP_COUNT] = {
    [MC_GROUP_TARGETS] = "Targets",       [MC_GROUP_SCAN] = "Scan",
    [MC_GROUP_EXPORTER] = "Exporter",     [MC_GROUP_DOMAIN] = "Domain",
    [MC_GROUP_CONNECTION] = "Connection", [MC_GROUP_POLICY] = "Policy",
    [MC_GROUP_OUTPUT] = "Output",
};

const char *mc_command_name(enum mc_command cmd)
{
	return commands[cmd].name;
}

/* Listed in @cmd's help (and parsed). */
static int listed(const struct mc_option *o, enum mc_command cmd)
{
	return (o->commands & MC_CMD_BIT(cmd)) != 0;
}

static int parsed(const struct mc_option *o, enum mc_command cmd)
{
	return ((o->commands | o->refused) & MC_CMD_BIT(cmd)) != 0;
}

void mc_getopt_init(struct mc_getopt *g, enum mc_command cmd)
{
	char *s = g->shorts;
	size_t n = 0;

	*s++ = ':';
	for (const struct mc_option *o = mc_options; o->val; o++) {
		int has_arg = o->arg                           ? required_argument
			      : o->flags & MC_OPT_ARG_OPTIONAL ? optional_argument
							       : no_argument;

		if (!parsed(o, cmd))
			continue;
		if (o->val < 256) { /* "x", "x:" or, for an optional value, "x::" */
			*s++ = (char)o->val;
			if (has_arg != no_argument)
				*s++ = ':';
			if (has_arg == optional_argument)
				*s++ = ':';
		}
		if (o->name)
			g->longs[n++] = (struct option){o->name, has_arg, NULL, o->val};
	}
	*s = '\0';
	g->longs[n] = (struct option){NULL, 0, NULL, 0};
}

int mc_option_refused(enum mc_command cmd, int val)
{
	for (const struct mc_option *o = mc_options; o->val; o++)
		if (o->val == val && parsed(o, cmd))
			return !listed(o, cmd);
	return 0;
}

const struct mc_option *mc_module_option(const char *key)
{
	for (const struct mc_option *o = mc_options; o->val; o++)
		if ((o->flags & MC_OPT_MODULE) && o->name && strcmp(o->name, key) == 0)
			return o;
	return NULL;
}

void mc_help_item(FILE *out, const char *heading, const char *text, int column)
{
	int len = (int)strlen(heading);

	fputs(heading, out);
	for (const char *line = text;;) {
		const char *nl = strchr(line, '\n');

		if (line == text)
			fprintf(out, "%*s", len + 2 <= column ? column - len : 2, "");
		else
			fprintf(out, "%*s", column, "");
		fwrite(line, 1, nl ? (size_t)(nl - line) : strlen(line), out);
		putc('\n', out);
		if (!nl)
			return;
		line = nl + 1;
	}
}

/* The next option of @o's section that @cmd lists, or NULL. */
static const struct mc_option *next_listed(const struct mc_option *o, enum mc_command cmd)
{
	enum mc_group group = o->group;

	for (o++; o->val; o++)
		if (o->group == group && listed(o, cmd))
			return o;
	return NULL;
}

static void append(char *buf, size_t size, const char *s)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s", s);
}

/*
 * "  -x, --name ARG" and the help of each option of the section; the
 * options of one line (help NULL: -4 before -6) joined by ", ", an ARG
 * the next one repeats said once ("-n, --cn, -m, --match NAME").
 */
static void print_section(FILE *out, enum mc_command cmd, enum mc_group group)
{
	char heading[256] = "";

	for (const struct mc_option *o = mc_options; o->val; o++) {
		const struct mc_option *next;

		if (o->group != group || !listed(o, cmd))
			continue;
		next = next_listed(o, cmd);
		append(heading, sizeof(heading), *heading ? ", " : o->val < 256 ? "  " : "      ");
		if (o->val < 256) {
			append(heading, sizeof(heading), (char[]){'-', (char)o->val, '\0'});
			if (o->name)
				append(heading, sizeof(heading), ", ");
		}
		if (o->name) {
			append(heading, sizeof(heading), "--");
			append(heading, sizeof(heading), o->name);
		}
		if (o->arg && (o->help || !next || !next->arg || strcmp(next->arg, o->arg) != 0)) {
			append(heading, sizeof(heading), " ");
			append(heading, sizeof(heading), o->arg);
		}
		if (!o->help)
			continue;
		mc_help_item(out, heading, o->help, commands[cmd].column);
		heading[0] = '\0';
	}
}

void mc_help(FILE *out, enum mc_command cmd, const char *intro, const char *outro)
{
	fputs(intro, out);
	for (int g = 0; g < MC_GROUP_COUNT; g++) {
		const struct mc_option *o;

		for (o = mc_options; o->val; o++)
			if (o->group == (enum mc_group)g && listed(o, cmd))
				break;
		if (!o->val)
			continue;
		putc('\n', out);
		if (titles[g])
			fprintf(out, "%s:\n", titles[g]);
		print_section(out, cmd, (enum mc_group)g);
	}
	fputs(outro, out);
}
