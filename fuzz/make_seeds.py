#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets: fuzz/corpus/<target>/seed-*.

Run from anywhere: python3 fuzz/make_seeds.py. Rewrites only the seed-*
files (the crash-* regression inputs are kept). Each seed is small (< 8 KiB)
and real: tokens signed with the fixed test keys of fuzz/token.cc, the
reports of src/app/demo.cc and SPEC §1, the share, bulk, branding and
webhook bodies of the SPEC, small PNGs, query strings and proxy headers,
and a few nasty ones of each. Fields of a multi-field input are separated
by the byte 0xFF (fuzz/fuzz_util.h).
"""
import base64
import hashlib
import hmac
import json
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
SEP = b"\xff"


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    assert len(data) < 8192, (target, name, len(data))
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def clean():
    if not os.path.isdir(ROOT):
        return
    for target in os.listdir(ROOT):
        for f in os.listdir(os.path.join(ROOT, target)):
            if f.startswith("seed-"):
                os.remove(os.path.join(ROOT, target, f))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


# --- token -----------------------------------------------------------------
def secret(first):
    return bytes((first + i) & 0xFF for i in range(32))


KEYS = {1: secret(0), 7: secret(100)}


def token(key_id, link_id, report_id, expires_us, secret_bytes=None):
    payload = (bytes([1]) + struct.pack(">I", key_id) + link_id + struct.pack(">q", report_id)
               + struct.pack(">q", expires_us))
    tag = hmac.new(secret_bytes or KEYS[key_id], payload, hashlib.sha256).digest()[:24]
    return b64url(payload) + "." + b64url(tag)


def token_seeds():
    link = bytes(range(16))
    t1 = token(1, link, 318, 1752045393163639)
    write("token", "valid-key1", t1)
    write("token", "valid-key7", token(7, bytes(16), 9223372036854775807, 253402300799999999))
    write("token", "valid-expired-epoch", token(1, b"\xff" * 16, 1, 0))
    write("token", "valid-negative-expiry", token(7, link, 42, -1))
    write("token", "unknown-key", token(3, link, 318, 1752045393163639, secret(0)))
    write("token", "wrong-secret", token(1, link, 318, 1752045393163639, secret(1)))
    write("token", "report-id-zero", token(1, link, 0, 1752045393163639))
    write("token", "tampered", t1[:10] + ("A" if t1[10] != "A" else "B") + t1[11:])
    write("token", "truncated", t1[:-1])
    write("token", "padded", t1 + "=")
    write("token", "two-dots", t1[:50] + ".." + t1[52:])
    write("token", "empty", "")
    write("token", "too-long", t1 + t1)
    write("token", "key-file",
          "1 %s active\n7 %s\n" % (b64url(KEYS[1]), b64url(KEYS[7])))
    write("token", "key-file-bad",
          "01 %s active\n7 %s  \n" % (b64url(KEYS[1]), b64url(KEYS[7])))


# --- share_body ------------------------------------------------------------
def share_body_seeds():
    write("share_body", "empty", "")
    write("share_body", "hours-2", '{"expiration_hours": 2}')
    write("share_body", "hours-null", '{"expiration_hours": null}')
    write("share_body", "hours-quarter", '{"expiration_hours": 0.25}')
    write("share_body", "all-options", json.dumps({
        "expiration_hours": 24, "recipient": "hm@acme.example", "allow_download": False,
        "max_views": 3, "watermark": True, "variant": "anonymized", "language": "ar"}))
    write("share_body", "options-nulls", json.dumps({
        "recipient": None, "allow_download": None, "max_views": None, "watermark": None,
        "variant": None, "language": None, "unknown": [1, {"a": None}]}))
    write("share_body", "max-views-float", '{"max_views": 3.0, "recipient": "Hiring panel \u00e9"}')
    write("share_body", "bulk", '{"report_ids": [318, 319], "expiration_hours": 2}')
    write("share_body", "bulk-options", json.dumps({
        "report_ids": [318, 319, 320, 9223372036854775807], "expiration_hours": 1.5,
        "recipient": "Panel", "watermark": True, "language": "hi"}))
    write("share_body", "bulk-1000", json.dumps({"report_ids": list(range(1, 1001))}))
    write("share_body", "bulk-duplicate", '{"report_ids": [318, 319, 318]}')
    write("share_body", "nasty-numbers",
          '{"expiration_hours": 1e309, "report_ids": [1.0, -1, 18446744073709551615]}')
    write("share_body", "nasty-types", '{"expiration_hours": "2", "max_views": true, '
                                       '"variant": ["full"], "report_ids": "318"}')
    write("share_body", "nasty-recipient",
          '{"recipient": "a\\u0007b\\u202e\\u2028c", "language": "ES"}')
    write("share_body", "not-object", '[{"expiration_hours": 2}]')
    write("share_body", "deep", "[" * 70 + "]" * 70)


# --- report_json -----------------------------------------------------------
def section(name, pct, skills):
    return {"section": name, "percentage": pct,
            "skill_wise_score": [{"skill": s, "percentage": p} for s, p in skills]}


SPEC_REPORT = {
    "report_id": 318, "assessment_id": 138, "assessment_name": "Backend Engineer Screening",
    "candidate_id": 5012, "name": "Priya Raman", "email": "priya@example.com",
    "invite_status": "Completed", "started_date": "2025-07-09T06:02:11Z",
    "completed_date": "2025-07-09T06:58:40Z", "cut_off": 60, "overall_percentage": 72.5,
    "offtab_count": 2, "registration_fields": [{"label": "Phone", "value": "+91 98450 00000"}],
    "sections": [section("Python", 80.0, [("Data structures", 90.0)])]}


def report_json_seeds():
    write("report_json", "spec", json.dumps(SPEC_REPORT, ensure_ascii=False, indent=2))
    priya = dict(SPEC_REPORT)
    priya["registration_fields"] = [{"label": "Phone", "value": "+91 98450 00000"},
                                    {"label": "City", "value": "Bengaluru"},
                                    {"label": "Experience", "value": "5 years"}]
    priya["sections"] = [
        section("Python", 80, [("Data structures", 90), ("Standard library", 75), ("Testing", 70)]),
        section("SQL", 65, [("Joins", 70), ("Indexes", 60), ("Transactions", 65)]),
        section("System design", 70, [("Caching", 80), ("Queues", 60)]),
        section("HTTP & APIs", 85, [("REST semantics", 90), ("Authentication", 80)]),
        section("Debugging", 55, [("Reading stack traces", 60), ("Profiling", 50)]),
        section("Communication", 78, [("Written explanation", 78)])]
    write("report_json", "demo-318", json.dumps(priya))
    write("report_json", "demo-319-devanagari", json.dumps({
        "report_id": 319, "assessment_id": 138, "assessment_name": "Backend Engineer Screening",
        "candidate_id": 5013, "name": "अनन्या शर्मा", "email": "ananya.sharma@example.in",
        "invite_status": "Completed", "started_date": "2025-07-09T08:02:11+05:30",
        "completed_date": "2025-07-09T08:50:40.5+05:30", "cut_off": 60,
        "overall_percentage": 54.25, "offtab_count": 0,
        "registration_fields": [{"label": "फ़ोन", "value": "+91 99000 12345"},
                                {"label": "शहर", "value": "पुणे"}],
        "sections": [section("Python", 62, [("Data structures", 70), ("Standard library", 54)]),
                     section("SQL", 48, [("Joins", 50), ("Indexes", 46)]),
                     section("System design", 52.5, [("Caching", 55), ("Queues", 50)])]},
        ensure_ascii=False))
    write("report_json", "demo-320-arabic", json.dumps({
        "report_id": 320, "assessment_id": 139, "assessment_name": "Data Analyst Assessment",
        "candidate_id": 5020, "name": "ليلى حداد", "email": "layla.haddad@example.com",
        "invite_status": "Completed", "started_date": "2025-07-09T09:02:11.123456Z",
        "completed_date": "2025-07-09T09:43:40.999999999-00:30", "cut_off": 50,
        "overall_percentage": 88, "offtab_count": 1,
        "registration_fields": [{"label": "Phone", "value": "+971 50 000 0000"},
                                {"label": "المدينة", "value": "دبي"}],
        "sections": [section("Statistics", 92, [("Hypothesis testing", 95), ("Regression", 89)]),
                     section("Visualisation", 85, [("Chart choice", 85)])]},
        ensure_ascii=False))
    write("report_json", "demo-321-many-sections", json.dumps({
        "report_id": 321, "assessment_id": 140, "assessment_name": "Full-Stack Engineering Marathon",
        "candidate_id": 5031, "name": "Jonathan Alexander Montgomery-Wellington",
        "email": "jonathan.mw@example.co.uk", "invite_status": "Completed",
        "started_date": "2025-07-09T10:00:00Z", "completed_date": "2025-07-09T12:55:29Z",
        "cut_off": 65, "overall_percentage": 67.8, "offtab_count": 7,
        "sections": [section("Section %d: topic area" % (s + 1), (s * 17) % 101,
                             [("Skill %d of section %d" % (k + 1, s + 1), (s * 7 + k * 13) % 101)
                              for k in range(4)]) for s in range(12)]}))
    write("report_json", "demo-322-pending", json.dumps({
        "report_id": 322, "assessment_id": 138, "assessment_name": "Backend Engineer Screening",
        "candidate_id": 5040, "name": "王小明", "email": "xiaoming.wang@example.cn",
        "invite_status": "Pending"}, ensure_ascii=False))
    write("report_json", "started-minimal",
          '{"assessment_id": 1, "name": "x", "invite_status": "Started", "email": null}')
    write("report_json", "completed-minimal", '{"assessment_id": 9223372036854775807, "name": '
          '"\\u0000<b>&amp;", "invite_status": "Completed", "completed_date": '
          '"9999-12-31T23:59:59.999999Z", "overall_percentage": 100.0, "sections": []}')
    write("report_json", "nasty-numbers", '{"assessment_id": 1.0, "name": "n", "invite_status": '
          '"Completed", "completed_date": "2025-02-30T00:00:00Z", "overall_percentage": -0.0, '
          '"cut_off": 1e309, "offtab_count": 1000001, "sections": [{"section": "s", '
          '"percentage": "50"}]}')
    write("report_json", "nasty-dates", '{"assessment_id": 2, "name": "n", "invite_status": '
          '"Completed", "started_date": "2025-07-09t06:02:11z", "completed_date": '
          '"2025-07-09T06:02:11.000001+00:00", "overall_percentage": 0, "sections": []}')
    write("report_json", "mismatched-id", '{"report_id": 0, "assessment_id": 1, "name": "n", '
          '"invite_status": "Pending"}')
    write("report_json", "strict-json", '{"name": "x", /* comment */ "assessment_id": 1,}')
    write("report_json", "escapes", '"\\ud83d\\ude00 \\u00e9 \\/ \\b\\f\\n\\r\\t"')


# --- request_target --------------------------------------------------------
def fields(*parts):
    return SEP.join(p.encode("utf-8") if isinstance(p, str) else p for p in parts)


def request_target_seeds():
    tok = token(1, bytes(range(16)), 318, 1752045393163639)
    write("request_target", "link-pdf-lang", fields(
        "/assessments/bp/reports/shared/%s?format=pdf&lang=ar" % tok,
        "es-MX,es;q=0.9,en;q=0.8,*;q=0.1", "text/html,application/xhtml+xml,*/*;q=0.8",
        "10.0.0.1", "10.0.0.0/8,::1",
        'for=203.0.113.7;proto=https, for="[2001:db8::1]:4711";by=10.0.0.1',
        "203.0.113.7, 10.0.0.2", "https"))
    write("request_target", "links-filter", fields(
        "/assessments/reports/318/links?recipient=hm%40acme.example&state=live",
        "de-CH;q=0.5, fr;q=0", "application/json", "::ffff:192.0.2.1", "192.0.2.0/24",
        "", "198.51.100.7,192.0.2.9\n192.0.2.10", "HTTP, https"))
    write("request_target", "opens", fields(
        "/assessments/reports/9223372036854775807/links/AAECAwQFBgcICQoLDA0ODw/opens",
        "*", "application/json;q=1, text/html;q=0.999", "2001:db8::7", "2001:db8::/32",
        "for=unknown, for=_hidden, For=\"198.51.100.3\"", "", ""))
    write("request_target", "branding-put", fields(
        "/assessments/branding/?", "hi, ar;q=0.7", "*/*", "127.0.0.1", "127.0.0.1/32",
        "for=192.0.2.60;proto=http;by=203.0.113.43", "", ""))
    write("request_target", "plus-and-escapes", fields(
        "/assessments/bp/reports/shared/?lang=%41r&format=h%74ml&lang=es+x",
        "en-US,en;q=0.9,q=1", "text/*;q=0.5", "10.1.2.3", "10.0.0.0/8, 0.0.0.0/0",
        'for="[::1]";proto=HTTPS', "", ""))
    write("request_target", "nasty-query", fields(
        "/healthz?%zz=1&=&&a=%00%ff", "xx-yyyyyyyyy;q=0.5,;q=,es;q=1.0001", ",,;", "not-an-ip",
        "10.0.0.1/8,::/129,1.2.3.4/33, ,", 'for="unterminated', "1.2.3.4:80,[::1]:80", "ftp"))
    write("request_target", "ids", fields(
        "/assessments/report/0318/links/AAECAwQFBgcICQoLDA0OD_/x/9223372036854775808//-1",
        "", "", "", "", "", "", ""))
    write("request_target", "empty", b"")


# --- api -------------------------------------------------------------------
def api_seeds():
    tok = token(1, bytes(range(16)), 318, 1752045393163639)
    link = "AAECAwQFBgcICQoLDA0ODw"
    def req(name, method, target, key="valid", body="", accept="", lang="", extra=""):
        write("api", name, fields(method, target, key, body, accept, lang, extra))
    req("healthz", "GET", "/healthz", key="")
    req("readyz-head", "HEAD", "/readyz", key="")
    req("share", "POST", "/assessments/reports/318/share",
        body='{"expiration_hours": 2, "recipient": "hm@acme.example", "max_views": 3}')
    req("download-empty-body", "POST", "/assessments/reports/318/download")
    req("bad-option", "POST", "/assessments/reports/318/Share", body="{}")
    req("bulk-share", "POST", "/assessments/reports/share",
        body='{"report_ids": [318, 319], "expiration_hours": 2, "watermark": true}')
    req("bulk-download", "POST", "/assessments/reports/download", body='{"report_ids": [318]}')
    req("links-filter", "GET", "/assessments/reports/318/links?recipient=hm%40acme.example&state=live")
    req("revoke-one", "DELETE", "/assessments/reports/318/links/" + link)
    req("revoke-all-bad-key", "DELETE", "/assessments/reports/318/links", key="rs_unknown")
    req("opens", "GET", "/assessments/reports/318/links/%s/opens" % link)
    req("get-report", "GET", "/assessments/report/318", accept="application/json")
    req("put-report", "PUT", "/assessments/report/318", body=json.dumps(SPEC_REPORT))
    req("put-report-too-large", "PUT", "/assessments/report/318", body="{}", extra="too-large")
    req("patch-report", "PATCH", "/assessments/report/9223372036854775808")
    req("branding-put", "PUT", "/assessments/branding/",
        body='{"display_name": "Acme", "primary_color": "#0b5394", "footer_text": ""}')
    req("branding-get-no-key", "GET", "/assessments/branding", key="")
    req("link-html", "GET", "/assessments/bp/reports/shared/" + tok, key="",
        accept="text/html", lang="ar, en;q=0.5")
    req("link-pdf-json", "GET", "/assessments/bp/reports/shared/%s?format=pdf&lang=hi" % tok,
        key="", accept="application/json")
    req("link-bad-lang", "HEAD", "/assessments/bp/reports/shared/%s?lang=zz" % tok, key="")
    req("link-mangled", "POST", "/assessments/bp/reports/shared//x/", key="")
    req("webhooks", "POST", "/assessments/webhooks", body='{"url": "https://example.com"}')
    req("no-slash", "OPTIONS", "*", key="")


# --- branding_body and png -------------------------------------------------
def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, bit_depth, color_type, rows, extra=b"", interlace=0):
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0,
                                             0, interlace))
            + extra + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def rgba_png(w, h):
    rows = [bytes(sum(([(x * 60) % 256, (y * 120) % 256, 200, 255] for x in range(w)), []))
            for y in range(h)]
    return png(w, h, 8, 6, rows)


def png_seeds():
    logo = rgba_png(4, 2)
    write("png", "rgba-4x2.png", logo)
    write("png", "gray-1x1-interlaced.png", png(1, 1, 8, 0, [b"\x80"], interlace=1))
    write("png", "palette-3x2-trns.png",
          png(3, 2, 8, 3, [b"\x00\x01\x02", b"\x02\x01\x00"],
              extra=png_chunk(b"PLTE", b"\xff\x00\x00\x00\xff\x00\x00\x00\xff")
              + png_chunk(b"tRNS", b"\x00\x80")))
    write("png", "rgb16-2x2.png", png(2, 2, 16, 2, [b"\x00\x01" * 6, b"\xff\xfe" * 6],
                                      extra=png_chunk(b"gAMA", struct.pack(">I", 45455))))
    write("png", "gray-alpha-1bit-gray.png", png(8, 1, 1, 0, [b"\xa5"]))
    write("png", "claims-4000x10.png",
          b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 4000, 10, 8, 6, 0, 0, 0))
          + png_chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + png_chunk(b"IEND", b""))
    write("png", "truncated.png", logo[:60])
    bad = bytearray(logo)
    bad[30] ^= 0x01  # inside IHDR's CRC
    write("png", "bad-crc.png", bytes(bad))
    write("png", "not-png", b"GIF89a\x01\x00\x01\x00")
    return logo


def branding_body_seeds(logo):
    write("branding_body", "full", json.dumps({
        "display_name": "Acme Talent", "primary_color": "#0b5394",
        "logo_png": base64.b64encode(logo).decode(), "footer_text": "Acme Ltd · Registered",
        "public_url": "https://talent.example.com/"}, ensure_ascii=False))
    write("branding_body", "resets", json.dumps({
        "display_name": None, "primary_color": None, "logo_png": None, "footer_text": None,
        "public_url": None}))
    write("branding_body", "footer-empty", '{"footer_text": "", "primary_color": "#B71C1C"}')
    write("branding_body", "red-and-url", '{"primary_color": "#767676", "public_url": '
                                          '"http://reports.acme.example:8080/base///"}')
    write("branding_body", "pale-colour", '{"primary_color": "#777777"}')
    write("branding_body", "unknown-field", '{"display_name": "A", "logo": "x"}')
    write("branding_body", "blank-name", '{"display_name": "   "}')
    write("branding_body", "control-chars", '{"display_name": "A\\u0000B", "footer_text": '
                                            '"x\\u202ey"}')
    write("branding_body", "bad-url", '{"public_url": "https://user@host/?q#f"}')
    write("branding_body", "bad-base64", '{"logo_png": "iVBORw0KGgo=x"}')


# --- webhook_body ----------------------------------------------------------
def webhook_body_seeds():
    write("webhook_body", "spec", '{"url": "https://example.com/hooks", "events": '
                                  '["link.viewed"]}')
    write("webhook_body", "all-events", json.dumps({
        "url": "http://hooks.example.org:8080/a/b?c=d&e", "description": "Ops — «alerts»",
        "events": ["link.created", "link.viewed", "link.revoked", "link.denied",
                   "report.updated", "webhook.test"]}, ensure_ascii=False))
    write("webhook_body", "ipv6", '{"url": "https://[2001:db8::1]:8443/x?y=1", "events": null, '
                                  '"description": null}')
    write("webhook_body", "numeric-host", '{"url": "http://127.1/"}')
    write("webhook_body", "credentials", '{"url": "https://user:pass@example.com/", '
                                         '"events": []}')
    write("webhook_body", "unknown-event", '{"url": "https://example.com", "events": '
                                           '["link.opened", 1]}')
    write("webhook_body", "raw-url-upper", "HTTPS://EXAMPLE.com:0443/path?q=1")
    write("webhook_body", "raw-url-port", "http://h:x/")
    write("webhook_body", "raw-url-v4mapped", "http://[::ffff:10.0.0.1]:80")
    write("webhook_body", "raw-url-fragment", "https://example.com/#frag")
    write("webhook_body", "raw-ip", "169.254.169.254")


# --- html and pdf ----------------------------------------------------------
def shape(language, flags, more=0, registration=1, sections=1, skills=1, cut_off=60,
          overall=72, quarter=2, minutes=56, colour=0):
    assert 0xFF not in (language, flags, more, cut_off, overall, quarter, minutes, colour)
    return bytes([language, flags, more, registration, sections, skills, cut_off, overall,
                  quarter, minutes, colour])


def doc(shape_bytes, *strings):
    return SEP.join([shape_bytes] + [s.encode("utf-8") if isinstance(s, str) else s
                                     for s in strings])


SPEC_STRINGS = ["Acme Talent", "Backend Engineer Screening", "Priya Raman", "priya@example.com",
                "Phone", "+91 98450 00000", "Python", "Data structures"]


def render_seeds(target):
    # Languages: en es fr de pt hi ar (0 … 6). Flags: 1 watermark, 2 branding,
    # 4 download, 8 language links, 16 cut-off, 32 candidate id, 64 proctoring.
    # More: 1 started date, 2 and 4 the proctoring count, 8 a logo.
    write(target, "spec-en", doc(shape(0, 4 | 16 | 32 | 64, more=1 | 4), *SPEC_STRINGS,
                                 "", "", "", ""))
    write(target, "spec-branded-watermark-es",
          doc(shape(1, 0x7F, more=1 | 2 | 8, colour=2), *SPEC_STRINGS,
              "Northwind Talent", "Northwind Talent Ltd · Registered in England No. 01234567",
              "hm@acme.example", "?format=pdf&lang=es"))
    write(target, "devanagari-hi", doc(
        shape(5, 4 | 8 | 16 | 32, registration=2, sections=3, skills=2, cut_off=60, overall=54,
              quarter=1), "Acme Talent (demo)", "Backend Engineer Screening", "अनन्या शर्मा",
        "ananya.sharma@example.in", "फ़ोन", "+91 99000 12345", "शहर", "पुणे",
        "Python", "Data structures", "Standard library", "SQL", "Joins", "Indexes",
        "System design", "Caching", "Queues", "", "", "", ""))
    write(target, "arabic-ar", doc(
        shape(6, 1 | 2 | 4 | 8 | 16 | 32 | 64, more=3 | 8, registration=2, sections=2,
              skills=1, cut_off=50, overall=88, quarter=0, colour=1),
        "شركة أكمي", "Data Analyst Assessment", "ليلى حداد", "layla.haddad@example.com",
        "Phone", "+971 50 000 0000", "المدينة", "دبي", "Statistics", "Hypothesis testing",
        "SQL", "Window functions", "أكمي للمواهب", "تذييل — C++ (نسخة 2)", "لجنة التوظيف", ""))
    write(target, "cjk-emoji-fr", doc(
        shape(2, 2 | 16, registration=1, sections=2, skills=2, cut_off=100, overall=100),
        "株式会社サンプル", "评估 🧪", "王小明 👩🏽‍💻", "xiaoming.wang@example.cn", "电话 ☎",
        "+86 10 0000 0000", "数据结构 🏗️", "链表", "🇫🇷🇩🇪", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "漢字",
        "한국어", "ประเทศไทย", "", "", ""))
    write(target, "markup-de", doc(
        shape(3, 1 | 4 | 8 | 16 | 32, registration=3, sections=2, skills=2),
        "<b>Acme</b> & \"Co\"", "</title><script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>", "a@b.c' onmouseover='x", "<!--", "-->",
        "&amp;&lt;&#x3c;", "]]><![CDATA[", "<svg onload=alert(1)>", "javascript:alert(1)",
        "<style>*{x}</style>", "{name} {{id}} %s %n", "", "", "<recipient>",
        "\" onclick=\"alert(1)"))
    write(target, "pdf-metacharacters-pt", doc(
        shape(4, 2 | 4, more=8, registration=1, sections=1, skills=3, overall=0, quarter=0),
        "(Acme) \\ %PDF-1.7", "endstream endobj trailer", "BT /F1 12 Tf (x) Tj ET",
        "\\(\\)\\\\", "%%EOF", "<< /Type /Catalog >>", "Section\nwith\r\nbreaks\ttabs",
        "skill\u00a0nbsp\u200bzwsp", "soft\u00adhyphen", "a" * 300, "", "", "", ""))
    write(target, "bidi-controls-ar", doc(
        shape(6, 4 | 16 | 64, registration=2, sections=2, skills=1),
        "\u202eevil\u202c", "\u2067isolate\u2069", "abc \u05d0\u05d1\u05d2 123", "\u200f",
        "\u0000nul", "\u0007bell\u001b[31m", "\u2028line\u2029para", "\ufeffbom",
        "٣٤٥ ١٢", "Skill \u0301combining", "\U0001F3F3\uFE0F\u200D\U0001F308", "x"))
    write(target, "invalid-utf8", doc(
        shape(0, 2 | 8 | 1, registration=1, sections=1, skills=1),
        b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80\x80", b"\xe2\x82",
        b"ok\xfe", b"\xf0\x9f\x98", b"\xf0\x9f\x98\x80", b"", b"", b"", b""))
    write(target, "empty-strings-no-sections", doc(
        shape(1, 0, registration=0, sections=0, skills=0), "", "", "", ""))
    write(target, "many-sections", doc(
        shape(0, 4 | 16, registration=3, sections=4, skills=3, cut_off=45, overall=44, quarter=3),
        *(["Company", "Assessment", "Name", "mail@example.com"]
          + ["Label %d" % i for i in range(6)]
          + ["Section %d name that is rather long and wraps over more than one line" % i
             for i in range(16)])))
    write(target, "empty", b"")


def main():
    clean()
    token_seeds()
    share_body_seeds()
    report_json_seeds()
    request_target_seeds()
    api_seeds()
    logo = png_seeds()
    branding_body_seeds(logo)
    webhook_body_seeds()
    render_seeds("html")
    render_seeds("pdf")


if __name__ == "__main__":
    main()
