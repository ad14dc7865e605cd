//! su's own log lines: `FAILED SU (to root) alice on pts/0`, `(to root) alice on pts/0`,
//! `Successful su for root by alice` and the older `+ pts/0 alice:root` / `- pts/0
//! alice:root`.
//!
//! As for sudo, `user.name` is who ran su and `user.effective.name` whom they became.
//! su's PAM lines (`su(pam_unix)`, `pam_unix(su:session)`) are PAM's, see [`crate::pam`].

use crate::fields::{EventOutcome, category};
use crate::shapes::ShapeDef;

/// `event.action` of a switch of user through su.
pub const SU: &str = "su";

/// su message shapes, tried in order.
pub const SHAPES: &[ShapeDef] = &[
    ShapeDef::new("FAILED SU (to {euser}) {user} on {_}", SU, EventOutcome::Failure, category::AUTHENTICATION),
    ShapeDef::new("(to {euser}) {user} on {_}", SU, EventOutcome::Success, category::AUTHENTICATION),
    ShapeDef::new("Successful su for {euser} by {user}", SU, EventOutcome::Success, category::AUTHENTICATION),
    ShapeDef::new("FAILED su for {euser} by {user}", SU, EventOutcome::Failure, category::AUTHENTICATION),
    ShapeDef::new("+ {_} {user}:{euser}", SU, EventOutcome::Success, category::AUTHENTICATION),
    ShapeDef::new("- {_} {user}:{euser}", SU, EventOutcome::Failure, category::AUTHENTICATION),
];
