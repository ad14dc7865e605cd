//! The columns a `#Fields:` directive can declare, and the ECS field each one fills.
//!
//! Promise: every column has a home. The well-known W3C names map to ECS (see
//! [`Column::from_name`]); any other column lands under `iis.<name as written>`.

/// What one column of an IIS W3C data line holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Column {
    /// `date` (UTC), with `time` → `@timestamp`
    Date,
    /// `time` (UTC), with `date` → `@timestamp`
    Time,
    /// `s-ip` → `destination.ip`
    ServerIp,
    /// `s-port` → `destination.port`
    ServerPort,
    /// `c-ip` → `source.ip`
    ClientIp,
    /// `cs-username` → `user.name`
    UserName,
    /// `cs-method` → `http.request.method`
    Method,
    /// `cs-uri-stem` → `url.path`
    UriStem,
    /// `cs-uri-query` → `url.query`
    UriQuery,
    /// `cs-version` → `http.version` (without `HTTP/`)
    Version,
    /// `cs-host` → `url.domain`
    Host,
    /// `cs(User-Agent)` → `user_agent.original` (`+` read as a space)
    UserAgent,
    /// `cs(Referer)` → `http.request.referrer`
    Referrer,
    /// `sc-status` → `http.response.status_code` and `event.outcome`
    Status,
    /// `sc-substatus` → `iis.sub_status`
    SubStatus,
    /// `sc-win32-status` → `iis.win32_status`
    Win32Status,
    /// `sc-bytes` → `http.response.bytes`
    ResponseBytes,
    /// `cs-bytes` → `http.request.bytes`
    RequestBytes,
    /// `time-taken` (milliseconds) → `event.duration` (nanoseconds)
    TimeTaken,
    /// Anything else, kept as text under this field name (`iis.<column>`).
    Other(Box<str>),
}

impl Column {
    /// The column a `#Fields:` name declares (names are matched ignoring ASCII case).
    pub(crate) fn from_name(name: &str) -> Column {
        const KNOWN: [(&str, Column); 19] = [
            ("date", Column::Date),
            ("time", Column::Time),
            ("s-ip", Column::ServerIp),
            ("s-port", Column::ServerPort),
            ("c-ip", Column::ClientIp),
            ("cs-username", Column::UserName),
            ("cs-method", Column::Method),
            ("cs-uri-stem", Column::UriStem),
            ("cs-uri-query", Column::UriQuery),
            ("cs-version", Column::Version),
            ("cs-host", Column::Host),
            ("cs(User-Agent)", Column::UserAgent),
            ("cs(Referer)", Column::Referrer),
            ("sc-status", Column::Status),
            ("sc-substatus", Column::SubStatus),
            ("sc-win32-status", Column::Win32Status),
            ("sc-bytes", Column::ResponseBytes),
            ("cs-bytes", Column::RequestBytes),
            ("time-taken", Column::TimeTaken),
        ];
        KNOWN
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map_or_else(|| Column::Other(format!("iis.{name}").into_boxed_str()), |(_, column)| column.clone())
    }

    /// The W3C name of the column, for error messages.
    pub(crate) fn label(&self) -> &str {
        match self {
            Column::Date => "date",
            Column::Time => "time",
            Column::ServerIp => "s-ip",
            Column::ServerPort => "s-port",
            Column::ClientIp => "c-ip",
            Column::UserName => "cs-username",
            Column::Method => "cs-method",
            Column::UriStem => "cs-uri-stem",
            Column::UriQuery => "cs-uri-query",
            Column::Version => "cs-version",
            Column::Host => "cs-host",
            Column::UserAgent => "cs(User-Agent)",
            Column::Referrer => "cs(Referer)",
            Column::Status => "sc-status",
            Column::SubStatus => "sc-substatus",
            Column::Win32Status => "sc-win32-status",
            Column::ResponseBytes => "sc-bytes",
            Column::RequestBytes => "cs-bytes",
            Column::TimeTaken => "time-taken",
            Column::Other(field) => field.strip_prefix("iis.").unwrap_or(field),
        }
    }
}

/// The columns of a `#Fields:` directive's value (names separated by spaces).
pub(crate) fn declared(names: &str) -> Vec<Column> {
    names.split_ascii_whitespace().map(Column::from_name).collect()
}

/// The columns assumed before any `#Fields:` line: IIS 8.5 and 10's default selection,
/// `date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip
/// cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken`.
pub(crate) const DEFAULT: [Column; 15] = [
    Column::Date,
    Column::Time,
    Column::ServerIp,
    Column::Method,
    Column::UriStem,
    Column::UriQuery,
    Column::ServerPort,
    Column::UserName,
    Column::ClientIp,
    Column::UserAgent,
    Column::Referrer,
    Column::Status,
    Column::SubStatus,
    Column::Win32Status,
    Column::TimeTaken,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_order_is_what_iis_ten_declares() {
        let declared = declared(
            "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
        );
        assert_eq!(declared, DEFAULT);
    }

    #[test]
    fn unknown_columns_go_under_iis_and_names_ignore_case() {
        assert_eq!(Column::from_name("s-sitename"), Column::Other("iis.s-sitename".into()));
        assert_eq!(Column::from_name("CS(USER-AGENT)"), Column::UserAgent);
        assert_eq!(Column::from_name("cs(Cookie)").label(), "cs(Cookie)");
    }
}
