//! sshd's messages: logins failed and accepted, unknown users, disconnects, scans and
//! break-in warnings.
//!
//! [`prepare`] first drops what does not change the meaning: a ` [preauth]`/` [postauth]`
//! suffix and an `error: `/`fatal: ` prefix. The `Failed …`/`Accepted …` lines are the one
//! per-attempt verdict (`ssh_login`); everything else sshd and PAM say about the same
//! attempt has another action, so counting `ssh_login` failures counts attempts once.

use crate::fields::EventOutcome::{Failure, Success, Unknown};
use crate::fields::category::{AUTHENTICATION, NETWORK};
use crate::shapes::ShapeDef;

/// `event.action` of `Failed …`/`Accepted … for user from IP port P ssh2`.
pub const SSH_LOGIN: &str = "ssh_login";
/// `event.action` of `Invalid user X from IP`.
pub const INVALID_USER: &str = "invalid_user";
/// `event.action` of `input_userauth_request: invalid user X`.
pub const INVALID_USER_AUTH_REQUEST: &str = "invalid_user_auth_request";
/// `event.action` of `Received disconnect …` and `Disconnected from …`.
pub const DISCONNECT: &str = "disconnect";
/// `event.action` of `Connection closed by …`.
pub const CONNECTION_CLOSED: &str = "connection_closed";
/// `event.action` of `Did not receive identification string from IP`.
pub const NO_IDENTIFICATION: &str = "no_identification_string";
/// `event.action` of `reverse mapping checking getaddrinfo … POSSIBLE BREAK-IN ATTEMPT!`.
pub const REVERSE_MAPPING_FAILED: &str = "reverse_mapping_check_failed";
/// `event.action` of `Disconnecting: Too many authentication failures …` and
/// `maximum authentication attempts exceeded …`.
pub const TOO_MANY_FAILURES: &str = "too_many_authentication_failures";
/// `event.action` of `PAM N more authentication failures; …`.
pub const PAM_MORE_FAILURES: &str = "pam_more_authentication_failures";

/// sshd message shapes, tried in order (the `invalid user` forms before the plain ones).
pub const SHAPES: &[ShapeDef] = &[
    ShapeDef::new("Failed {method} for invalid user {user} from {addr} port {port} {_}", SSH_LOGIN, Failure, AUTHENTICATION).invalid_user(),
    ShapeDef::new("Failed {method} for {user} from {addr} port {port} {_}", SSH_LOGIN, Failure, AUTHENTICATION),
    ShapeDef::new("Accepted {method} for {user} from {addr} port {port} {_}", SSH_LOGIN, Success, AUTHENTICATION),
    ShapeDef::new("Invalid user {user} from {addr} port {port}", INVALID_USER, Failure, AUTHENTICATION).invalid_user(),
    ShapeDef::new("Invalid user {user} from {addr}", INVALID_USER, Failure, AUTHENTICATION).invalid_user(),
    ShapeDef::new("input_userauth_request: invalid user {user}", INVALID_USER_AUTH_REQUEST, Failure, AUTHENTICATION).invalid_user(),
    ShapeDef::new("Received disconnect from {addr} port {port}:{code}: {reason}", DISCONNECT, Unknown, NETWORK),
    ShapeDef::new("Received disconnect from {addr}: {code}: {reason}", DISCONNECT, Unknown, NETWORK),
    ShapeDef::new("Disconnected from invalid user {user} {addr} port {port}", DISCONNECT, Unknown, NETWORK).invalid_user(),
    ShapeDef::new("Disconnected from authenticating user {user} {addr} port {port}", DISCONNECT, Unknown, NETWORK),
    ShapeDef::new("Disconnected from user {user} {addr} port {port}", DISCONNECT, Unknown, NETWORK),
    ShapeDef::new("Disconnected from {addr} port {port}", DISCONNECT, Unknown, NETWORK),
    ShapeDef::new("Connection closed by invalid user {user} {addr} port {port}", CONNECTION_CLOSED, Unknown, NETWORK).invalid_user(),
    ShapeDef::new("Connection closed by authenticating user {user} {addr} port {port}", CONNECTION_CLOSED, Unknown, NETWORK),
    ShapeDef::new("Connection closed by {addr} port {port}", CONNECTION_CLOSED, Unknown, NETWORK),
    ShapeDef::new("Connection closed by {addr}", CONNECTION_CLOSED, Unknown, NETWORK),
    ShapeDef::new("Did not receive identification string from {addr} port {port}", NO_IDENTIFICATION, Failure, NETWORK),
    ShapeDef::new("Did not receive identification string from {addr}", NO_IDENTIFICATION, Failure, NETWORK),
    ShapeDef::new(
        "reverse mapping checking getaddrinfo for {host} [{addr}] failed - POSSIBLE BREAK-IN ATTEMPT!",
        REVERSE_MAPPING_FAILED,
        Failure,
        NETWORK,
    ),
    ShapeDef::new("Disconnecting: Too many authentication failures for invalid user {user}", TOO_MANY_FAILURES, Failure, AUTHENTICATION)
        .invalid_user(),
    ShapeDef::new("Disconnecting: Too many authentication failures for {user}", TOO_MANY_FAILURES, Failure, AUTHENTICATION),
    ShapeDef::new("Disconnecting: Too many authentication failures", TOO_MANY_FAILURES, Failure, AUTHENTICATION),
    ShapeDef::new(
        "maximum authentication attempts exceeded for invalid user {user} from {addr} port {port} {_}",
        TOO_MANY_FAILURES,
        Failure,
        AUTHENTICATION,
    )
    .invalid_user(),
    ShapeDef::new(
        "maximum authentication attempts exceeded for {user} from {addr} port {port} {_}",
        TOO_MANY_FAILURES,
        Failure,
        AUTHENTICATION,
    ),
    ShapeDef::new("PAM {n} more authentication failure{_}; {pam}", PAM_MORE_FAILURES, Failure, AUTHENTICATION),
];

/// The message without sshd's decorations: ` [preauth]`, ` [postauth]`, `error: `, `fatal: `.
pub fn prepare(message: &str) -> &str {
    let message = message.strip_suffix(" [preauth]").or_else(|| message.strip_suffix(" [postauth]")).unwrap_or(message);
    message.strip_prefix("error: ").or_else(|| message.strip_prefix("fatal: ")).unwrap_or(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preauth_and_error_decorations_are_dropped() {
        assert_eq!(
            prepare("error: Received disconnect from 1.2.3.4: 3: Auth fail [preauth]"),
            "Received disconnect from 1.2.3.4: 3: Auth fail"
        );
        assert_eq!(prepare("Connection closed by 1.2.3.4"), "Connection closed by 1.2.3.4");
    }
}
