// How an app uses the package: an ESM import, typed options, the API from the default export.
import feedbackd, { type FeedbackdOptions, type PublishableKey } from 'feedbackd-widget';

const params = new URLSearchParams(location.search);
const options: FeedbackdOptions = {
  key: (params.get('key') ?? '') as PublishableKey,
  host: params.get('host') ?? location.origin,
  respondentId: params.get('respondent') ?? undefined,
  attributes: { plan: 'pro' },
  autoShow: false,
};

document.querySelectorAll<HTMLButtonElement>('button[data-survey]').forEach((button) => {
  button.addEventListener('click', () => {
    void feedbackd.show(button.dataset.survey);
  });
});

void feedbackd.init(options).then(() => {
  // For the test: the import is the widget the page runs, not a second copy.
  document.body.dataset.widget = feedbackd === window.feedbackd ? 'imported' : 'different';
});
