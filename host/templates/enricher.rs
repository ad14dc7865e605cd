//! __NAME__: marks `source.ip` as a private or public address
//! (`source.address_scope`), so detections can tell inside from outside.

use std::net::IpAddr;

use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, Plugin, Settings, Value};

/// The enricher.
pub struct __TYPE__;

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

impl Plugin for __TYPE__ {
    const METADATA: Metadata = Metadata::new("__NAME__", env!("CARGO_PKG_VERSION"), Kind::Enricher, "private or public source addresses");

    fn init(_settings: Settings) -> Result<Self, String> {
        Ok(__TYPE__)
    }

    fn process(&mut self, event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
        let ip = match event.get("source.ip") {
            Some(Value::Ip(ip)) => Some(*ip),
            Some(Value::Str(s)) => s.parse().ok(),
            _ => None,
        };
        if let Some(ip) = ip {
            let scope = if is_private(ip) { "private" } else { "public" };
            event.set("source.address_scope", Value::from(scope));
        }
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(__TYPE__);
