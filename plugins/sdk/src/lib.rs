//! Write logsift plugins in Rust.
//!
//! Implement [`Plugin`] for a type and call [`export_plugin!`] once; the SDK does the rest:
//! it decodes each batch the host sends, calls [`Plugin::process`] once per event with a
//! lazily decoded [`Event`] (strings borrowed from the batch, never copied unless changed),
//! turns each [`Outcome`] into the contract's per-record change, and re-encodes only the
//! events that were modified. Generated bindings stay inside this crate.
//!
//! ```
//! use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, Plugin, Settings};
//!
//! struct Tagger;
//!
//! impl Plugin for Tagger {
//!     const METADATA: Metadata = Metadata::new("tagger", "0.1.0", Kind::Enricher, "adds a tag");
//!
//!     fn init(_settings: Settings) -> Result<Self, String> {
//!         Ok(Tagger)
//!     }
//!
//!     fn process(&mut self, event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
//!         event.set("labels.seen_by", "tagger");
//!         Outcome::Pass
//!     }
//! }
//!
//! logsift_sdk::export_plugin!(Tagger);
//! # fn main() {}
//! ```
//!
//! A parser hands its line-to-fields function to [`Event::parse_original`], which gives it
//! `event.original` borrowed from the batch and adds the [`Parsed`] fields it returns;
//! [`calendar`] turns the date and time it read into a timestamp (the date arithmetic and
//! time zones are [`jiff`](calendar::jiff)'s), [`rfc3339`] reads RFC 3339 date-times.
//!
//! A detector that needs memory across events ("five failures then a success", "once per
//! ten minutes") keeps the bounded, event-time helpers of [`state`] in its struct.
//!
//! An enricher with lookup tables reads each record's keys once in [`Plugin::prepare`]
//! ([`lookup::BatchKeys`]), fetches them in one call ([`lookup::BatchLookup`]), makes what
//! each distinct key brings once per batch ([`lookup::ByKey`]) as [`SharedFields`], and
//! adds those to each event of the key with [`Event::fill`] or [`Event::set_all`]: the
//! event refers to the list, nothing is copied per event.
//!
//! The same code runs natively: [`testing`] feeds a plugin batches in-process, which is how
//! plugin unit tests and the Wasm/native benchmark call it.

// The generated bindings name this crate by its public path, also from inside it.
extern crate self as logsift_sdk;

mod event;
#[cfg(target_arch = "wasm32")]
mod heap;
pub mod log;
pub mod lookup;
mod plugin;
mod runtime;
pub mod state;
pub mod testing;

pub use event::{Event, Parsed, SharedFields};
pub use logsift_event::{Alert, Level};
pub use logsift_event::{NameLengths, ORIGINAL, Origin, PARSED_MARK, Value, same_name};
pub use logsift_event::{calendar, rfc3339};
pub use plugin::{Context, Kind, Metadata, Outcome, Plugin, RuleCost, Settings};
pub use runtime::{Action, BatchOutput, Change, process_batch};

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod bindings;

/// Internals the export macro expands to; not part of the API.
#[doc(hidden)]
pub mod __private {
    #[cfg(target_arch = "wasm32")]
    pub use crate::bindings::glue::*;
    #[cfg(target_arch = "wasm32")]
    pub use wit_bindgen;

    /// The bytes of `text` as an array of its length (for a custom section's contents).
    pub const fn bytes<const N: usize>(text: &str) -> [u8; N] {
        let (mut out, from) = ([0u8; N], text.as_bytes());
        let mut i = 0;
        while i < N {
            out[i] = from[i];
            i += 1;
        }
        out
    }
}

/// Declares the limits a plugin needs by default, e.g.
/// `logsift_sdk::declare_limits!(memory_mb = 512, timeout_ms = 2000);`. They are written into
/// the component as the custom section `logsift:limits` (JSON); the host uses them for a
/// stage that does not set these limits itself, when they are above the global ones. For a
/// plugin whose `init` builds something large (thousands of rules), so that it loads under
/// the defaults without raising the cap of every other plugin.
#[macro_export]
macro_rules! declare_limits {
    ($($key:ident = $value:literal),+ $(,)?) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            const TEXT: &str = concat!("{", $crate::__declare_limits_pairs!($($key = $value),+), "}");
            #[allow(unsafe_code)]
            #[unsafe(link_section = "logsift:limits")]
            #[used]
            static LIMITS: [u8; TEXT.len()] = $crate::__private::bytes::<{ TEXT.len() }>(TEXT);
        };
    };
}

/// The `"key":value` pairs of [`declare_limits!`], comma-separated.
#[doc(hidden)]
#[macro_export]
macro_rules! __declare_limits_pairs {
    ($key:ident = $value:literal) => { concat!("\"", stringify!($key), "\":", stringify!($value)) };
    ($key:ident = $value:literal, $($rest:tt)+) => {
        concat!("\"", stringify!($key), "\":", stringify!($value), ",", $crate::__declare_limits_pairs!($($rest)+))
    };
}

/// Exports a [`Plugin`] implementation as the component's `plugin` world.
///
/// Call it once, at the crate root of a `cdylib` crate built for `wasm32-wasip2`. On other
/// targets it expands to nothing, so the same crate also builds natively for tests.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            ::std::thread_local! {
                static INSTANCE: ::std::cell::RefCell<Option<$plugin>> = const { ::std::cell::RefCell::new(None) };
            }
            struct Export;
            impl $crate::bindings::Guest for Export {
                fn describe() -> $crate::bindings::Metadata {
                    $crate::__private::describe(&<$plugin as $crate::Plugin>::METADATA)
                }
                fn init(settings: ::std::string::String) -> ::std::result::Result<(), ::std::string::String> {
                    let plugin = $crate::__private::init::<$plugin>(&settings)?;
                    INSTANCE.with_borrow_mut(|slot| *slot = Some(plugin));
                    Ok(())
                }
                fn process(batch: ::std::vec::Vec<u8>) -> $crate::bindings::BatchResult {
                    INSTANCE.with_borrow_mut(|slot| $crate::__private::process(slot.as_mut(), &batch))
                }
            }
    $crate::bindings::export!(Export with_types_in $crate::bindings);
        };
    };
}
