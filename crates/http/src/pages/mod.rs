//! The product review page (`GET /reports/{survey}`): a server-rendered HTML view of the
//! insights reports, with charts as inline SVG. The numbers come from
//! `feedbackd_core::insights` (the JSON API's functions), so the page shows what the API
//! answers; this module only lays them out.
//!
//! - [`handlers`]: the pages' routes (`/reports/…`);
//! - [`sign_in`]: the session extractor, the sign-in forms' checks, and the pages' errors;
//! - [`view`]: runs the reports and derives the headline and change for display;
//! - [`page`] and [`layout`]: the markup (maud, which escapes everything interpolated);
//! - [`questions`]: the survey's questions, a PMF survey's headline, and each comment's answers;
//! - [`themes`]: what the comments are about and what that does to the score;
//! - [`svg`]: the charts;
//! - [`session`]: the signed session cookie that the sign-in sets.

pub mod handlers;
pub mod layout;
pub mod page;
pub mod questions;
pub mod session;
pub mod sign_in;
pub mod svg;
pub mod themes;
pub mod view;

pub use view::MIN_SEGMENT_ANSWERS;

/// The stylesheet (`GET /reports/assets/report.css`): light, dark and print.
pub const CSS: &str = include_str!("assets/report.css");
/// The page's only script (`GET /reports/assets/report.js`): small conveniences, nothing
/// the page needs to work.
pub const JS: &str = include_str!("assets/report.js");
