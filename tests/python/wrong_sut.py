#!/usr/bin/env python3
"""A deliberately wrong answer service, to show that gameday catches what it does wrong.

It is tests/python/sut.py with two mistakes a real service could make:
  - prior-auth answers gain a CPT code that is in no record (a hallucination), cited to the
    case as if the case said it;
  - discharge summaries are answered from another patient's discharge summary, which the answer
    cites (wrong patient).
Everything else is the reference service's.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sut  # noqa: E402

# A CPT-shaped code in none of the fake world's records (nor its hallucination material).
INVENTED_CPT = "99499"


class WrongService(sut.AnswerService):
    def discharge_records(self, patient, subject):
        # The next patient's note instead of this one's (pat-0007 -> pat-0008, ...).
        m = re.fullmatch(r"(.*?)(\d+)", patient)
        if not m:
            return super().discharge_records(patient, subject)
        for step in range(1, 20):
            other = f"{m.group(1)}{int(m.group(2)) + step:0{len(m.group(2))}d}"
            notes = super().discharge_records(other, subject)
            if notes:
                return notes
        return super().discharge_records(patient, subject)

    def adjust(self, task, response):
        if task["task_type"] == "prior_auth_status" and response["citations"]:
            cited = response["citations"][0]
            response["answer"] += f" The authorized procedure is CPT {INVENTED_CPT}. [doc:{cited}]"
        return response


if __name__ == "__main__":
    sut.serve(WrongService)
