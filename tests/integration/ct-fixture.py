#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Certificate Transparency fixtures for test-ct.sh, made with
python3-cryptography: an independent implementation of RFC 6962's SCT
signing, so that mailcert's verification is checked against another's.

usage: ct-fixture.py DIR NOW

DIR gets: root.pem (the test CA), logs.json (a v3 log list naming the logs
a1 and a2 of operator "Op A" and b1 of "Op B", with b2 of "Op B" retired;
the log x is in no list), and for each scenario NAME.pem and NAME.key:
  good      embedded SCTs of a1 and b1 (b1's with an extension), 90 days
  sameop    embedded SCTs of a1 and a2: one operator
  tampered  as good, b1's signature altered
  unknown   embedded SCTs of a1 and x
  wronglog  as good, but x signed the SCT that names b1
  future    as good, b1's SCT dated a day after NOW
  long      as good, valid 200 days: 3 SCTs needed
  retired   embedded SCTs of a1 and b2, whose log retired after the SCT
  none      no SCTs
  tls       no SCTs embedded; tls.serverinfo holds a1's and b1's over the
            certificate for openssl s_server -serverinfo
  ocsp      no SCTs embedded; ocsp.der is a stapled OCSP response (signed
            by the CA) whose singleExtensions hold a1's and b1's
NOW is Unix time; the certificates start a day before it.
"""
import base64
import datetime
import hashlib
import json
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

SCT_OID = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
HOST = "mail.test"


def der(tag, body):
    n = len(body)
    if n < 0x80:
        head = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + head + body


def der_oid(dotted):
    parts = [int(p) for p in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.insert(0, 0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(chunk)
    return der(0x06, out)


def der_time(t):
    return der(0x18, t.strftime("%Y%m%d%H%M%SZ").encode())


def spki(key):
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def sct(log, ts_ms, entry, issuer_key_hash=None, ext=b"", signer=None):
    """One SCT (v1) of the log key @log over @entry (RFC 6962 §3.2), signed
    by @signer's key instead when given (an SCT claiming the wrong log)."""
    signed = bytes([0, 0]) + ts_ms.to_bytes(8, "big")
    if issuer_key_hash is None:
        signed += (0).to_bytes(2, "big")
    else:
        signed += (1).to_bytes(2, "big") + issuer_key_hash
    signed += len(entry).to_bytes(3, "big") + entry + len(ext).to_bytes(2, "big") + ext
    sig = (signer or log).sign(signed, ec.ECDSA(hashes.SHA256()))
    return (bytes([0]) + hashlib.sha256(spki(log)).digest() + ts_ms.to_bytes(8, "big") +
            len(ext).to_bytes(2, "big") + ext + bytes([4, 3]) + len(sig).to_bytes(2, "big") + sig)


def sct_list(scts):
    body = b"".join(len(s).to_bytes(2, "big") + s for s in scts)
    return len(body).to_bytes(2, "big") + body


def tamper(one):
    """The SCT with the last byte of its signature changed."""
    return one[:-1] + bytes([one[-1] ^ 1])


def main():
    out, now = sys.argv[1], int(sys.argv[2])
    start = datetime.datetime.utcfromtimestamp(now) - datetime.timedelta(days=1)
    ms = (now - 3600) * 1000
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailcert CT test root")])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(1)
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(root_key, hashes.SHA256()))
    with open(os.path.join(out, "root.pem"), "wb") as f:
        f.write(root.public_bytes(serialization.Encoding.PEM))
    ikh = hashlib.sha256(spki(root_key)).digest()

    logs = {n: ec.generate_private_key(ec.SECP256R1()) for n in ("a1", "a2", "b1", "b2", "x")}
    ts = "2026-01-01T00:00:00Z"

    def entry(name, state):
        return {"description": "mailcert test log " + name,
                "log_id": base64.b64encode(hashlib.sha256(spki(logs[name])).digest()).decode(),
                "key": base64.b64encode(spki(logs[name])).decode(),
                "url": "https://ct.invalid/" + name + "/", "mmd": 86400, "state": state}
    retired_at = datetime.datetime.utcfromtimestamp(now).strftime("%Y-%m-%dT%H:%M:%SZ")
    loglist = {"version": "1.0", "log_list_timestamp": ts, "operators": [
        {"name": "Op A", "email": ["a@ct.invalid"],
         "logs": [entry("a1", {"usable": {"timestamp": ts}}),
                  entry("a2", {"qualified": {"timestamp": ts}})]},
        {"name": "Op B", "email": ["b@ct.invalid"],
         "logs": [entry("b1", {"usable": {"timestamp": ts}})],
         "tiled_logs": [entry("b2", {"retired": {"timestamp": retired_at}})]}]}
    with open(os.path.join(out, "logs.json"), "w") as f:
        json.dump(loglist, f, indent=1)

    serial = [100]

    def leaf(name, days, scts_for=None):
        """NAME.pem: a leaf for HOST; scts_for(tbs) gives the SCTs to embed, or None."""
        key = ec.generate_private_key(ec.SECP256R1())
        serial[0] += 1
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)]))
                   .issuer_name(root_name).public_key(key.public_key())
                   .serial_number(serial[0]).not_valid_before(start)
                   .not_valid_after(start + datetime.timedelta(days=days))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]),
                                  critical=False)
                   .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                                  critical=False))
        if scts_for:
            # The precertificate's TBS is the final one's without the SCT
            # list, which cryptography computes from a certificate that has
            # one: a placeholder first, then the real list in its place.
            def final(value):
                return builder.add_extension(x509.UnrecognizedExtension(SCT_OID, value),
                                             critical=False).sign(root_key, hashes.SHA256())
            tbs = final(der(0x04, b"")).tbs_precertificate_bytes
            cert = final(der(0x04, sct_list(scts_for(tbs))))
            assert cert.tbs_precertificate_bytes == tbs
        else:
            cert = builder.sign(root_key, hashes.SHA256())
        with open(os.path.join(out, name + ".pem"), "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(os.path.join(out, name + ".key"), "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        return cert

    def pair(tbs, second="b1", ext=b"\x00\x01\x02", ts2=ms, signer=None):
        return [sct(logs["a1"], ms, tbs, ikh),
                sct(logs[second], ts2, tbs, ikh, ext, signer and logs[signer])]

    leaf("good", 90, pair)
    leaf("sameop", 90, lambda tbs: pair(tbs, "a2"))
    leaf("tampered", 90, lambda tbs: [pair(tbs)[0], tamper(pair(tbs)[1])])
    leaf("unknown", 90, lambda tbs: pair(tbs, "x"))
    leaf("wronglog", 90, lambda tbs: pair(tbs, signer="x"))
    leaf("future", 90, lambda tbs: pair(tbs, ts2=(now + 86400) * 1000))
    leaf("long", 200, pair)
    leaf("retired", 90, lambda tbs: pair(tbs, "b2"))
    leaf("none", 90)

    tls = leaf("tls", 90).public_bytes(serialization.Encoding.DER)
    ext = sct_list([sct(logs["a1"], ms, tls), sct(logs["b1"], ms, tls)])
    block = (18).to_bytes(2, "big") + len(ext).to_bytes(2, "big") + ext
    with open(os.path.join(out, "tls.serverinfo"), "w") as f:
        f.write("-----BEGIN SERVERINFO FOR SIGNED_CERTIFICATE_TIMESTAMP-----\n")
        f.write(base64.encodebytes(block).decode())
        f.write("-----END SERVERINFO FOR SIGNED_CERTIFICATE_TIMESTAMP-----\n")

    cert = leaf("ocsp", 90)
    entry_der = cert.public_bytes(serialization.Encoding.DER)
    scts = sct_list([sct(logs["a1"], ms, entry_der), sct(logs["b1"], ms, entry_der)])
    point = root_key.public_key().public_bytes(serialization.Encoding.X962,
                                                serialization.PublicFormat.UncompressedPoint)
    when = datetime.datetime.utcfromtimestamp(now - 60)
    cert_id = der(0x30, der(0x30, der_oid("1.3.14.3.2.26") + der(0x05, b"")) +
                  der(0x04, hashlib.sha1(root_name.public_bytes()).digest()) +
                  der(0x04, hashlib.sha1(point).digest()) +
                  der(0x02, cert.serial_number.to_bytes(cert.serial_number.bit_length() // 8 + 1, "big")))
    single_ext = der(0x30, der(0x30, der_oid("1.3.6.1.4.1.11129.2.4.5") +
                               der(0x04, der(0x04, scts))))
    single = der(0x30, cert_id + der(0x80, b"") + der_time(when) +
                 der(0xA0, der_time(when + datetime.timedelta(days=4))) + der(0xA1, single_ext))
    tbs = der(0x30, der(0xA2, der(0x04, hashlib.sha1(point).digest())) + der_time(when) +
              der(0x30, single))
    sig = root_key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    basic = der(0x30, tbs + der(0x30, der_oid("1.2.840.10045.4.3.2")) + der(0x03, b"\x00" + sig))
    resp = der(0x30, der(0x0A, b"\x00") +
               der(0xA0, der(0x30, der_oid("1.3.6.1.5.5.7.48.1.1") + der(0x04, basic))))
    with open(os.path.join(out, "ocsp.der"), "wb") as f:
        f.write(resp)


main()
