#!/usr/bin/env python3
"""Writes the seed corpora in corpus/<harness>/ (run once; the outputs are
committed). Valid messages from the spec files plus one file per malformed
case the decoders must reject."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
NS = "http://puppetlabs.com/"
UUID = "5e4b3c2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"


def compact(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def chunk(desc, content):
    return bytes([desc]) + struct.pack(">I", len(content)) + content


def v1(*chunks, version=1):
    return bytes([version]) + b"".join(chunks)


def write(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for fname, content in seeds.items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(content)


env = compact({"id": UUID, "message_type": NS + "rpc_blocking_request",
               "expires": "1970-01-01T00:00:00.000Z",
               "targets": ["pcp://agent01.example.com/agent"],
               "sender": "pcp://controller.example.com/orchestrator"})
env_reply = compact({"id": UUID, "message_type": NS + "associate_response",
                     "expires": "1970-01-01T00:00:00.000Z", "targets": [],
                     "sender": "pcp:///server", "in-reply-to": "req-1",
                     "destination_report": True})
req = compact({"transaction_id": "abc-123", "module": "echo", "action": "echo",
               "params": {"argument": "hi"}})
nbreq = compact({"transaction_id": "8a8b", "notify_outcome": True,
                 "module": "task", "action": "run",
                 "params": {"task": "package", "input": {"name": "openssl"}}})
debug = compact({"hops": [{"server": "pcp://broker.example.com/server",
                           "stage": "accepted",
                           "time": "2016-02-19T10:09:18.283Z"}]})

write("codec_v1", {
    "request": v1(chunk(1, env), chunk(2, req)),
    "request_debug": v1(chunk(1, env), chunk(2, req), chunk(3, debug),
                        chunk(3, b'{"hops":[{"server":1}]}')),
    "associate_response": v1(chunk(1, env_reply),
                             chunk(2, compact({"id": UUID, "success": True}))),
    "envelope_only": v1(chunk(1, env)),
    "masked_desc": v1(chunk(0xF1, env), chunk(0x52, b"not json")),
    "trailing5": v1(chunk(1, env), chunk(2, req)) + b"\x02\x00\x00\x00\x00",
    "bad_version": v1(chunk(1, env), version=2),
    "short": b"\x01\x01\x00\x00",
    "size_overflow": v1(chunk(1, env)) + b"\x02\xff\xff\xff\xff{}",
    "two_envelopes": v1(chunk(1, env), chunk(1, env)),
    "data_after_debug": v1(chunk(1, env), chunk(3, debug), chunk(2, req)),
    "unknown_desc": v1(chunk(1, env), chunk(7, b"{}")),
})

v2msg = compact({"id": "4655b1e9", "message_type": NS + "rpc_blocking_request",
                 "target": "pcp://agent01.example/agent",
                 "sender": "pcp://controller.example/controller",
                 "data": json.loads(req)})
write("codec_v2", {
    "request": v2msg,
    "reply": compact({"id": "c234", "message_type": NS + "rpc_blocking_response",
                      "target": "pcp://controller.example/controller",
                      "in_reply_to": "4655b1e9",
                      "data": {"transaction_id": "abc-123",
                               "results": {"outcome": "h\u00e9llo \u2713"}}}),
    "error_string": compact({"id": "e", "message_type": NS + "error_message",
                             "in_reply_to": "x", "data": "Not connected."}),
    "minimal": b'{"id":"i","message_type":"t"}',
    "escapes": b'{"id":"a\\"\\\\\\u0001\\ud83d\\ude00","message_type":"t","data":[1e400,-0,null]}',
    "wrong_type": b'{"id":"i","message_type":"t","target":["pcp://a/b"]}',
    "trailing": v2msg + b" x",
    "array": b"[]",
})

write("pxp_request", {
    "blocking": req,
    "non_blocking": nbreq,
    "no_params": b'{"transaction_id":"t","module":"m","action":"a"}',
    "escapes": b'{"transaction_id":"q\\"\\\\\\n\\u001f\xc3\xa9\xff","module":"m","action":"a","notify_outcome":false}',
    "bad_params": b'{"transaction_id":"t","module":"m","action":"a","params":[]}',
    "not_object": b'"invalid"',
})


# schema: "<schema>\n---\n<value>" (schema_fuzz.c). The first seeds of this
# corpus (bounds, nested, puppet_*, ...) were written by hand; these cover
# the draft 4 keywords added later.
def pair(schema, value):
    return compact(schema) + b"\n---\n" + compact(value)


tree = {"type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"},
                       "children": {"type": "array", "items": {"$ref": "#"}}},
        "additionalProperties": False}
defs = {"definitions": {"a/b": {"type": "integer"}, "t~x": {"type": "boolean"},
                        "sp ace": {"enum": [1, "1", None]},
                        "pair": {"items": [{"minimum": 0}]}},
        "properties": {"i": {"$ref": "#/definitions/a~1b"},
                       "b": {"$ref": "#/definitions/t~0x"},
                       "s": {"$ref": "#/definitions/sp%20ace"},
                       "p": {"$ref": "#/definitions/pair/items/0"}}}
chain = {"definitions": {"a%d" % i: {"anyOf": [{"$ref": "#/definitions/a%d" % (i + 1)}] * 2}
                         for i in range(12)}}
chain["definitions"]["a12"] = {"type": "string"}
chain["$ref"] = "#/definitions/a0"
pkg = json.load(open(os.path.join(HERE, "..", "data", "modules",
                                  "pkg.metadata.json")))
write("schema", {
    "ref_tree": pair(tree, {"name": "r", "children": [{"name": "a", "children": [
        {"name": "b", "x": 1}]}]}),
    "ref_pointers": pair(defs, {"i": 1, "b": True, "s": "1", "p": -1}),
    "ref_loop": pair({"definitions": {"a": {"not": {"$ref": "#/definitions/a"}}},
                      "$ref": "#/definitions/a"}, 1),
    "ref_remote": pair({"$ref": "other.json#/a"}, {}),
    "ref_exponential": pair(chain, 1),
    "combinators": pair({"allOf": [{"type": ["string", "integer"]}],
                         "anyOf": [{"maxLength": 2}, {"minimum": 10}],
                         "oneOf": [{"type": "integer"}, {"multipleOf": 2}],
                         "not": {"enum": ["no", 13]}}, 12),
    "pattern_classes": pair({"pattern": "^\\d{3}-[\\w.\\-]+(?:\\s[^\\]x]|\\u00e9)*$"},
                            "123-a.b \u00e9"),
    "pattern_properties": pair({"properties": {"name": {"type": "string"}},
                                "patternProperties": {"^x-": {"type": "string"},
                                                      "\\d$": {"minimum": 0},
                                                      "^\u00e9": {"type": "null"}},
                                "additionalProperties": {"type": "integer"}},
                               {"name": "n", "x-a": "s", "a1": -1, "\u00e9t\u00e9": None,
                                "other": 2}),
    "pattern_refused": pair({"pattern": "(a)\\1|(?=b)|\\bc|[^\u00e9]|a{2}{3}"}, "a"),
    "pattern_as_value": pair({"type": "object", "a": "2024-05", "b": "x{y}"},
                             "^(?<y>\\d{4})-\\d{2}$|\\Ax\\{y\\}\\z|.{1,3}?"),
    "dependencies": pair({"dependencies": {"card": ["billing", "name"],
                                           "ship": {"required": ["address"]}}},
                         {"card": 1, "ship": True, "name": "n"}),
    "unique_items": pair({"uniqueItems": True, "items": {"uniqueItems": True}},
                         [[1, 2], [2, 1], [{"a": 1, "b": [0]}, {"b": [0], "a": 1}],
                          [0, -0.0], list(range(20)) + [3]]),
    "multiple_of": pair({"items": [{"multipleOf": 0.1}, {"multipleOf": 3},
                                   {"multipleOf": 1e-8}]}, [0.3, 10, 3e-8]),
    "format_annotations": pair({"format": "email", "title": "t", "default": [1],
                                "$schema": "http://json-schema.org/draft-04/schema#",
                                "id": "#x", "exclusiveMaximum": True, "enum": [],
                                "type": []}, "x"),
    "pkg_install": pair(pkg["actions"][0]["input"],
                        {"packages": ["openssl", {"name": "curl",
                                                  "version": "7.88.1-10+deb12u5"},
                                      "openssl"],
                         "options": {"--yes": True, "-n": 1},
                         "env": {"LANG": "C"}, "reboot_delay": 90}),
    "pkg_results": pair(pkg["actions"][0]["results"],
                        {"packages": [{"name": "x", "status": "failed"},
                                      {"name": "y", "status": "installed",
                                       "version": None}]}),
})


# ---- extmod_metadata: "<metadata>\n---\n<conf>\n---\n<stdout>" ----------
def mod(meta, conf=b"-", out=b""):
    m = meta if isinstance(meta, bytes) else compact(meta)
    c = conf if isinstance(conf, bytes) else compact(conf)
    o = out if isinstance(out, bytes) else compact(out)
    return m + b"\n---\n" + c + b"\n---\n" + o


write("extmod_metadata", {
    "pkg": mod(pkg, b"-", {"packages": [{"name": "x", "status": "failed"}]}),
    "pkg_conf": mod(pkg, {"mirror": "http://deb.example"}, b""),
    "pkg_bad_conf": mod(pkg, b"{not json", {"packages": []}),
    "config_schema": mod({"description": "m", "configuration": {
        "type": "object", "properties": {"url": {"type": "string"}},
        "required": ["url"]}, "actions": [{"name": "go", "input": {},
                                           "results": {"type": "null"}}]},
        {"url": 1}, b"null"),
    "no_actions": mod({"description": "m", "actions": []}),
    "action_no_name": mod({"actions": [{"input": {}, "results": {}}]}),
    "dup_actions": mod({"actions": [{"name": "a", "input": {}, "results": {}},
                                    {"name": "a", "input": {}, "results": {}}]}),
    "bad_schema": mod({"actions": [{"name": "a", "input": {"type": 3},
                                    "results": {"$ref": "#/definitions/x"}}]}),
    "not_object": mod(b"[1,2]"),
    "output_not_json": mod({"actions": [{"name": "a", "input": {},
                                         "results": {"type": "object"}}]},
                           b"-", b"ok\xff\xfe"),
})

# ---- task_plan: <feature bits><params JSON> -----------------------------
def tp(bits, params):
    return bytes([bits]) + compact(params)


F = {"filename": "init.sh", "sha256": "a" * 64, "size_bytes": 10,
     "uri": {"path": "/puppet/v3/file_content/tasks/m/init.sh",
             "params": {"environment": "production"}}}
Fps = dict(F, filename="init.ps1")
Flib = dict(F, filename="m/files/lib/helper.rb")
write("task_plan", {
    "single": tp(1, {"task": "m::init", "input": {"a": 1, "b": "x"},
                     "files": [F]}),
    "impls": tp(3, {"task": "m", "input": {"k=v": 1, "s": None},
                    "metadata": {"input_method": "environment",
                                 "implementations": [
                                     {"name": "init.ps1", "requirements": ["powershell"]},
                                     {"name": "init.sh", "requirements": ["shell"],
                                      "files": ["m/files/lib/"], "input_method": "both"}],
                                 "files": ["m/files/lib/helper.rb"]},
                    "files": [F, Fps, Flib]}),
    "no_match": tp(0, {"task": "m", "input": {}, "metadata": {
        "implementations": [{"name": "init.sh", "requirements": ["bash"]}],
        "features": ["extra"]}, "files": [F]}),
    "bad_method": tp(0x81, {"task": "m", "input": {},
                            "metadata": {"input_method": "argv"}, "files": [F]}),
    "traversal": tp(1, {"task": "m", "input": {}, "files": [
        F, dict(F, filename="../etc/passwd"), dict(F, filename="a/../../b"),
        dict(F, filename="..notes"), dict(F, filename="C:x"), dict(F, filename="a\\b")]}),
    "missing_impl_file": tp(1, {"task": "m", "input": {}, "metadata": {
        "implementations": [{"name": "other.sh"}]}, "files": [F]}),
    "bad_name": tp(1, {"task": "M::x-y", "input": [], "files": []}),
})

# ---- conn_rx: <settings byte> then fragments <len:2><final:1><bytes> ----
def frags(msg, sizes, version, shift=7):
    out = bytes([(1 if version == 2 else 0) | (shift << 1)])
    i = 0
    for k, n in enumerate(sizes):
        part = msg[i:i + n]
        i += n
        last = i >= len(msg) or k == len(sizes) - 1
        out += struct.pack(">H", len(part)) + bytes([1 if last else 0]) + part
    return out


v2req = compact({"id": UUID, "message_type": NS + "rpc_non_blocking_request",
                 "target": "pcp://agent01.example.com/agent",
                 "sender": "pcp://controller.example.com/orchestrator",
                 "data": json.loads(nbreq)})
v1req = v1(chunk(1, env), chunk(2, req))
write("conn_rx", {
    "v1_whole": frags(v1req, [len(v1req)], 1),
    "v1_split": frags(v1req, [1, 5, 7, 100, 4096], 1),
    "v2_whole": frags(v2req, [len(v2req)], 2),
    "v2_split": frags(v2req, [3, 30, 300], 2),
    "v2_two": frags(v2req, [len(v2req)], 2) + frags(v2req, [10, 4096], 2)[1:],
    "v2_oversize": frags(v2req, [40, 40, 4096], 2, shift=0),
    "v2_no_final": bytes([1 | (7 << 1)]) + struct.pack(">H", 50) + b"\0" + v2req[:50],
})
