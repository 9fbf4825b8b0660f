// The package's ESM entry, deliberately thin: importing the script-tag build runs it once
// (it puts the API on window.feedbackd, or keeps the one a <script> tag already started),
// and this module hands that object to the importer. So there is one source, feedbackd.js,
// one build, feedbackd.min.js, and a bundled app runs the very bytes that
// GET /sdk/feedbackd.js serves. Browser only: the widget reads window and document on import.
import './feedbackd.min.js';

/** The widget's API; the same object as `window.feedbackd`. */
const feedbackd = window.feedbackd;

export default feedbackd;
export { feedbackd };
