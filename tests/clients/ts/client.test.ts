// The TypeScript client generated from the OpenAPI document (openapi-typescript types,
// openapi-fetch calls) against the running service: what a developer adopting feedbackd
// from TypeScript does. Type-checked with tsc before it runs, so a document that no longer
// fits these calls fails here too. Run by tests/api/clients.rs with FEEDBACKD_BASE,
// FEEDBACKD_SECRET (an admin secret key) and FEEDBACKD_KEY (a publishable key).
import createClient from "openapi-fetch";
import type { paths } from "./generated/api.js";

// Node's globals, declared here rather than pulling in @types/node for two of them.
declare const process: { env: Record<string, string | undefined> };

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function check(ok: boolean, what: string, detail?: unknown): void {
  if (!ok) throw new Error(`${what}: ${JSON.stringify(detail)}`);
}

const baseUrl = env("FEEDBACKD_BASE");
const secret = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${env("FEEDBACKD_SECRET")}` } });
const widget = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${env("FEEDBACKD_KEY")}` } });

const key = "ts-client";
const created = await secret.POST("/v1/surveys", {
  body: { key, kind: "nps", question: "How likely are you to recommend us?", status: "active" },
});
check(created.response.status === 201 && created.data?.key === key, "create survey", created.error);

const answers = [
  { score: 10, comment: "love the typed client", plan: "pro" },
  { score: 3, comment: "too slow", plan: "free" },
  { score: 9, comment: "works", plan: "pro" },
];
for (const a of answers) {
  const posted = await widget.POST("/v1/responses", {
    body: { survey: key, score: a.score, comment: a.comment, attributes: { plan: a.plan }, time_to_answer_ms: 2000 },
  });
  check(posted.response.status === 201 && posted.data?.created === true, "post answer", posted.error);
}

const summary = await secret.GET("/v1/surveys/{survey}/summary", { params: { path: { survey: key } } });
check(summary.data?.current.count === 3, "summary count", summary.data ?? summary.error);
check(Math.round(summary.data?.current.nps?.score ?? 0) === 33, "nps of 10, 3 and 9", summary.data?.current);

// Verbatims, a page at a time, following next_cursor; the attribute filter is an object
// (deepObject in the document), which openapi-fetch sends as attributes[plan]=pro.
const seen: string[] = [];
let cursor: string | undefined;
let pages = 0;
do {
  const page = await secret.GET("/v1/responses", {
    params: { query: { survey: key, limit: 1, cursor, attributes: { plan: "pro" } } },
  });
  check(page.response.status === 200 && page.data !== undefined, "list page", page.error);
  seen.push(...page.data!.data.map((a) => a.comment ?? ""));
  cursor = page.data!.next_cursor ?? undefined;
  pages += 1;
} while (cursor && pages < 10);
check(JSON.stringify(seen) === JSON.stringify(["works", "love the typed client"]), "pages", seen);
check(pages >= 2, "more than one page", pages);

const exported = await secret.GET("/v1/exports/responses", {
  params: { query: { survey: key, format: "csv" } },
  parseAs: "text",
});
check(exported.response.status === 200, "export", exported.error);
check((exported.response.headers.get("content-type") ?? "").startsWith("text/csv"), "csv type");
const lines = (exported.data as string).trim().split(/\r?\n/);
check(lines.length === 4 && answers.every((a) => lines.some((l) => l.includes(a.comment))), "csv rows", lines);
console.log("typescript client: 1 survey, 3 answers, summary, 2 pages, csv export: ok");
