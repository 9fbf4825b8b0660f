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
