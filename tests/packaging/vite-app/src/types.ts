// Not bundled: tsc checks that the package's types accept what the README documents and
// refuse what the widget would reject (tests/api/widget_package.rs runs tsc on src/).
import feedbackd, { feedbackd as named, type Feedbackd, type FeedbackdOptions } from 'feedbackd-widget';

const every: FeedbackdOptions = {
  key: 'fbk_pub_demo',
  host: 'https://feedback.example.com',
  respondentId: 'user-8812',
  attributes: { plan: 'pro', app_version: '3.4.1' },
  locale: 'de',
  strings: { send: 'Submit', thanks: 'Danke!', next: 'Weiter', step: 'Frage {n} von {max}' },
  triggers: { checkout_completed: 'nps-main' },
  csatStyle: 'emoji',
  feedbackSurvey: 'feedback',
  autoShow: true,
  container: document.body,
  thanksMs: 1000,
};
const api: Feedbackd = named;
const shown: Promise<boolean>[] = [
  api.init(every), feedbackd.track('checkout_completed'), feedbackd.show(), feedbackd.show('nps-main'),
  feedbackd.feedback(), window.feedbackd.show('csat'),
];
feedbackd.identify('user-8812', { plan: 'pro' });
feedbackd.identify(null);
feedbackd.flush();
feedbackd.close();
const waiting: number = feedbackd.pending();
const id: string = feedbackd.uuidv7();
const version: string = feedbackd.version;

// @ts-expect-error a secret key must not reach a browser
const secret: FeedbackdOptions = { key: 'fbk_sec_x' };
// @ts-expect-error the key is required
const keyless: FeedbackdOptions = { host: 'https://feedback.example.com' };
// @ts-expect-error attributes are strings, as the server compares them
const numeric: FeedbackdOptions = { key: 'fbk_pub_x', attributes: { seats: 3 } };
// @ts-expect-error only the built-in texts can be overridden
const unknownText: FeedbackdOptions = { key: 'fbk_pub_x', strings: { nope: 'x' } };
// @ts-expect-error an event is a name
void feedbackd.track(42);

export { shown, waiting, id, version, secret, keyless, numeric, unknownText };
