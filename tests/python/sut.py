#!/usr/bin/env python3
"""A reference answer service for `gameday drill --sut URL`, in plain Python 3.

It implements gameday's answer API (docs/live.md) with the standard library only:

    POST /v1/answers {"task_type", "patient", "question", "subject"}
      -> 200 {"status": "ok" | "fallback", "answer", "citations", "model", "vendor", "cause",
              "prompt_version", "latency_ms"}

For each task it reads the patient's records from a FHIR R4 server (GAMEDAY_EHR_URL, e.g. the
drill's `ehr` URL), writes each record as a context line "[doc:ID] ...", asks an
OpenAI-compatible chat completions endpoint (GAMEDAY_VENDOR_URL, the drill's `vendor` URL) to
answer from those lines only, citing them, and returns the model's answer with its citations.
When the EHR or the model fails it answers `fallback` with a cause: never a guess.

It prints `sut http://127.0.0.1:PORT` once listening (on an OS-assigned port unless --port) and
logs nothing about requests: they carry patient identifiers.
"""
import argparse
import base64
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROMPT_VERSION = "py-1"
SYSTEM_PROMPT = (
    "You help clinicians with prior authorizations, plan benefits, discharges and patient "
    "messages. Use only the records listed under 'Records'; do not add codes, amounts, dates "
    "or names they do not contain. After every sentence, cite the record it comes from as "
    "[doc:ID]. When the records do not hold the answer, say that you cannot answer from them."
)
TRIAGE_FORMAT = (
    "Reply with a JSON object: {\"answer\": your triage in one or two sentences, "
    "\"citations\": [the ids of the records you used]}."
)
TASK_TYPES = ("prior_auth_status", "benefits_question", "discharge_summary", "message_triage")
CITATION = re.compile(r"\[doc:([^\]\s]+)\]")
EHR_TIMEOUT_S = 10
VENDOR_TIMEOUT_S = 30


class Fallback(Exception):
    """The service cannot answer safely; `cause` says why (journaled by gameday)."""

    def __init__(self, cause):
        super().__init__(cause)
        self.cause = cause


class BadRequest(Exception):
    """A request body gameday's contract does not allow (answered 400, naming the field)."""

    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


def us_date(iso):
    """'2026-03-17' or '2026-03-17T00:00:00Z' -> '03/17/2026' (the text itself when it is neither)."""
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    return f"{m.group(2)}/{m.group(3)}/{m.group(1)}" if m else (iso or "an unknown date")


def attachment_text(resource):
    """The plain text of a DocumentReference's first attachment ('' when it has none)."""
    for content in resource.get("content", []):
        data = content.get("attachment", {}).get("data")
        if data:
            return base64.b64decode(data).decode("utf-8", errors="replace")
    return ""


def claim_lines(resource):
    """A ClaimResponse (a prior-authorization case) in this service's own words.

    The decision comes first, in a sentence of its own that names the case reference (the
    question names it too), then the procedure, then the filing.
    """
    ref = resource.get("preAuthRef", resource.get("id", ""))
    decision, _, why = (resource.get("disposition") or "no decision recorded").partition(":")
    sentence = f"Case {ref}: the insurer's decision is {decision.strip()}"
    if why.strip():
        sentence += f" (reason given: {why.strip()})"
    parts = [sentence + "."]
    for item in resource.get("item", [])[:1]:
        coding = (item.get("productOrService", {}).get("coding") or [{}])[0]
        if coding.get("code"):
            parts.append(f"Procedure code {coding['code']}, {coding.get('display', 'unnamed procedure')}.")
    insurer = resource.get("insurer", {}).get("display", "the insurer")
    parts.append(f"Filed {us_date(resource.get('created'))} with {insurer}.")
    return " ".join(parts)


class AnswerService:
    """Answers one task at a time; thread-safe (no shared mutable state but the model cache)."""

    def __init__(self, ehr_url, vendor_url, model=None):
        self.ehr_url = ehr_url.rstrip("/")
        self.vendor_url = vendor_url.rstrip("/")
        self.model = model

    # ---- FHIR

    def search(self, resource_type, **params):
        """The resources of a FHIR search, following `next` links (at most 10 pages)."""
        url = f"{self.ehr_url}/{resource_type}?{urllib.parse.urlencode(params)}"
        found = []
        for _ in range(10):
            bundle = self.get_json(url, EHR_TIMEOUT_S, "ehr")
            found += [e["resource"] for e in bundle.get("entry", []) if "resource" in e]
            url = next((l["url"] for l in bundle.get("link", []) if l.get("relation") == "next"), None)
            if not url:
                break
        return found

    def get_json(self, url, timeout, side):
        request = urllib.request.Request(url, headers={"Accept": "application/fhir+json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                return json.load(reply)
        except urllib.error.HTTPError as e:
            raise Fallback(f"{side}_error") from e
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            raise Fallback(f"{side}_timeout" if "timed out" in str(e) else f"{side}_unreachable") from e
        except ValueError as e:
            raise Fallback(f"{side}_bad_response") from e

    # ---- records per task: [(id, context text)]

    def prior_auth_records(self, patient, subject):
        cases = self.search("ClaimResponse", patient=patient)
        return [(c["id"], claim_lines(c)) for c in cases]

    def benefits_records(self, patient, subject):
        plan = None
        for coverage in self.search("Coverage", patient=patient):
            for cls in coverage.get("class", []):
                codes = [c.get("code") for c in cls.get("type", {}).get("coding", [])]
                if "plan" in codes and cls.get("value"):
                    plan = cls["value"]
        if plan is None:
            raise Fallback("no_coverage")
        policies = self.search("DocumentReference", category="policy", plan=plan, status="current")
        return [(p["id"], attachment_text(p)) for p in policies]

    def discharge_records(self, patient, subject):
        notes = self.search("DocumentReference", patient=patient, category="discharge-summary")
        return [(n["id"], attachment_text(n)) for n in notes]

    def triage_records(self, patient, subject):
        messages = self.search("DocumentReference", patient=patient, category="portal-message")
        if subject:
            messages = [m for m in messages if m["id"] == subject] or messages
        policy = self.search("DocumentReference", category="policy", plan="ALL", status="current")
        return [(d["id"], attachment_text(d)) for d in messages + policy]

    # ---- the model

    def model_name(self):
        if self.model is None:
            listing = self.get_json(f"{self.vendor_url}/models", VENDOR_TIMEOUT_S, "vendor")
            self.model = listing["data"][0]["id"]
        return self.model

    def chat(self, user, json_mode):
        """The model's reply text and model name; one retry on a throttle or a server error."""
        body = {
            "model": self.model_name(),
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT + (" " + TRIAGE_FORMAT if json_mode else "")},
                {"role": "user", "content": user},
            ],
            "temperature": 0,
        }
        if json_mode:
            body["response_format"] = {"type": "json_object"}
        data = json.dumps(body).encode()
        for attempt in (1, 2):
            request = urllib.request.Request(f"{self.vendor_url}/chat/completions", data=data,
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=VENDOR_TIMEOUT_S) as reply:
                    completion = json.load(reply)
                return completion["choices"][0]["message"]["content"], completion.get("model", body["model"])
            except urllib.error.HTTPError as e:
                if attempt == 2 or not (e.code == 429 or e.code >= 500):
                    raise Fallback("vendor_rate_limited" if e.code == 429 else "vendor_error") from e
            except (urllib.error.URLError, TimeoutError, OSError) as e:
                raise Fallback("vendor_timeout" if "timed out" in str(e) else "vendor_unreachable") from e
            except (ValueError, KeyError, IndexError) as e:
                raise Fallback("vendor_bad_response") from e
        raise Fallback("vendor_error")

    # ---- one answer

    def records(self, task_type, patient, subject):
        by_task = {
            "prior_auth_status": self.prior_auth_records,
            "benefits_question": self.benefits_records,
            "discharge_summary": self.discharge_records,
            "message_triage": self.triage_records,
        }
        return by_task[task_type](patient, subject)

    def answer(self, task):
        """The response object for a checked request body."""
        records = [(i, t.replace("\n", " ").strip()) for i, t in
                   self.records(task["task_type"], task["patient"], task["subject"]) if t.strip()]
        if not records:
            raise Fallback("no_records")
        user = "Question: " + task["question"] + "\nRecords:\n"
        user += "".join(f"[doc:{doc_id}] {text}\n" for doc_id, text in records)
        json_mode = task["task_type"] == "message_triage"
        text, model = self.chat(user, json_mode)
        if json_mode:
            try:
                reply = json.loads(text)
                citations = [c for c in reply["citations"] if isinstance(c, str)]
                if not isinstance(reply["answer"], str):
                    raise TypeError("answer")
            except (ValueError, KeyError, TypeError) as e:
                raise Fallback("model_bad_json") from e
        else:
            citations = list(dict.fromkeys(CITATION.findall(text)))
        return self.adjust(task, {"status": "ok", "answer": text, "citations": citations, "model": model})

    def adjust(self, task, response):
        """A last look at the response before it is sent (the deliberately wrong service bends it)."""
        return response


def check_body(raw):
    """The request body as a task, or BadRequest naming the field."""
    try:
        body = json.loads(raw or b"")
    except ValueError:
        raise BadRequest("the body is not JSON", "")
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", "")
    if body.get("task_type") not in TASK_TYPES:
        raise BadRequest("task_type must be one of " + ", ".join(TASK_TYPES), "task_type")
    if not isinstance(body.get("patient"), str) or not re.fullmatch(r"[A-Za-z0-9.-]{1,64}", body["patient"]):
        raise BadRequest("patient must be a FHIR id such as pat-0001", "patient")
    for field in ("question", "subject"):
        if not isinstance(body.get(field, ""), str):
            raise BadRequest(field + " must be a string", field)
    return {"task_type": body["task_type"], "patient": body["patient"],
            "question": body.get("question") or "What does the record say?", "subject": body.get("subject", "")}


def make_handler(service):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # requests carry patient identifiers: log nothing
            pass

        def reply(self, status, obj):
            data = (json.dumps(obj) + "\n").encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the caller gave up and left
                self.close_connection = True

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.split("?")[0] != "/v1/answers":
                return self.reply(404, {"error": {"message": "POST /v1/answers is the only route", "field": ""}})
            started = time.monotonic()
            try:
                task = check_body(raw)
            except BadRequest as e:
                return self.reply(400, {"error": {"message": str(e), "field": e.field}})
            try:
                response = service.answer(task)
                response["cause"] = ""
            except Fallback as e:
                response = {"status": "fallback", "answer": "I cannot answer this safely right now.",
                            "citations": [], "model": "", "cause": e.cause}
            response.update({"vendor": "", "prompt_version": PROMPT_VERSION,
                             "latency_ms": int((time.monotonic() - started) * 1000)})
            self.reply(200, response)

        def do_GET(self):
            self.reply(404, {"error": {"message": "POST /v1/answers is the only route", "field": ""}})

    return Handler


def serve(service_class):
    """Runs `service_class` (AnswerService or a subclass) as this script's main."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    args = parser.parse_args()
    ehr, vendor = os.environ.get("GAMEDAY_EHR_URL"), os.environ.get("GAMEDAY_VENDOR_URL")
    if not ehr or not vendor:
        sys.exit("set GAMEDAY_EHR_URL and GAMEDAY_VENDOR_URL (the drill's `ehr` and `vendor` URLs)")
    service = service_class(ehr, vendor, os.environ.get("GAMEDAY_MODEL"))
    server = ThreadingHTTPServer((args.host, args.port), make_handler(service))
    server.daemon_threads = True
    print(f"sut http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    serve(AnswerService)
