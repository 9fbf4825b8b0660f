// The display rules an app applies on the device before it asks the server to show a survey
// (POST /v1/responses/shown): the survey's triggers, and the project's fatigue rules on what
// this device remembers. Pure functions: the same rules as the web widget's and the server's
// (src/domain/fatigue.rs), so most screens need no server decision.

/** `targeting.triggers`: every condition given must hold. */
export interface Triggers {
  url?: { match: 'exact' | 'prefix' | 'glob'; value: string }[];
  delay_ms?: number;
  scroll_percent?: number;
  event?: string;
  exit_intent?: boolean;
  min_page_views?: number;
  min_days_seen?: number;
}

/** The part of `targeting` the app reads (filters and sampling are the server's). */
export interface Targeting {
  recontact_days?: number;
  fatigue_exempt?: boolean;
  triggers?: Triggers;
}

/** The project's fatigue rules, as the configuration carries them (`fatigue`). */
export interface Fatigue {
  days_between_surveys: number;
  max_per_session: number;
  ignored_wait_hours: number;
}

/** The server's defaults, for a configuration that carries no rules. */
export const DEFAULT_FATIGUE: Fatigue = { days_between_surveys: 14, max_per_session: 1, ignored_wait_hours: 72 };

/** What the device remembers of one survey: when it was last shown (s), answered (a) and
 *  dismissed (d), in Unix milliseconds, and whether it is exempt from fatigue (x). */
export interface Contact {
  s?: number;
  a?: number;
  d?: number;
  x?: boolean;
}

/** What the device remembers: per survey key, and the screens it offered a survey on. */
export interface Memory {
  surveys: Record<string, Contact>;
  views: number;
  first: number;
}

const DAY = 86_400_000;

/** Whether the triggers hold in an app now. `event` is the event being reported; none when
 *  a screen opens. Triggers only a web page has (url, delay, scroll, exit intent) never hold
 *  in an app, so such a survey does not appear there by itself. */
export function due(t: Triggers | undefined, memory: Memory, event: string | undefined, now: number): boolean {
  const web = (t?.url?.length ?? 0) > 0 || !!t?.delay_ms || !!t?.scroll_percent || !!t?.exit_intent;
  return !web
    && (t?.event ? t.event === event : event === undefined)
    && (!t?.min_page_views || memory.views >= t.min_page_views)
    && (!t?.min_days_seen || now - memory.first >= t.min_days_seen * DAY);
}

/** Whether the fatigue rules keep survey `key` away on this device, whose session has shown
 *  `sessionShown` surveys; the strictest rule wins. */
export function resting(key: string, targeting: Targeting | undefined, f: Fatigue, memory: Memory,
  sessionShown: number, now: number): boolean {
  if (targeting?.fatigue_exempt) return false;
  const within = (at: number | undefined, ms: number) => at !== undefined && at > 0 && now < at + ms;
  const decided = (c: Contact) => Math.max(c.a ?? 0, c.d ?? 0);
  const own = memory.surveys[key] ?? {};
  if (f.max_per_session > 0 && sessionShown >= f.max_per_session) return true;
  const recontact = targeting?.recontact_days ?? 0;
  if (recontact > 0 && within(decided(own), recontact * DAY)) return true;
  const rest = f.days_between_surveys * DAY;
  if (rest > 0) {
    if (within(decided(own), rest)) return true;
    const others = Object.entries(memory.surveys).filter(([k, c]) => k !== key && !c.x);
    if (others.some(([, c]) => within(Math.max(decided(c), c.s ?? 0), rest))) return true;
  }
  return f.ignored_wait_hours > 0 && (own.s ?? 0) > decided(own) && within(own.s, f.ignored_wait_hours * 3_600_000);
}

// Questions beyond the score (docs/design/0019-questions.md): which additional questions follow
// the main answer, in the person's language, with their options in the order to show. Pure
// functions over the configuration's `questions`, the same in the iOS and Android snippets
// (tests/data/snippet-questions.json holds the cases all of them are checked with).

/** A band of the main answer: NPS detractor (0–6), passive (7–8), promoter (9–10); for CSAT,
 *  CES and rating surveys `high` (the top two points of the scale) or `low`. */
export type Band = 'detractor' | 'passive' | 'promoter' | 'low' | 'high';

/** An option of a `choice` question: a stable key and a label per locale. */
export interface QuestionOption {
  key: string;
  label: string;
  locales?: Record<string, string>;
  /** No longer offered (still in reports). */
  retired?: boolean;
}

/** A question of the survey's `questions`: a choice survey's main one (key `main`), or an
 *  additional one, asked after the main answer. */
export interface Question {
  key: string;
  kind: 'choice' | 'rating' | 'text';
  /** Absent on a choice survey's main question: the survey's `question` is its text. */
  text?: string;
  locales?: Record<string, string>;
  options?: QuestionOption[];
  multiple?: boolean;
  max_picks?: number;
  /** The option keyed `other` takes free text. */
  other?: boolean;
  /** Shuffle the options for each person, `other` last. */
  shuffle?: boolean;
  scale?: { min: number; max: number };
  labels?: { low?: string; high?: string };
  /** Asked only for these bands of the main answer and/or when any of these options of a
   *  choice survey's main question was chosen. Absent: always asked. */
  show_if?: { bands?: Band[]; options?: string[] };
  /** No longer asked (still in reports). */
  retired?: boolean;
}

/** A choice answer as sent: the keys chosen, with the text typed for `other`. */
export type ChoiceAnswer = string[] | { options: string[]; other: string };
/** An answer to one question: choice, rating (a number) or text. */
export type AnswerValue = ChoiceAnswer | number | string;
/** `answers` of POST /v1/responses and PATCH /v1/responses/{id}: question key to answer. */
export type Answers = Record<string, AnswerValue>;

/** The main answer the additional questions follow: the score, or in a choice survey the keys
 *  chosen in its main question. */
export interface MainAnswer {
  score?: number;
  options?: string[];
}

/** What the rules read of a survey. */
export interface QuestionsOf {
  kind: string;
  scale?: { min: number; max: number } | null;
  questions?: Question[];
}

/** The key of a choice survey's main question. */
export const MAIN = 'main';
/** The key of the option that takes free text when the question has `other: true`. */
export const OTHER = 'other';

/** The band of `score` in a survey of `kind` (null for kinds without bands). */
export function band(kind: string, scale: { min: number; max: number } | null | undefined, score: number): Band | null {
  if (kind === 'nps') return score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
  if (kind !== 'csat' && kind !== 'ces' && kind !== 'rating') return null;
  const max = scale?.max ?? (kind === 'ces' ? 7 : 5);
  return score >= max - 1 ? 'high' : 'low';
}

/** A choice survey's main question (key `main`), if the survey is one. */
export function mainQuestion(survey: QuestionsOf): Question | undefined {
  return survey.kind === 'choice' ? survey.questions?.find((q) => q.key === MAIN) : undefined;
}

/** The additional questions to ask after `main`, in the survey's order: not retired, and
 *  every `show_if` condition given holds (an empty list is no condition): the main answer's
 *  band is one of `bands`; one of `options` was chosen in the main question. */
export function shownQuestions(survey: QuestionsOf, main: MainAnswer): Question[] {
  const b = main.score === undefined ? null : band(survey.kind, survey.scale, main.score);
  const chosen = main.options ?? [];
  return (survey.questions ?? []).filter((q) => {
    if (q.key === MAIN || q.retired) return false;
    const bands = q.show_if?.bands ?? [];
    const options = q.show_if?.options ?? [];
    return (bands.length === 0 || (b !== null && bands.includes(b)))
      && (options.length === 0 || options.some((o) => chosen.includes(o)));
  });
}

/** `text` in `locale` (a tag such as `de-CH`): the exact tag, then its language, else `text`. */
export function localized(text: string, locales: Record<string, string> | undefined, locale: string | undefined): string {
  if (!locale || !locales) return text;
  return locales[locale] || locales[locale.split('-')[0]] || text;
}

/** The options to offer, in the order to show them: the active ones; with `shuffle`, shuffled
 *  (Fisher–Yates with `random`, a number in [0, 1)) and the `other` option last. */
export function optionOrder(q: Question, random: () => number = Math.random): QuestionOption[] {
  const active = (q.options ?? []).filter((o) => !o.retired);
  if (!q.shuffle) return active;
  const rest = active.filter((o) => o.key !== OTHER);
  for (let i = rest.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rest[i], rest[j]] = [rest[j], rest[i]];
  }
  return [...rest, ...active.filter((o) => o.key === OTHER)];
}

/** The keys picked after the person taps `key`: a single-select question keeps only it; a
 *  multiple one toggles it, never past `max_picks`. */
export function pick(q: Question, picked: string[], key: string): string[] {
  if (!q.multiple) return [key];
  if (picked.includes(key)) return picked.filter((k) => k !== key);
  return q.max_picks !== undefined && picked.length >= q.max_picks ? picked : [...picked, key];
}

/** What to send for a choice question, or null while it cannot be sent: nothing picked, more
 *  than one in a single-select question or more than `max_picks`, or `other` picked in a
 *  question with `other: true` and no text typed for it. */
export function choiceAnswer(q: Question, picked: string[], otherText = ''): ChoiceAnswer | null {
  const keys = [...new Set(picked)];
  const max = q.multiple ? q.max_picks ?? Infinity : 1;
  if (keys.length === 0 || keys.length > max) return null;
  if (!q.other || !keys.includes(OTHER)) return keys;
  const other = otherText.trim();
  return other ? { options: keys, other } : null;
}
