"""The Python client generated from the OpenAPI document (openapi-python-client) against
the running service: what a developer adopting feedbackd from Python does. Run by
tests/api/clients.rs (through ./run) with FEEDBACKD_BASE, FEEDBACKD_SECRET (an admin secret
key) and FEEDBACKD_KEY (a publishable key)."""

import csv
import io
import os

from feedbackd_client import AuthenticatedClient
from feedbackd_client.api.insights import export_responses, list_responses, survey_summary
from feedbackd_client.api.responses import create_response
from feedbackd_client.api.surveys import create_survey
from feedbackd_client.models import AnswerIn, AnswerInAttributes, ResponsePage, SurveyIn, SurveyKind, SurveyStatus

base = os.environ["FEEDBACKD_BASE"]
secret = AuthenticatedClient(base_url=base, token=os.environ["FEEDBACKD_SECRET"], raise_on_unexpected_status=True)
widget = AuthenticatedClient(base_url=base, token=os.environ["FEEDBACKD_KEY"], raise_on_unexpected_status=True)


def check(ok, what, detail=None):
    if not ok:
        raise AssertionError(f"{what}: {detail!r}")


key = "py-client"
created = create_survey.sync_detailed(
    client=secret,
    body=SurveyIn(key=key, kind=SurveyKind.NPS, question="How likely are you to recommend us?", status=SurveyStatus.ACTIVE),
)
check(created.status_code == 201 and created.parsed.key == key, "create survey", created.content)

answers = [(10, "love the typed client", "pro"), (3, "too slow", "free"), (9, "works", "pro")]
for score, comment, plan in answers:
    posted = create_response.sync_detailed(
        client=widget,
        body=AnswerIn(
            survey=key,
            score=score,
            comment=comment,
            attributes=AnswerInAttributes.from_dict({"plan": plan}),
            time_to_answer_ms=2000,
        ),
    )
    check(posted.status_code == 201 and posted.parsed.created, "post answer", posted.content)

summary = survey_summary.sync(key, client=secret)
check(summary.current.count == 3, "summary count", summary)
check(round(summary.current.nps.score) == 33, "nps of 10, 3 and 9", summary.current.nps)

# Verbatims, a page at a time, following next_cursor.
seen, cursor, pages = [], None, 0
while True:
    page = list_responses.sync(client=secret, survey=key, limit=1, **({"cursor": cursor} if cursor else {}))
    check(isinstance(page, ResponsePage), "list page", page)
    seen += [a.comment for a in page.data]
    pages += 1
    cursor = page.next_cursor
    if not cursor or pages >= 10:
        break
check(seen == ["works", "too slow", "love the typed client"], "pages", seen)

# openapi-python-client flattens a deepObject parameter into plain KEY=V pairs, which the
# service refuses as unknown parameters; the dotted form goes through httpx's own params.
pro = AuthenticatedClient(
    base_url=base, token=os.environ["FEEDBACKD_SECRET"], httpx_args={"params": {"attributes.plan": "pro"}}
)
filtered = list_responses.sync(client=pro, survey=key)
check([a.comment for a in filtered.data] == ["works", "love the typed client"], "attribute filter", filtered)

# The export's body is a file, not a model: the detailed response has its bytes.
exported = export_responses.sync_detailed(client=secret, survey=key, format_="csv")
check(exported.status_code == 200, "export", exported.content)
check(exported.headers["content-type"].startswith("text/csv"), "csv type", exported.headers)
rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
check(sorted(r["comment"] for r in rows) == sorted(c for _, c, _ in answers), "csv rows", rows)
print("python client: 1 survey, 3 answers, summary, 3 pages, attribute filter, csv export: ok")
