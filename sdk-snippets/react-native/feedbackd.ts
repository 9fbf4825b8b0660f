// feedbackd client for React Native: UUIDv7 ids, a persistent bounded queue, retries with
// backoff that honour Retry-After, and a flush when the app goes to the background.
// Only ever a publishable key (fbk_pub_…) here: this code ships inside your app.
import AsyncStorage from '@react-native-async-storage/async-storage';
import { AppState } from 'react-native';

export type SurveyKind = 'nps' | 'csat' | 'ces' | 'rating' | 'text';
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
  version: number;
}

export interface WidgetConfig {
  surveys: Survey[];
  /** The survey to show this person now, when asked with a respondent id. */
  show?: string | null;
}

export interface Answer {
  id: string;
  survey: string;
  score?: number;
  comment?: string;
  category?: Category;
  respondent_id?: string;
  attributes?: Record<string, string>;
  context?: { device?: string; screen?: string };
  client_time: string;
  time_to_answer_ms?: number;
  hp?: string;
}

type Item = { kind: 'answer'; id: string; body: Answer } | { kind: 'follow_up'; id: string; body: { comment: string } };

const QUEUE_MAX = 50;
const BACKOFF_MAX_MS = 5 * 60 * 1000;

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

  constructor(
    private host: string,
    private key: string,
    public respondentId?: string,
    public attributes: Record<string, string> = {},
  ) {
    if (!key.startsWith('fbk_pub_')) throw new Error('feedbackd: use a publishable key (fbk_pub_…)');
    this.host = host.replace(/\/$/, '');
    this.storageKey = `feedbackd:queue:${key.slice(0, 16)}`;
    this.loaded = AsyncStorage.getItem(this.storageKey).then((v) => {
      this.queue = v ? (JSON.parse(v) as Item[]) : [];
    });
    AppState.addEventListener('change', (s) => {
      if (s === 'active' || s === 'background') void this.flush();
    });
    void this.loaded.then(() => this.flush());
  }

  /** The configuration, and with a respondent id the survey to show now. */
  async config(): Promise<WidgetConfig> {
    const q = new URLSearchParams();
    if (this.respondentId) q.set('respondent_id', this.respondentId);
    for (const [k, v] of Object.entries(this.attributes)) q.set(`attributes[${k}]`, v);
    const r = await fetch(`${this.host}/v1/widget/config?${q}`, { headers: { Authorization: `Bearer ${this.key}` } });
    if (!r.ok) throw new Error(`feedbackd: config answered ${r.status}`);
    return (await r.json()) as WidgetConfig;
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

  /** Records that the person closed the survey without answering. */
  async dismiss(survey: string): Promise<void> {
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
    const seconds = retryAfter === null ? NaN : Number(retryAfter);
    const backoff = Math.min(BACKOFF_MAX_MS, 1000 * 2 ** (this.failures - 1)) * (0.5 + Math.random() / 2);
    const delay = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : backoff;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
  }
}
