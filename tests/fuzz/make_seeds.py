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
