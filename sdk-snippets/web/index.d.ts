// Types for the feedbackd web widget (feedbackd.js). Hand-written beside the one source and
// checked by tsc against a Vite app that installs the packed tarball
// (tests/packaging/vite-app/src/main.ts): change them together with feedbackd.js.

/** A publishable project key. Never a secret key (`fbk_sec_…`): this code runs on your users' devices. */
export type PublishableKey = `fbk_pub_${string}`;

/**
 * The built-in texts that `strings` may override (defaults in en, de, fr and es). `next` is the
 * button of a survey's additional questions; `step` (`'Question {n} of {max}'`) is announced to
 * screen readers with each of them.
 */
export type FeedbackdStringName =
  | 'close' | 'send' | 'skip' | 'thanks' | 'followUp' | 'feedback' | 'feedbackQ' | 'category'
  | 'bug' | 'idea' | 'praise' | 'other' | 'of' | 'hp' | 'next' | 'step';

/**
 * An app event reported with `feedbackd.track(event)`: a survey whose `targeting.triggers.event`
 * names it may then appear on this page. Any name the app chooses.
 */
export type FeedbackdEvent = string;

/** What `feedbackd.init` takes. The `data-*` attributes of the script tag map onto it. */
export interface FeedbackdOptions {
  /** The project's publishable key (`data-key`). Required. */
  key: PublishableKey;
  /** feedbackd's base URL (`data-host`); default: where the script tag loaded the widget from. */
  host?: string;
  /** The app's id for the person (`data-respondent-id`); else an anonymous id kept in localStorage. */
  respondentId?: string;
  /** Attributes for targeting filters (`plan`, `app_version`, …); sent with every answer. */
  attributes?: Record<string, string>;
  /** A BCP 47 tag (`data-locale`); default `navigator.language`. Picks survey translations and built-in texts. */
  locale?: string;
  /** Overrides for the built-in texts, e.g. `{ send: 'Submit' }`. */
  strings?: Partial<Record<FeedbackdStringName, string>>;
  /**
   * The older page-side event map (`data-triggers="event=survey,…"`): `track(event)` shows that
   * survey when it is the server's pick. Prefer a survey's `targeting.triggers.event`.
   */
  triggers?: Record<FeedbackdEvent, string>;
  /** `'emoji'` (`data-csat-style`): a 5-point CSAT survey as emoji rather than numbers. */
  csatStyle?: 'emoji' | 'numbers';
  /** Survey key that `feedback()` opens (`data-feedback-survey`); default: the first text survey. */
  feedbackSurvey?: string;
  /** `false` (`data-auto-show="false"`): do not watch for the server's pick on init. Default `true`. */
  autoShow?: boolean;
  /** Where the widget's host element goes; default `document.body`. */
  container?: Element;
  /** How long the thank-you note stays, in milliseconds; default 2500. */
  thanksMs?: number;
}

/** The widget's API: `window.feedbackd` for a script tag, the default export for a bundler. */
export interface Feedbackd {
  /** The API's version; `'1'`. */
  readonly version: string;
  /**
   * Starts the widget: sends what an earlier visit left queued and, unless `autoShow` is false,
   * waits on this page for the triggers of the survey the server picks for this person.
   * Resolves to whether a survey appeared at once. Throws without a publishable key.
   */
  init(options: FeedbackdOptions): Promise<boolean>;
  /** Who answers: the app's id for the person (null: anonymous again) and targeting attributes. */
  identify(respondentId: string | null, attributes?: Record<string, string>): void;
  /** Reports an app event on this page; works before `init`. Resolves to whether a survey appeared. */
  track(event: FeedbackdEvent): Promise<boolean>;
  /**
   * Shows a survey by key now, whatever its rules; without a key, the server's pick for this
   * person now, triggers aside, if the fatigue rules allow. Resolves to whether one was shown.
   */
  show(surveyKey?: string): Promise<boolean>;
  /** Opens the free-text feedback form (`feedbackSurvey`, else the first text survey). */
  feedback(): Promise<boolean>;
  /**
   * Shows a survey as the management API answers it, as respondents would see it, sending and
   * storing nothing: the console's preview. Not for apps; throws after `init`.
   */
  preview(survey: object, options?: { locale?: string }): boolean;
  /** Sends what is queued now, without waiting for the backoff. */
  flush(): void;
  /** How many answers and follow-ups wait to be sent (0 before `init`). */
  pending(): number;
  /** Closes the open survey, recording a dismissal. */
  close(): void;
  /** A new UUIDv7, as the widget gives every answer. */
  uuidv7(): string;
}

declare global {
  interface Window {
    /** The feedbackd widget, once its script ran or the package was imported. */
    feedbackd: Feedbackd;
  }
}

/** The widget (the same object as `window.feedbackd`). */
export declare const feedbackd: Feedbackd;
export default feedbackd;
