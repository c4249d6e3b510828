//! The alert manager of argus: the pure logic of Alertmanager 0.25.
//!
//! This crate owns alertmanager.yml ([`Config`]: global settings, the routing
//! tree, inhibit rules, receivers with every 0.25 integration's settings, time
//! intervals and template globs), routing ([`Route::match_labels`], group keys),
//! inhibition ([`inhibit::mutes`]), time intervals ([`TimeInterval::contains`])
//! and the text `amtool check-config` and `amtool config routes [test]` print
//! ([`amtool`]).
//!
//! It also runs them: [`Alertmanager`] is the running alert manager (alert
//! store with Alertmanager's merge rules, dispatcher with aggregation groups
//! and their group_wait/group_interval/repeat_interval timers, inhibition,
//! silences, time intervals, the notification log, and every receiver of
//! Alertmanager 0.25: webhook, email, slack, pagerduty, opsgenie, telegram,
//! discord, webex, wechat, pushover, victorops, sns, plus 0.26's `msteams`
//! (Microsoft Teams; 0.25 rejects the field) and the argus-only `log`). It is
//! the rules engine's in-process `AlertSink`; `argus-web` serves the HTTP API
//! v2 over it, and [`drill`] sends a test alert through every receiver. Silences
//! and the notification log persist under the data directory (`FORMAT.md`).
//! Rule evaluation lives in the rules crate, HTTP in `argus-web`.
//!
//! Main types: [`Config`] (load with [`Config::load_file`]), [`Route`],
//! [`InhibitRule`], [`TimeInterval`], [`Alert`], [`Alertmanager`], [`Silence`].
//!
//! ```
//! use argus_alertmanager::{Config, amtool};
//! use argus_model::Labels;
//! let cfg = Config::load_str(r#"
//! route:
//!   receiver: default
//!   group_by: [alertname]
//!   routes:
//!   - matchers: [severity="page"]
//!     receiver: pager
//! receivers: [{name: default}, {name: pager}]
//! "#, std::path::Path::new("am.yml")).unwrap();
//! let alert = Labels::from_pairs([("alertname", "Down"), ("severity", "page")]);
//! let routes = cfg.route.match_labels(&alert);
//! assert_eq!(routes[0].opts.receiver, "pager");
//! assert_eq!(routes[0].group_key(&alert), r#"{}/{severity="page"}:{alertname="Down"}"#);
//! assert_eq!(amtool::receivers_slug(&cfg, &alert), "pager");
//! ```
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::indexing_slicing, clippy::string_slice))]

mod alert;
pub mod amtool;
mod config;
mod de;
mod dispatch;
mod drill;
mod duration;
mod error;
pub mod inhibit;
mod manager;
mod matchers;
mod metrics;
mod nflog;
mod notify;
mod persist;
mod pipeline;
mod route;
mod silence;
mod store;
mod timefmt;
mod timeinterval;

pub use alert::{Alert, Fingerprint, fingerprint, now_ms};
pub use config::*;
pub use drill::{DrillResult, drill};
pub use duration::{format_duration, parse_duration};
pub use error::{Error, Result};
pub use inhibit::InhibitRule;
pub use manager::{AlertGroupView, AlertStatus, AlertView, Alertmanager, Options};
pub use matchers::{Matchers, matcher_string, parse_matcher, parse_matchers};
pub use notify::NotifyError;
pub use route::{Route, RouteOpts};
pub use silence::{Silence, SilenceError, SilenceMatcher, SilenceState};
pub use timefmt::{ZERO_TIME, format_opt as format_time_opt, format_rfc3339, parse_rfc3339};
pub use timeinterval::{RawTimeInterval, RawTimeRange, TimeInterval, any_contains};
