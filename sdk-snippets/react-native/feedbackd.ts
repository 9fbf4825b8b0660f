// feedbackd client for React Native: UUIDv7 ids, a persistent bounded queue, retries with
// backoff that honour Retry-After, and a flush when the app goes to the background. It
// decides when a survey appears as the web widget does: triggers and fatigue on the device
// (rules.ts), then the server's word (POST /v1/responses/shown).
// Only ever a publishable key (fbk_pub_…) here: this code ships inside your app.
import AsyncStorage from '@react-native-async-storage/async-storage';
import { AppState } from 'react-native';
import {
  DEFAULT_FATIGUE, due, resting, type AnswerValue, type Answers, type Fatigue, type Memory, type Question, type Targeting,
} from './rules';

export type SurveyKind = 'nps' | 'csat' | 'ces' | 'rating' | 'text' | 'choice';
export type Category = 'bug' | 'idea' | 'praise' | 'other';

export interface Survey {
  id: string;
  key: string;
  kind: SurveyKind;
  question: string;
  scale: { min: number; max: number } | null;
  presentation: {
    labels?: { low?: string; high?: string };
    follow_up?: { question?: string; detractor?: string; passive?: string; promoter?: string };
    locales?: Record<string, { question?: string; labels?: { low?: string; high?: string } }>;
  };
  targeting?: Targeting;
  /** Questions beyond the score (issue 19): a choice survey's main question (key `main`) and
   *  the additional questions asked after the main answer. Absent in older configurations. */
  questions?: Question[];
  version: number;
}

export interface WidgetConfig {
  surveys: Survey[];
  /** The survey the server picks for this person (filters, sampling), when asked with a
   *  respondent id; whether it appears is decided by `next()` / `track()`. */
  show?: string | null;
  /** The project's fatigue rules. */
  fatigue?: Fatigue;
}

/** The answer of POST /v1/responses/shown: show the survey only when `show` is true. */
export interface ShownAnswer {
  id: string;
  survey_id?: string;
  show: boolean;
  reason?: string | null;
}

export interface Answer {
  id: string;
  survey: string;
  score?: number;
  /** Answers by question key; a choice survey sends `answers.main` and no score. */
  answers?: Answers;
  comment?: string;
  category?: Category;
  respondent_id?: string;
  attributes?: Record<string, string>;
  context?: { device?: string; screen?: string };
  client_time: string;
  time_to_answer_ms?: number;
  hp?: string;
}

/** A queued request: the answer (POST), or what is added to it later (PATCH: the comment, or
 *  the answer to an additional question). */
type Item =
  | { kind: 'answer'; id: string; body: Answer }
  | { kind: 'follow_up'; id: string; body: { comment?: string; answers?: Answers } };

const QUEUE_MAX = 50;
const BACKOFF_MAX_MS = 5 * 60 * 1000;
/** Asking whether to show is retried briefly, with the same id; later, the moment passed. */
const SHOWN_TRIES = 3;
const SHOWN_WAIT_MAX_MS = 10_000;
/** A session ends after this long without the client being used (the app was away). */
const SESSION_IDLE_MS = 30 * 60 * 1000;
/** How long a fetched configuration is reused (its Cache-Control max-age). */
const CONFIG_TTL_MS = 60_000;

/** Retry-After when the server gave one, else exponential backoff with jitter. */
function backoffMs(retryAfter: string | null, failures: number): number {
  const seconds = retryAfter === null ? NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  return Math.min(BACKOFF_MAX_MS, 1000 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
}

/** A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. */
export function uuidv7(): string {
  const b = new Uint8Array(16);
  // React Native has crypto.getRandomValues with react-native-get-random-values.
  globalThis.crypto.getRandomValues(b);
  let ms = Date.now();
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class Feedbackd {
  private queue: Item[] = [];
  private loaded: Promise<void>;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private flushing = false;
  private storageKey: string;
  private memoryKey: string;
  private memory: Memory = { surveys: {}, views: 0, first: Date.now() };
  private session = { id: uuidv7(), shown: 0, refused: new Set<string>(), usedAt: Date.now() };
  private cached: { at: number; config: Promise<WidgetConfig> } | null = null;

  constructor(
    private host: string,
    private key: string,
    public respondentId?: string,
    public attributes: Record<string, string> = {},
  ) {
    if (!key.startsWith('fbk_pub_')) throw new Error('feedbackd: use a publishable key (fbk_pub_…)');
    this.host = host.replace(/\/$/, '');
    this.storageKey = `feedbackd:queue:${key.slice(0, 16)}`;
    this.memoryKey = `feedbackd:seen:${key.slice(0, 16)}`;
    this.loaded = Promise.all([AsyncStorage.getItem(this.storageKey), AsyncStorage.getItem(this.memoryKey)]).then(([q, m]) => {
      this.queue = q ? (JSON.parse(q) as Item[]) : [];
      if (m) this.memory = JSON.parse(m) as Memory;
    });
    AppState.addEventListener('change', (s) => {
      if (s === 'active' || s === 'background') void this.flush();
    });
    void this.loaded.then(() => this.flush());
  }

  /** Who answers: the app's id for the person and attributes; the server picks again. */
  identify(respondentId?: string, attributes: Record<string, string> = {}): void {
    this.respondentId = respondentId;
    this.attributes = attributes;
    this.cached = null;
  }

  /** This app session's id: a new one after 30 minutes without the client being used. */
  get sessionId(): string {
    return this.touch().id;
  }

  /** A screen opened: resolves to the survey to display now, or null. The server's pick
   *  appears when its triggers hold here (no `event`; not a web-only trigger), the fatigue
   *  rules allow it on this device, and then the server says `show: true`. */
  async next(): Promise<Survey | null> {
    await this.loaded;
    this.memory.views++;
    await this.saveMemory();
    return this.offer(undefined);
  }

  /** An app event (a survey's `triggers.event`, such as "checkout_completed"): resolves to
   *  the survey to display now, or null. Waits for the configuration if it is on its way. */
  async track(event: string): Promise<Survey | null> {
    await this.loaded;
    return this.offer(event);
  }

  /** The configuration, and with a respondent id the survey the server picks. */
  async config(): Promise<WidgetConfig> {
    const q = new URLSearchParams();
    if (this.respondentId) q.set('respondent_id', this.respondentId);
    for (const [k, v] of Object.entries(this.attributes)) q.set(`attributes[${k}]`, v);
    const r = await fetch(`${this.host}/v1/widget/config?${q}`, { headers: { Authorization: `Bearer ${this.key}` } });
    if (!r.ok) throw new Error(`feedbackd: config answered ${r.status}`);
    return (await r.json()) as WidgetConfig;
  }

  private async offer(event: string | undefined): Promise<Survey | null> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > CONFIG_TTL_MS) this.cached = { at: now, config: this.config() };
    const c = await this.cached.config.catch(() => null);
    const s = c?.surveys.find((x) => x.key === c.show);
    const session = this.touch();
    if (!c || !s || session.refused.has(s.key) || !due(s.targeting?.triggers, this.memory, event, now)) return null;
    if (resting(s.key, s.targeting, c.fatigue ?? DEFAULT_FATIGUE, this.memory, session.shown, now)) return null;
    const body = { id: uuidv7(), survey: s.key, respondent_id: this.respondentId, session_id: session.id };
    if (!(await this.askShown(body)).show) {
      session.refused.add(s.key); // asked once per session: the server's no holds that long
      return null;
    }
    await this.remember(s.key, 's', !!s.targeting?.fatigue_exempt);
    return s;
  }

  /** POST /v1/responses/shown, retried with the same id (a replay gets the first answer);
   *  not queued: the question only matters now. */
  private async askShown(body: { id: string }): Promise<ShownAnswer> {
    for (let tries = 1; ; tries++) {
      let retryAfter: string | null = null;
      try {
        const r = await this.send('POST', '/v1/responses/shown', body);
        if (r.ok) return (await r.json()) as ShownAnswer;
        if (r.status !== 408 && r.status !== 429 && r.status < 500) break;
        retryAfter = r.headers.get('Retry-After');
      } catch {
        // offline: try again shortly
      }
      if (tries >= SHOWN_TRIES) break;
      await new Promise((ok) => setTimeout(ok, Math.min(SHOWN_WAIT_MAX_MS, backoffMs(retryAfter, tries))));
    }
    return { id: body.id, show: false };
  }

  private touch(): { id: string; shown: number; refused: Set<string>; usedAt: number } {
    const now = Date.now();
    if (now - this.session.usedAt > SESSION_IDLE_MS) this.session = { id: uuidv7(), shown: 0, refused: new Set(), usedAt: now };
    this.session.usedAt = now;
    return this.session;
  }

  /** Records on the device that survey `key` was shown (s), answered (a) or dismissed (d). */
  private async remember(key: string, what: 's' | 'a' | 'd', exempt?: boolean): Promise<void> {
    await this.loaded;
    const c = (this.memory.surveys[key] ??= {});
    c[what] = Date.now();
    if (exempt !== undefined) c.x = exempt;
    if (what === 's' && !c.x) this.touch().shown++;
    await this.saveMemory();
  }

  private saveMemory(): Promise<void> {
    return AsyncStorage.setItem(this.memoryKey, JSON.stringify(this.memory)).catch(() => undefined);
  }

  /** Queues an answer (persisted first) and sends it; returns its id for the follow-up. */
  async answer(fields: Omit<Answer, 'id' | 'client_time' | 'respondent_id' | 'attributes'>): Promise<string> {
    const body: Answer = {
      ...fields,
      id: uuidv7(),
      respondent_id: this.respondentId,
      attributes: this.attributes,
      client_time: new Date().toISOString(),
      hp: '',
    };
    await this.remember(fields.survey, 'a');
    await this.push({ kind: 'answer', id: body.id, body });
    return body.id;
  }

  /** Adds the follow-up comment: joins the answer if it still waits, else a PATCH. */
  async followUp(id: string, comment: string): Promise<void> {
    await this.loaded;
    const waiting = this.queue.find((i) => i.kind === 'answer' && i.id === id);
    if (waiting && waiting.kind === 'answer' && !this.flushing) {
      waiting.body.comment = comment;
      await this.save();
      return this.flush();
    }
    await this.push({ kind: 'follow_up', id, body: { comment } });
  }

  /** The answer to the additional question `key` of answer `id`: PATCH /v1/responses/{id}
   *  `{"answers": {key: value}}`, queued behind the answer itself so it never arrives first. */
  async answerQuestion(id: string, key: string, value: AnswerValue): Promise<void> {
    await this.push({ kind: 'follow_up', id, body: { answers: { [key]: value } } });
  }

  /** Records that the person closed the survey without answering. */
  async dismiss(survey: string): Promise<void> {
    await this.remember(survey, 'd');
    if (!this.respondentId) return;
    await this.send('POST', '/v1/responses/dismiss', { survey, respondent_id: this.respondentId }).catch(() => undefined);
  }

  get pending(): number {
    return this.queue.length;
  }

  private async push(item: Item): Promise<void> {
    await this.loaded;
    this.queue.push(item);
    await this.save();
    void this.flush();
  }

  private save(): Promise<void> {
    this.queue = this.queue.slice(-QUEUE_MAX);
    return AsyncStorage.setItem(this.storageKey, JSON.stringify(this.queue));
  }

  private send(method: 'POST' | 'PATCH', path: string, body: unknown): Promise<Response> {
    return fetch(`${this.host}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** Sends what waits, oldest first; a temporary failure stops and schedules a retry. */
  async flush(): Promise<void> {
    await this.loaded;
    if (this.flushing || this.timer) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const item = this.queue[0];
        let r: Response;
        try {
          r = item.kind === 'answer'
            ? await this.send('POST', '/v1/responses', item.body)
            : await this.send('PATCH', `/v1/responses/${item.id}`, item.body);
        } catch {
          return this.retry(null);
        }
        const permanent = r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429;
        if (!r.ok && !permanent) return this.retry(r.headers.get('Retry-After'));
        // 2xx (201 new, 200 replay of the same id) or a refusal that a retry cannot fix.
        this.queue.shift();
        this.failures = 0;
        await this.save();
      }
    } finally {
      this.flushing = false;
    }
  }

  private retry(retryAfter: string | null): void {
    this.failures++;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, backoffMs(retryAfter, this.failures));
  }
}
