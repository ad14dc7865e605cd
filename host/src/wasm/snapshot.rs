//! Pre-initialised plugins: `init` runs once per load, and every instance starts from a
//! snapshot of the memory and globals it left behind.
//!
//! A plugin's `init` can be expensive (Sigma compiles its rules: one to two seconds for a
//! large corpus). Running it for every worker's instance, and again for every instance
//! rebuilt after a hostile record, would let an attacker trade one log line for seconds of
//! blindness. Instead the loader compiles the component with wasmtime-wizer's
//! instrumentation (exports that read each core instance's memories and globals), runs
//! `describe` and `init` once in the sandbox like any call, and rewrites the component with
//! that state as its data segments. Instances of the rewritten component start already
//! initialised: wasmtime maps the data copy-on-write, so instantiating costs a few page
//! mappings and the rule memory is shared by every worker until one writes to it.
//!
//! What a snapshot cannot hold is host state: resource handles the guest opened during
//! `init` (a WASI stream it wrote to, say) do not exist in a new instance. The loader's
//! self-check runs the snapshot on sample records before any worker uses it, and a plugin
//! whose instances then fault is refused like any other.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use wasmtime::Store;
use wasmtime::component::{Instance, Lift, WasmList};
use wasmtime_wizer::{ComponentContext, ComponentInstanceState, Wizer};
use yoke::{Yoke, Yokeable};

use super::export_parity::{InstrumentedExports, with_instrumented_exports};

/// A plugin file with wizer's state-reading exports added, and what wizer learnt of the
/// file in adding them, which every snapshot of it needs: made once per plugin file (the
/// Sigma component: ~40 ms), not again for each load.
pub(crate) struct Instrumented {
    /// Wizer's view of the original file's sections, borrowing from the file's bytes.
    context: Yoke<WizerContext<'static>, Arc<[u8]>>,
    /// The instrumented modules' export sections, whose added memories and globals the
    /// snapshot gets back (see `export_parity`).
    exports: InstrumentedExports,
}

/// Wizer's context of a component, as a type that can be kept with the bytes it borrows.
#[derive(Yokeable)]
struct WizerContext<'a>(ComponentContext<'a>);

/// Instruments the component `original`: what to keep for its snapshots, and the
/// instrumented component to compile.
pub(crate) fn instrument(original: Arc<[u8]>) -> wasmtime::Result<(Instrumented, Vec<u8>)> {
    let mut bytes = Vec::new();
    let context = Yoke::try_attach_to_cart(original, |wasm: &[u8]| -> wasmtime::Result<WizerContext<'_>> {
        let (context, instrumented) = Wizer::new().instrument_component(wasm)?;
        bytes = instrumented;
        Ok(WizerContext(context))
    })?;
    Ok((Instrumented { context, exports: InstrumentedExports::of(&bytes) }, bytes))
}

/// Reads the state of `instance` (made from `component` instrumented) and returns the
/// original component rewritten to start in that state.
pub(crate) fn take<T: Send>(component: &Instrumented, store: &mut Store<T>, instance: Instance) -> wasmtime::Result<Vec<u8>> {
    let wizer = Wizer::new();
    let cx = &component.context.get().0;
    let mut access = Access { store, instance, failed: None };
    // Every call below is synchronous: the future is ready on its first poll. Wizer
    // asserts what it expects of a component it could instrument; a component that breaks
    // one is refused rather than taking the loader down.
    let poll = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pin!(wizer.snapshot_component(cx, &mut access)).poll(&mut Context::from_waker(Waker::noop()))
    }));
    if let Some(error) = access.failed {
        return Err(error.context("reading the initialised state"));
    }
    match poll {
        // Exported as when instrumented, the snapshot compiles to the same machine code and
        // comes from the compiled-function cache (see `export_parity`).
        Ok(Poll::Ready(result)) => result.map(|snapshot| with_instrumented_exports(&component.exports, &snapshot).unwrap_or(snapshot)),
        Ok(Poll::Pending) => wasmtime::bail!("the snapshot did not complete synchronously"),
        Err(_) => wasmtime::bail!("the snapshot failed on state it cannot represent"),
    }
}

/// Calls the instrumentation's exports on one instance; the first failure is kept (the
/// trait gives no way to return it) and the rest of the snapshot is discarded.
struct Access<'a, T: 'static> {
    store: &'a mut Store<T>,
    instance: Instance,
    failed: Option<wasmtime::Error>,
}

impl<T: Send> Access<'_, T> {
    fn call<R: Lift + 'static, Out: Default>(&mut self, instance: &str, func: &str, read: impl FnOnce(&Store<T>, R) -> Out) -> Out {
        if self.failed.is_some() {
            return Out::default();
        }
        match self.try_call(instance, func) {
            Ok(value) => read(self.store, value),
            Err(error) => {
                self.failed = Some(error);
                Out::default()
            }
        }
    }

    fn try_call<R: Lift + 'static>(&mut self, instance: &str, func: &str) -> wasmtime::Result<R> {
        let missing = || wasmtime::format_err!("the instrumented component does not export {instance}#{func}");
        let (_, parent) = self.instance.get_export(&mut *self.store, None, instance).ok_or_else(missing)?;
        let (_, index) = self.instance.get_export(&mut *self.store, Some(&parent), func).ok_or_else(missing)?;
        let func = self.instance.get_typed_func::<(), (R,)>(&mut *self.store, index)?;
        Ok(func.call(&mut *self.store, ())?.0)
    }
}

impl<T: Send> ComponentInstanceState for Access<'_, T> {
    async fn call_func_ret_list_u8(&mut self, instance: &str, func: &str, contents: impl FnOnce(&[u8]) + Send) {
        // After a failure `contents` is not called and `take` discards the snapshot.
        self.call(instance, func, |store, list: WasmList<u8>| contents(list.as_le_slice(store)));
    }

    async fn call_func_ret_s32(&mut self, instance: &str, func: &str) -> i32 {
        self.call(instance, func, |_, value| value)
    }

    async fn call_func_ret_s64(&mut self, instance: &str, func: &str) -> i64 {
        self.call(instance, func, |_, value| value)
    }

    async fn call_func_ret_f32(&mut self, instance: &str, func: &str) -> u32 {
        self.call(instance, func, |_, value: f32| value.to_bits())
    }

    async fn call_func_ret_f64(&mut self, instance: &str, func: &str) -> u64 {
        self.call(instance, func, |_, value: f64| value.to_bits())
    }
}
